/**
 * The bad-input corpus (chaos/bad-inputs.ts) against the real dev server and a real worker: every malformed
 * operation input and plan fails its run in the first workflow task with a non-retryable InvalidInput, and NSE
 * (the simulator) sees no request at all. And the simulator itself refuses missing, wrong and expired credentials.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { google } from '@temporalio/proto';
import type { AddressInfo } from 'node:net';
import { BAD_INPUTS, type BadInput } from '../../chaos/bad-inputs';
import { buildSimulator, type SimulatorApp } from '../../simulator/app';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { signJwt } from '../../simulator/jwt';
import { FailureType } from '../../src/shared/failures';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

describe('malformed workflow input', () => {
  const harness = useTestWorker({ queue: 'bad-input' });

  /** Starts the case's workflow: through the client, or as a raw JSON payload when the client cannot encode it. */
  async function start(bad: BadInput): Promise<WorkflowHandle> {
    const workflowId = `bad-input-${randomUUID()}`;
    if (bad.rawJson === undefined) {
      return await harness.temporal.client.workflow.start(bad.workflow, {
        taskQueue: harness.taskQueue,
        workflowId,
        args: [bad.input],
        // A safety net only: a run that wrongly accepts its input must not poll for the rest of the test run.
        workflowExecutionTimeout: '30 seconds',
      });
    }
    await harness.temporal.client.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      requestId: randomUUID(),
      workflowType: { name: bad.workflow },
      taskQueue: { name: harness.taskQueue },
      input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(bad.rawJson) }] },
      // The same safety net (protobufjs takes a number where its type says Long).
      workflowExecutionTimeout: { seconds: 30 } as unknown as google.protobuf.IDuration,
    });
    return harness.temporal.client.workflow.getHandle(workflowId);
  }

  it('has a corpus of more than 100 cases with distinct names', () => {
    expect(BAD_INPUTS.length).toBeGreaterThan(100);
    expect(new Set(BAD_INPUTS.map((b) => b.name)).size).toBe(BAD_INPUTS.length);
  });

  it.each(BAD_INPUTS.map((bad): [string, BadInput] => [bad.name, bad]))(
    '%s: fails in its first workflow task with InvalidInput and no NSE call',
    async (_name, bad) => {
      const before = (await harness.sim.ledger()).requests.length;
      const handle = await start(bad);
      const { error } = await settle(handle);
      expect(rootFailure(error)).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
      // Fails fast: one workflow task, and nothing scheduled (no activity, local activity marker, timer or child);
      // the patch marker of the invalid run's search attributes is no work.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.filter(
        (e) =>
          e.activityTaskScheduledEventAttributes ||
          (e.markerRecordedEventAttributes && e.markerRecordedEventAttributes.markerName !== 'core_patch') ||
          e.timerStartedEventAttributes ||
          e.startChildWorkflowExecutionInitiatedEventAttributes,
      );
      expect(scheduled).toEqual([]);
      expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
      expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
    },
  );
});

describe('the simulator refuses bad credentials with 401', () => {
  const secret = 'bad-input-test-secret';
  const ttlSeconds = 60;
  let clockMs = Date.UTC(2026, 0, 1);
  let app: SimulatorApp;
  let api: string;

  beforeAll(async () => {
    // The clock is injected, so a token expires by moving it, not by waiting.
    app = buildSimulator({ jwtSecret: secret, tokenTtlSeconds: ttlSeconds, now: () => clockMs });
    await app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api`;
  });
  afterAll(async () => {
    await app?.close();
  });

  const { username, password } = SIM_FIXTURES.defaultUser;
  const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

  async function signIn(): Promise<string> {
    const res = await fetch(`${api}/v2.1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { records: { token: string }[] } };
    return body.result.records[0]?.token as string;
  }

  /** A create request (the kind that would change state) with the given Authorization header, if any. */
  async function create(authorization: string | undefined): Promise<{ status: number; verbose: string }> {
    const res = await fetch(`${api}/v2.1/hostgroups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({
        name: 'auth-hg',
        subtenant_id: SIM_FIXTURES.subtenantId,
        zone: SIM_FIXTURES.zone,
        protocol: 'iscsi',
        os_type: 'linux',
      }),
    });
    const body = (await res.json()) as { status?: { verbose_message?: string } };
    return { status: res.status, verbose: body.status?.verbose_message ?? '' };
  }

  it.each([
    ['no Authorization header', () => undefined],
    ['a wrong password (Basic)', () => basic(username, `${password}-wrong`)],
    ['an unknown user (Basic)', () => basic('mallory', password)],
    ['an empty Basic credential', () => 'Basic '],
    ['a token that is not a JWT', () => 'Bearer not-a-token'],
    [
      'a token signed with another secret',
      () => `Bearer ${signJwt({ username, exp: Math.floor(clockMs / 1000) + 600 }, 'other-secret')}`,
    ],
    [
      'a token for an unknown user',
      () => `Bearer ${signJwt({ username: 'mallory', exp: Math.floor(clockMs / 1000) + 600 }, secret)}`,
    ],
    ['an unsupported scheme', () => `Digest username="${username}"`],
  ])('a create with %s answers 401 and changes nothing', async (_what, header) => {
    const before = app.sim.ledger().events.length;
    expect((await create(header())).status).toBe(401);
    expect(app.sim.ledger().events.length).toBe(before);
  });

  it('a tampered token (payload changed, signature kept) answers 401', async () => {
    const [head, , sig] = (await signIn()).split('.');
    const forged = Buffer.from(JSON.stringify({ username: 'root', exp: Math.floor(clockMs / 1000) + 600 })).toString(
      'base64url',
    );
    expect((await create(`Bearer ${head}.${forged}.${sig}`)).status).toBe(401);
  });

  it('sign-in with a wrong password answers 401 and issues no token', async () => {
    const res = await fetch(`${api}/v2.1/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'guess' }),
    });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toMatch(/eyJ/);
  });

  it('an expired token answers 401 for a create and for a refresh, and a fresh sign-in works again', async () => {
    const token = await signIn();
    expect((await create(`Bearer ${token}`)).status).toBe(202);
    clockMs += (ttlSeconds + 1) * 1000;
    const refused = await create(`Bearer ${token}`);
    expect(refused).toEqual({ status: 401, verbose: 'Token expired.' });
    const refresh = await fetch(`${api}/v2.1/auth/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refresh.status).toBe(401);
    expect((await create(`Bearer ${await signIn()}`)).status).toBe(412); // authenticated again; the name is taken
  });
});
