/**
 * Payload encryption end to end on the real dev server: a worker and a client with NSE_FLOW_CODEC_KEYS leave only
 * ciphertext in history, the codec server opens it for the Web UI (CORS, bearer token), rotated keys still open old
 * runs, and a wrong key fails naming the key id.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Payload } from '@temporalio/common';
import { connect, RunFailedError, type NseFlowClient } from '../../src/client';
import { AesGcmCodec, ENCODING_ENCRYPTED, METADATA_KEY_ID } from '../../src/codec';
import { startCodecServer, type RunningCodecServer } from '../../src/codec/codec-server';
import type { OperationResult } from '../../src/shared/workflow-api';
import { testAddress, testLogger } from '../helpers/temporal';
import { createConfiguredWorker, useTestWorker } from '../helpers/worker';
import { hostgroupOperation } from '../helpers/fixtures';

const home = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-codec-')); // no user temporal.toml
const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };
const keysVar = (...keys: { id: string; key: Buffer }[]): string =>
  keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(',');
const UI = 'http://localhost:8233';
const TOKEN = 'codec-token-1';
const execFileAsync = promisify(execFile);

/**
 * Every data payload in a history (objects with `metadata.encoding`), and every byte array or string in it. Three
 * payload-shaped things are not data and never pass through a codec: search attributes (the server indexes them), the
 * `data` entry of a local-activity marker (Core's bookkeeping: seq, attempt, activity type; the result is beside it)
 * and the `patch-data` entry of a `patched()` marker (the patch id and whether it is deprecated). Temporal headers are
 * not data either and no SDK passes them through a codec: the one nse-flow writes is the trace context of
 * OpenTelemetry's interceptors (`_tracer-data`: trace and span ids, `{}` with traces off; docs/security.md).
 */
function scan(
  value: unknown,
  found: { payloads: Payload[]; blobs: Buffer[] } = { payloads: [], blobs: [] },
  key = '',
  exempt = false,
) {
  if (value instanceof Uint8Array || typeof value === 'string') {
    found.blobs.push(Buffer.from(value));
  } else if (value !== null && typeof value === 'object') {
    const metadata = (value as Payload).metadata;
    if (!exempt && metadata?.encoding instanceof Uint8Array) found.payloads.push(value as Payload);
    for (const [childKey, child] of Object.entries(value)) {
      scan(
        child,
        found,
        childKey,
        exempt ||
          childKey === 'searchAttributes' ||
          childKey === 'header' ||
          (key === 'details' && (childKey === 'data' || childKey === 'patch-data')),
      );
    }
  }
  return found;
}

/** Every Failure message in a history: objects with a `message` and either a `stackTrace` or `encodedAttributes`. */
interface FailureLike {
  message?: string | null;
  stackTrace?: string | null;
  encodedAttributes?: Payload | null;
}
function failuresIn(value: unknown, found: FailureLike[] = []): FailureLike[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  if ('message' in value && ('stackTrace' in value || 'encodedAttributes' in value)) found.push(value as FailureLike);
  for (const child of Object.values(value)) failuresIn(child, found);
  return found;
}

/** Every payload in protobuf JSON (`{metadata: {encoding: base64}, data: base64}`), its encoding and data as text. */
function jsonPayloadsIn(value: unknown, found: { encoding: string; data: string }[] = []) {
  if (value === null || typeof value !== 'object') return found;
  const { metadata, data } = value as { metadata?: { encoding?: unknown }; data?: unknown };
  if (typeof metadata?.encoding === 'string') {
    const fromBase64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : '', 'base64').toString('utf8');
    found.push({ encoding: fromBase64(metadata.encoding), data: fromBase64(data) });
  }
  for (const child of Object.values(value)) jsonPayloadsIn(child, found);
  return found;
}

const text = (bytes?: Uint8Array | null): string => Buffer.from(bytes ?? []).toString('utf8');
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

describe('payload encryption', () => {
  const harness = useTestWorker({ queue: 'codec', worker: false });
  let codecServer: RunningCodecServer;
  const clients: NseFlowClient[] = [];
  /** The first run, sealed with k1. */
  let first: { workflowId: string; name: string; result: OperationResult };

  beforeAll(async () => {
    codecServer = await startCodecServer({
      codec: new AesGcmCodec({ activeKeyId: 'k1', keys: [k1] }),
      port: 0,
      uiOrigins: [UI],
      token: TOKEN,
      logger: testLogger,
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await codecServer?.close();
  });

  async function clientWith(keys: string | undefined): Promise<NseFlowClient> {
    const client = await connect({
      env: {
        HOME: home,
        TEMPORAL_ADDRESS: testAddress(),
        NSE_FLOW_TASK_QUEUE: harness.taskQueue,
        NSE_FLOW_CODEC_KEYS: keys,
      },
    });
    clients.push(client);
    return client;
  }

  /** Runs `fn` while a worker built from the production config (with these codec keys) serves the task queue. */
  async function withWorker<T>(keys: string, fn: () => Promise<T>): Promise<T> {
    const { worker, nse } = await createConfiguredWorker(harness, { HOME: home, NSE_FLOW_CODEC_KEYS: keys });
    try {
      return await worker.runUntil(fn());
    } finally {
      nse.close();
    }
  }

  async function runOperation(
    client: NseFlowClient,
    name: string,
  ): Promise<{ workflowId: string; result: OperationResult }> {
    const handle = await client.startOperation(hostgroupOperation(name), { workflowId: `codec-${randomUUID()}` });
    const result = (await client.result(handle.workflowId)) as OperationResult;
    return { workflowId: handle.workflowId, result };
  }

  /** `temporal workflow show` through the codec server, as the README tells people to run it (JSON output). */
  async function showWithCli(workflowId: string): Promise<string> {
    const args = ['workflow', 'show', '--workflow-id', workflowId, '--address', testAddress(), '--output', 'json'];
    args.push('--codec-endpoint', codecServer.url, '--codec-auth', `Bearer ${TOKEN}`);
    const { stdout } = await execFileAsync(process.env.TEMPORAL_TEST_CLI as string, args, { env: { HOME: home } });
    return stdout;
  }

  /** The history as a client without the codec sees it. */
  async function rawHistory(workflowId: string) {
    return scan(await harness.temporal.client.workflow.getHandle(workflowId).fetchHistory());
  }

  it('leaves only ciphertext in history, while the worker and a client with the key work as usual', async () => {
    const name = `codec-hg-${randomBytes(4).toString('hex')}`;
    const client = await clientWith(keysVar(k1));
    const run = await withWorker(keysVar(k1), () => runOperation(client, name));
    first = { ...run, name };
    expect(run.result).toMatchObject({ operation: 'create-hostgroup', job: { state: 'NORMAL' } });

    const { payloads, blobs } = await rawHistory(run.workflowId);
    expect(payloads.length).toBeGreaterThan(5); // input, summaries, activity inputs and results, result
    for (const payload of payloads) {
      expect(text(payload.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
      expect(text(payload.metadata?.[METADATA_KEY_ID])).toBe('k1');
    }
    // Not in any payload, nor anywhere else in the history (summaries and details are payloads too).
    expect(blobs.filter((b) => b.includes(name))).toEqual([]);
    await expect(harness.temporal.client.workflow.getHandle(run.workflowId).result()).rejects.toThrow(
      /binary\/encrypted/,
    );
  });

  it('the codec server decodes history payloads back to the original JSON for the Web UI', async () => {
    const history = await harness.temporal.client.workflow.getHandle(first.workflowId).fetchHistory();
    const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads as Payload[];
    const response = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: {
        origin: UI,
        'content-type': 'application/json',
        'x-namespace': 'default',
        authorization: `Bearer ${TOKEN}`,
      },
      body: JSON.stringify({ payloads: input.map(toJson) }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await response.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]?.metadata.encoding ?? '', 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString('utf8'))).toEqual(
      hostgroupOperation(first.name),
    );
  });

  it('the temporal CLI shows the decoded history through the codec server (empty payload lists included)', async () => {
    // The run's history holds the `accepted` update, whose argument list is empty: the CLI sends it as `{}`.
    const shown = await showWithCli(first.workflowId);
    expect(shown).toContain('"workflowExecutionUpdateAcceptedEventAttributes"');
    // The CLI's JSON output keeps payloads in protobuf JSON (base64): every one is plain JSON again.
    const payloads = jsonPayloadsIn(JSON.parse(shown));
    expect(payloads.length).toBeGreaterThan(5);
    expect(new Set(payloads.map((p) => p.encoding))).toEqual(new Set(['json/plain']));
    expect(payloads.map((p) => p.data).join('\n')).toContain(first.name);
  });

  it('the codec server answers the Web UI preflight, and refuses other origins and requests without the token', async () => {
    const preflight = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-namespace');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');

    const foreign = await fetch(`${codecServer.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();

    const body = JSON.stringify({ payloads: [] });
    const post = (headers: Record<string, string>) =>
      fetch(`${codecServer.url}/encode`, { method: 'POST', headers, body });
    expect((await post({ origin: 'http://evil.example', authorization: `Bearer ${TOKEN}` })).status).toBe(403);
    expect((await post({ origin: UI })).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post({ authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    const bad = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{"nope":1}',
    });
    expect(bad.status).toBe(400);
    // Protobuf JSON of an empty list, as the temporal CLI sends it.
    const empty = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    expect(empty.status).toBe(200);
    await expect(empty.json()).resolves.toEqual({ payloads: [] });
  });

  it('the codec server round-trips /encode and /decode, and names the key id it lacks', async () => {
    const call = async (route: string, payloads: unknown[]) =>
      await fetch(`${codecServer.url}/${route}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ payloads }),
      });
    const original = {
      metadata: { encoding: Buffer.from('json/plain').toString('base64') },
      data: Buffer.from('"hello"').toString('base64'),
    };
    const encoded = (await (await call('encode', [original])).json()) as { payloads: unknown[] };
    const decoded = (await (await call('decode', encoded.payloads)).json()) as { payloads: unknown[] };
    expect(decoded.payloads).toEqual([original]);

    const [sealedWithK2] = (await new AesGcmCodec({ activeKeyId: 'k2', keys: [k2] }).encode([
      { data: Buffer.from('x') },
    ])) as [Payload];
    const refused = await call('decode', [toJson(sealedWithK2)]);
    expect(refused.status).toBe(400);
    const { message } = (await refused.json()) as { message: string };
    expect(message).toContain("encrypted with key 'k2', which is not configured");
    expect(message).not.toContain(k2.key.toString('base64'));
  });

  it('after rotation new runs are sealed with the new key and runs sealed with the old key still open', async () => {
    const rotated = keysVar(k2, k1); // k2 listed first: the active key
    const client = await clientWith(rotated);
    const run = await withWorker(rotated, () => runOperation(client, `codec-hg2-${randomBytes(4).toString('hex')}`));
    expect(run.result.job?.state).toBe('NORMAL');
    const { payloads } = await rawHistory(run.workflowId);
    expect(new Set(payloads.map((p) => text(p.metadata?.[METADATA_KEY_ID])))).toEqual(new Set(['k2']));
    expect(await client.result(first.workflowId)).toEqual(first.result);
  });

  it('a wrong or missing key fails clearly, naming the key id and never the key', async () => {
    const impostor = await clientWith(keysVar({ id: 'k1', key: randomBytes(32) }));
    const wrong = await impostor.result(first.workflowId).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(wrong?.message).toContain("payload encrypted with key 'k1' failed authentication");

    const onlyK2 = await clientWith(keysVar(k2));
    const missing = await onlyK2.result(first.workflowId).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(missing?.message).toContain("encrypted with key 'k1', which is not configured (configured key ids: k2)");
    for (const err of [wrong, missing]) {
      for (const key of [k1.key, k2.key]) expect(err?.message).not.toContain(key.toString('base64'));
    }
  });

  it('encrypts failure messages and stack traces: the server holds none in clear text, the client and codec server read them', async () => {
    const name = `fail-codec-${randomBytes(4).toString('hex')}`; // the simulator fails creates named fail-*
    const client = await clientWith(keysVar(k1));
    const failure = await withWorker(keysVar(k1), async () => {
      const handle = await client.startOperation(hostgroupOperation(name), { workflowId: `codec-${randomUUID()}` });
      const error = await client.result(handle.workflowId).then(
        () => undefined,
        (err: unknown) => err,
      );
      return { workflowId: handle.workflowId, error };
    });
    // The client with the key decodes the message as usual.
    expect(failure.error).toBeInstanceOf(RunFailedError);
    expect((failure.error as RunFailedError).message).toMatch(/ended ERROR: Simulated failure/);

    // Read raw, without the codec: every failure in the history says only "Encoded failure", with no stack trace,
    // and its text is nowhere in the history.
    const history = await harness.temporal.client.workflow.getHandle(failure.workflowId).fetchHistory();
    const failures = failuresIn(history);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.message).toBe('Encoded failure');
      expect(f.stackTrace ?? '').toBe('');
      expect(text(f.encodedAttributes?.metadata?.encoding)).toBe(ENCODING_ENCRYPTED);
    }
    const { blobs } = scan(history);
    for (const clear of ['Simulated failure', 'ended ERROR', name, 'await-job', '.ts:'])
      expect(blobs.filter((b) => b.includes(clear))).toEqual([]);

    // The codec server opens the encoded attributes for the Web UI and the temporal CLI: the run's own failure (an
    // earlier failure in the history may be a retried read's last failure, carried by its ActivityTaskStarted).
    const runFailed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes);
    const sealed = runFailed?.workflowExecutionFailedEventAttributes?.failure?.encodedAttributes as Payload;
    const response = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ payloads: [toJson(sealed)] }),
    });
    const { payloads } = (await response.json()) as { payloads: { data: string }[] };
    const decoded = JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString('utf8')) as {
      message: string;
      stack_trace: string;
    };
    expect(decoded.message.length).toBeGreaterThan(0);
    expect(JSON.stringify(decoded)).toMatch(/Simulated failure|ended ERROR/);
    // And the temporal CLI shows the failure in clear through it.
    // And the temporal CLI shows it through it: its text view says only "Encoded failure" (CLI 1.5.1 does not
    // unpack failure attributes), its JSON view holds the decoded attributes, message and stack trace.
    const opened = jsonPayloadsIn(JSON.parse(await showWithCli(failure.workflowId)));
    expect(new Set(opened.map((p) => p.encoding))).toEqual(new Set(['json/plain']));
    const attributes = opened.map((p) => JSON.parse(p.data) as { message?: unknown; stack_trace?: unknown });
    expect(
      attributes.filter((a) => typeof a.message === 'string' && a.message.includes('ended ERROR: Simulated failure'))
        .length,
    ).toBeGreaterThan(0);
  });
});
