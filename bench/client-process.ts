/**
 * The benchmark's starter: a child process that starts workflow runs and waits for their results, so the gRPC
 * client's CPU (grpc-js) is not counted as the worker's. The parent talks to it over the IPC channel
 * ({@link StarterRequest} in, {@link StarterReply} out); it exits when told to or when the parent goes away.
 * @module
 */
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { operationStartMetadata } from '../src/client';
import type { OperationInput } from '../src/shared/workflow-api';
import { runFromTemplate, type RunTemplate } from './inputs';
import { mapLimit } from './stats';

/** One run to start. */
export interface RunSpec {
  workflowType: string;
  workflowId: string;
  args: unknown[];
}

/** What happened to one run, times in epoch ms as seen by the starter. */
export interface RunOutcome {
  workflowId: string;
  runId: string;
  /** Just before the start call. */
  startCalledAt: number;
  /** When the start call returned. */
  startedAt: number;
  /** When the result (or failure) arrived; undefined when the batch did not wait. */
  settledAt?: number;
  /** The failure message, for a run that failed. */
  failure?: string;
}

export type StarterRequest =
  | {
      kind: 'batch';
      batchId: number;
      taskQueue: string;
      runs: RunSpec[];
      startConcurrency: number;
      /** When set, run i starts `i * spacingMs` after the first (an open arrival process) instead of at once. */
      spacingMs?: number;
      wait: boolean;
    }
  | {
      kind: 'sustain';
      batchId: number;
      taskQueue: string;
      template: RunTemplate;
      concurrency: number;
      durationMs: number;
    }
  | { kind: 'terminate'; batchId: number; workflowIds: string[] }
  | { kind: 'exit' };

export type StarterReply =
  | { kind: 'ready'; pid: number }
  | { kind: 'batch-done'; batchId: number; outcomes: RunOutcome[] }
  | { kind: 'terminated'; batchId: number; count: number }
  | { kind: 'error'; batchId?: number; message: string };

function failureText(err: unknown): string {
  return err instanceof Error
    ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
    : String(err);
}

/** Starts one run; the outcome's settle time is filled in by the caller. */
async function startRun(
  client: Client,
  taskQueue: string,
  run: RunSpec,
): Promise<{ handle: WorkflowHandle; outcome: RunOutcome }> {
  const startCalledAt = Date.now();
  // An operation run gets the priority the client library gives it (the tenant as fairness key).
  const operation = run.workflowType === 'nseOperationWorkflow' ? (run.args[0] as OperationInput) : undefined;
  const handle = await client.workflow.start(run.workflowType, {
    taskQueue,
    workflowId: run.workflowId,
    args: run.args,
    ...(operation ? { priority: operationStartMetadata(operation).priority } : {}),
  });
  return {
    handle,
    outcome: { workflowId: run.workflowId, runId: handle.firstExecutionRunId, startCalledAt, startedAt: Date.now() },
  };
}

async function runBatch(client: Client, request: Extract<StarterRequest, { kind: 'batch' }>): Promise<RunOutcome[]> {
  const settled: Array<Promise<void>> = [];
  const t0 = Date.now();
  const spacing = request.spacingMs;
  const lanes = spacing === undefined ? request.startConcurrency : request.runs.length;
  const outcomes = await mapLimit(request.runs, lanes, async (run, index) => {
    if (spacing !== undefined) await new Promise((resolve) => setTimeout(resolve, t0 + index * spacing - Date.now())); // arrival time
    const { handle, outcome } = await startRun(client, request.taskQueue, run);
    if (request.wait) {
      settled.push(
        handle.result().then(
          () => {
            outcome.settledAt = Date.now();
          },
          (err: unknown) => {
            outcome.settledAt = Date.now();
            outcome.failure = failureText(err);
          },
        ),
      );
    }
    return outcome;
  });
  await Promise.all(settled);
  return outcomes;
}

/**
 * A closed loop: `concurrency` lanes (started over the first second) each start a run, wait for its result and
 * start the next, until `durationMs` has passed; then the runs in flight finish. Keeps the server saturated at a steady rate.
 */
async function sustain(client: Client, request: Extract<StarterRequest, { kind: 'sustain' }>): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  const stopAt = Date.now() + request.durationMs;
  let next = 0;
  const lane = async (_: unknown, laneIndex: number): Promise<void> => {
    // Lanes start spread over the first second, so the runs do not move through the loop in lockstep.
    await new Promise((resolve) => setTimeout(resolve, (laneIndex * 1000) / request.concurrency));
    while (Date.now() < stopAt) {
      const { handle, outcome } = await startRun(client, request.taskQueue, runFromTemplate(request.template, next++));
      outcomes.push(outcome);
      try {
        await handle.result();
      } catch (err) {
        outcome.failure = failureText(err);
      }
      outcome.settledAt = Date.now();
    }
  };
  await Promise.all(Array.from({ length: request.concurrency }, lane));
  return outcomes;
}

async function main(): Promise<void> {
  const address = process.env.BENCH_TEMPORAL_ADDRESS;
  if (!address || !process.send) throw new Error('client-process.ts runs only as the benchmark child (fork with IPC)');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const send = (reply: StarterReply): void => {
    process.send?.(reply);
  };
  process.on('disconnect', () => process.exit(0)); // the parent is gone
  process.on('message', (message: StarterRequest) => {
    if (message.kind === 'exit') {
      void connection.close().finally(() => process.exit(0));
      return;
    }
    const work =
      message.kind === 'batch'
        ? runBatch(client, message).then((outcomes) => send({ kind: 'batch-done', batchId: message.batchId, outcomes }))
        : message.kind === 'sustain'
          ? sustain(client, message).then((outcomes) =>
              send({ kind: 'batch-done', batchId: message.batchId, outcomes }),
            )
          : mapLimit(message.workflowIds, 20, (id) =>
              client.workflow
                .getHandle(id)
                .terminate('benchmark clean-up')
                .catch(() => undefined),
            ).then(() => send({ kind: 'terminated', batchId: message.batchId, count: message.workflowIds.length }));
    work.catch((err: unknown) => send({ kind: 'error', batchId: message.batchId, message: String(err) }));
  });
  send({ kind: 'ready', pid: process.pid });
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark starter: ${String(err)}\n`);
  process.exit(1);
});
