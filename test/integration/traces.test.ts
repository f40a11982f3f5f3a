/**
 * Traces end to end: with tracing on, a real worker and the client library export spans over OTLP/HTTP to an
 * in-process receiver, and one trace id covers the client's start span, the workflow and activity spans and the
 * `traceparent` the simulator (NSE) received, the undo's requests included. A foreign caller's own `traceparent`,
 * passed in the Temporal header, is the trace its run joins.
 */
import { workflowSource } from '../../src/worker';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { connect, type NseFlowClient } from '../../src/client';
import { flushTracing, shutdownTracing, startTracing, WORKFLOW_TRACING_MODULE } from '../../src/tracing';
import type { LedgerRequest } from '../../simulator/job-store';
import { nseOperationWorkflow } from '../../src/workflows';
import { decideUpdate } from '../../src/shared/workflow-api';
import { hostgroupOperation } from '../helpers/fixtures';
import { capturedLogLines, settle } from '../helpers/temporal';
import { waitFor } from '../helpers/scenario';
import { Worker } from '@temporalio/worker';
import { createConfiguredWorker, useTestWorker } from '../helpers/worker';
import type { WorkerPair } from '../../src/worker-pair';

/** A span as OTLP/JSON carries it (ids in hex). */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service: string;
}

/** A minimal OTLP/HTTP trace receiver: decodes the JSON export requests (the -http exporter sends JSON). */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      expect(req.url).toBe('/v1/traces');
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: Omit<ReceivedSpan, 'service'>[] }[];
        }[];
      };
      for (const { resource, scopeSpans } of body.resourceSpans) {
        const service = resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        for (const scope of scopeSpans) for (const span of scope.spans) spans.push({ ...span, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

/** The trace id of a W3C traceparent (`00-<trace>-<span>-<flags>`). */
const traceIdOf = (traceparent: string | undefined): string | undefined => traceparent?.split('-')[1];

describe('traces', () => {
  const harness = useTestWorker({ queue: 'traces', worker: false });
  // A nested block: its afterAll (the traced worker's stop) runs before the harness closes the connection.
  describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let worker: WorkerPair;
    let running: Promise<void>;
    let closeNse: () => void;
    let client: NseFlowClient;

    beforeAll(async () => {
      receiver = await startReceiver();
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
      expect(startTracing('nse-flow-test', env)).toBe(true);
      // Bundled from the sources with the workflow interceptors, as a worker with traces on does.
      const created = await createConfiguredWorker(
        harness,
        { HOME: mkdtempSync(path.join(os.tmpdir(), 'nse-flow-traces-')) },
        workflowSource(),
      );
      worker = created.worker;
      closeNse = () => created.nse.close();
      running = worker.run();
      client = await connect({ address: harness.temporal.address, taskQueue: harness.taskQueue, env });
    });

    afterAll(async () => {
      await client?.close();
      worker?.shutdown();
      await running;
      closeNse?.();
      await shutdownTracing();
      receiver?.server.close();
    });

    /** The NSE requests the simulator received after the `seq` given (each test's run is alone in that window). */
    async function requestsAfter(seq: number): Promise<LedgerRequest[]> {
      return (await harness.sim.ledger()).requests.filter((r) => r.seq > seq);
    }

    const lastSeq = async (): Promise<number> => (await harness.sim.ledger()).requests.length;

    it('one trace id covers the client start, the workflow, its activities and every NSE request, undo included', async () => {
      const name = `fail-trace-${randomUUID().slice(0, 8)}`; // the job fails, so the run undoes what it made
      const before = await lastSeq();
      const started = await client.startOperation(hostgroupOperation(name));
      await expect(client.result(started.workflowId)).rejects.toThrow();
      await flushTracing();

      const start = receiver.spans.find((s) => s.name === 'UpdateWithStartWorkflow:accepted');
      expect(start).toBeDefined();
      const traceId = start!.traceId;
      const inTrace = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
      expect(inTrace).toEqual(
        expect.arrayContaining([
          'RunWorkflow:nseOperationWorkflow',
          'StartActivity:submitOperation',
          'RunActivity:submitOperation',
        ]),
      );
      // The create's submit and the undo's.
      expect(inTrace.filter((n) => n === 'RunActivity:submitOperation').length).toBeGreaterThanOrEqual(2);

      const requests = await requestsAfter(before);
      const deletes = requests.filter((r) => r.method === 'DELETE');
      expect(deletes.length).toBeGreaterThan(0); // the undo reached NSE
      expect(requests.length).toBeGreaterThan(deletes.length);
      for (const request of requests) expect(traceIdOf(request.traceparent)).toBe(traceId);
      // Log lines written within the run's spans carry the trace too.
      const traced = capturedLogLines.filter((line) => line.trace_id === traceId);
      expect(traced.length).toBeGreaterThan(0);
      expect(traced.every((line) => typeof line.span_id === 'string')).toBe(true);
    });

    it('a held run decided through `decide` replays on the traced bundle (update validators carry no span)', async () => {
      const started = await client.startOperation({
        ...hostgroupOperation(`fail-trace-held-${randomUUID().slice(0, 8)}`),
        onFailure: 'hold',
      });
      await waitFor('the run to await a decision', async () => {
        const status = await client.getStatus(started.workflowId);
        return 'phase' in status && status.phase === 'awaiting-decision' ? status : undefined;
      });
      const handle = harness.temporal.client.workflow.getHandle(started.workflowId);
      // A refused update first: its validator ran (and, with a span, changed the live run) but history has no trace of it.
      await expect(handle.executeUpdate(decideUpdate, { args: ['destroy' as 'keep'] })).rejects.toThrow();
      await client.decide(started.workflowId, 'keep');
      await expect(client.result(started.workflowId)).rejects.toThrow(/kept/);
      // With the validators' spans, this replay failed: "Update machine does not handle this event: TimerCanceled".
      await Worker.runReplayHistory(
        { ...workflowSource(), interceptors: { workflowModules: [WORKFLOW_TRACING_MODULE] } },
        await handle.fetchHistory(),
        started.workflowId,
      );
    });

    it("a foreign caller's traceparent in the Temporal header is the trace its run joins", async () => {
      const traceId = randomUUID().replaceAll('-', '');
      const traceparent = `00-${traceId}-${'ab'.repeat(8)}-01`;
      // What another SDK's OpenTelemetry interceptor sends: the W3C carrier as the `_tracer-data` header.
      const foreign: WorkflowClientInterceptor = {
        async start(input, next) {
          const headers = { ...input.headers, '_tracer-data': defaultPayloadConverter.toPayload({ traceparent }) };
          return await next({ ...input, headers });
        },
      };
      const plain = new Client({
        connection: harness.temporal.client.connection,
        interceptors: { workflow: [foreign] },
      });
      const name = `trace-foreign-${randomUUID().slice(0, 8)}`;
      const before = await lastSeq();
      const handle = await plain.workflow.start(nseOperationWorkflow, {
        taskQueue: harness.taskQueue,
        workflowId: `trace-${randomUUID()}`,
        args: [hostgroupOperation(name)],
      });
      expect((await settle(handle)).error).toBeUndefined();
      await flushTracing();

      const workflowSpan = receiver.spans.find(
        (s) => s.name === 'RunWorkflow:nseOperationWorkflow' && s.traceId === traceId,
      );
      expect(workflowSpan?.parentSpanId).toBe('ab'.repeat(8));
      const requests = await requestsAfter(before);
      expect(requests.length).toBeGreaterThan(0);
      for (const request of requests) expect(traceIdOf(request.traceparent)).toBe(traceId);
    });
  });
});
