import { createServer, type AddressInfo } from 'node:net';
import pino from 'pino';
import { jwtExpiry, NseClient, parseRetryAfter, tokenNeedsRenewal, type NseClientOptions } from '../../src/nse/client';
import { NseError, NseHttpError, NseNetworkError, NseProtocolError, NseTimeoutError } from '../../src/nse/errors';
import { JobState } from '../../src/shared/nse-types';
import { buildRequest, findOperation } from '../../src/shared/operations';
import { buildSimulator, type SimulatorApp } from '../../simulator/app';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { signJwt } from '../../simulator/jwt';
import { startSimulator, type RunningSimulator } from '../helpers/simulator';

const HOUR_MS = 3_600_000;
const FAKE_SECRETS = Object.values(SIM_FIXTURES.fakeSecrets);

let sim: RunningSimulator;
const clients: NseClient[] = [];
const servers: Array<{ close(): Promise<unknown> }> = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.close();
});

async function start(options: Parameters<typeof startSimulator>[0] = {}): Promise<RunningSimulator> {
  sim = await startSimulator(options);
  servers.push(sim);
  return sim;
}

/** A simulator built here rather than by the helper, for what the helper does not expose (clock, hooks). */
async function startApp(
  options: Parameters<typeof buildSimulator>[0] = {},
  beforeListen: (app: SimulatorApp) => void = () => undefined,
): Promise<{ app: SimulatorApp; url: string }> {
  const app = buildSimulator(options);
  servers.push(app);
  beforeListen(app);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}/api` };
}

function client(options: Partial<NseClientOptions> = {}): NseClient {
  const created = new NseClient({
    baseUrl: sim.url,
    auth: { kind: 'basic', username: sim.username, password: sim.password },
    ...options,
  });
  clients.push(created);
  return created;
}

function jwtClient(options: Partial<NseClientOptions> = {}): NseClient {
  return client({ auth: { kind: 'jwt', username: sim.username, password: sim.password }, ...options });
}

/** Submits `create-hostgroup` exactly as the activities build it from the operations catalogue. */
async function createHostgroup(nse: NseClient, name: string) {
  const spec = findOperation('create-hostgroup');
  if (!spec) throw new Error('create-hostgroup is missing from the catalogue');
  const { method, path, body } = buildRequest(spec, {
    name,
    subtenant_id: SIM_FIXTURES.subtenantId,
    zone: SIM_FIXTURES.zone,
    protocol: 'iscsi',
    os_type: 'linux',
  });
  return await nse.submit(method, path, body);
}

async function jobIdOf(nse: NseClient, name: string): Promise<string> {
  const result = await createHostgroup(nse, name);
  if (result.kind !== 'job') throw new Error(`expected a job, got ${result.kind}`);
  return result.job.id;
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  );
}

/** Neither the message, the stack nor any own field of `err` may carry a credential. */
function expectNoSecrets(err: unknown, ...secrets: string[]): void {
  const fields = JSON.stringify(err, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
  const text = [(err as Error).message, (err as Error).stack ?? '', fields].join('\n');
  const basic = Buffer.from(`${sim.username}:${sim.password}`).toString('base64');
  for (const secret of [sim.password, basic, ...FAKE_SECRETS, ...secrets]) expect(text).not.toContain(secret);
}

async function signInDirectly(): Promise<string> {
  const response = await fetch(`${sim.url}/v2.1/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: sim.username, password: sim.password }),
  });
  const body = (await response.json()) as { result: { records: Array<{ token: string }> } };
  const token = body.result.records[0]?.token;
  if (!token) throw new Error('the simulator returned no token');
  return token;
}

async function paths(method?: string, pattern?: string): Promise<string[]> {
  return (await sim.requests(method, pattern)).map((r) => `${r.method} ${r.path} ${r.status}`);
}

describe('NseClient authentication', () => {
  it('sends HTTP Basic on every call and never signs in', async () => {
    await start();
    const nse = client();

    await nse.listJobs();
    await nse.listJobs();

    expect(await paths()).toEqual(['GET /v2.1/jobs 200', 'GET /v2.1/jobs 200']);
  });

  it('signs in once with JWT and reuses the token while it is fresh', async () => {
    await start({ tokenTtlSeconds: 3600 });
    const nse = jwtClient();

    await nse.listJobs();
    await Promise.all([
      nse.listJobs(),
      nse.listJobs(),
      nse.getResource(`/v2.1/subtenants/${SIM_FIXTURES.subtenantId}`),
    ]);

    expect(await sim.requests('POST', '/v2.1/auth/signin')).toHaveLength(1);
    expect(await sim.requests('POST', '/v2.1/auth/refresh')).toHaveLength(0);
  });

  it('renews a JWT through /auth/refresh before each call once less than 60 s of it remains', async () => {
    // A 30-second token is always inside the 60-second renewal window: the exp math alone drives renewal.
    await start({ tokenTtlSeconds: 30 });
    const nse = jwtClient();

    await nse.listJobs();
    await nse.listJobs();
    await nse.listJobs();

    expect(await paths()).toEqual([
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
      'POST /v2.1/auth/refresh 200',
      'GET /v2.1/jobs 200',
      'POST /v2.1/auth/refresh 200',
      'GET /v2.1/jobs 200',
    ]);
  });

  it('keeps using a still-valid token when its refresh fails', async () => {
    await start({
      tokenTtlSeconds: 30,
      rules: [{ match: { method: 'POST', path: '/v2.1/auth/refresh' }, faults: { http500: { times: 1 } } }],
    });
    const nse = jwtClient();

    await nse.listJobs();
    await nse.listJobs();

    expect(await paths()).toEqual([
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
      'POST /v2.1/auth/refresh 500',
      'GET /v2.1/jobs 200',
    ]);
  });

  it('signs in again when NSE refuses to refresh the token', async () => {
    // The simulator's clock is ahead of the client's: the token it is asked to refresh has already expired there.
    let simNow = Date.now();
    const { app, url } = await startApp({ tokenTtlSeconds: 30, now: () => simNow });
    const nse = new NseClient({ baseUrl: url, auth: { kind: 'jwt', ...SIM_FIXTURES.defaultUser } });
    clients.push(nse);
    await nse.listJobs();
    simNow += 60_000;

    await nse.listJobs();

    expect(app.sim.ledger().requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
      'POST /v2.1/auth/refresh 401',
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
    ]);
  });

  it('signs in again once when NSE answers 401 to a token the client thinks is fresh, then repeats the call', async () => {
    // The simulator's clock jumps past the token's exp while the client's clock does not: NSE refuses the token.
    let simNow = Date.now();
    const { app, url } = await startApp({ tokenTtlSeconds: 3600, now: () => simNow });
    const nse = new NseClient({ baseUrl: url, auth: { kind: 'jwt', ...SIM_FIXTURES.defaultUser } });
    clients.push(nse);
    await nse.listJobs();
    simNow += 2 * HOUR_MS;

    const page = await nse.listJobs();

    expect(page.jobs).toEqual([]);
    expect(app.sim.ledger().requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
      'GET /v2.1/jobs 401',
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 200',
    ]);
  });

  it('gives up with a 401 NseHttpError when the call is refused again after the re-sign-in', async () => {
    // Tokens that expire the second they are issued: every call is refused.
    await start({ tokenTtlSeconds: 0 });
    const nse = jwtClient();

    const err = await rejectionOf(nse.listJobs());

    expect(err).toBeInstanceOf(NseHttpError);
    expect(err).toMatchObject({ status: 401, method: 'GET', path: '/v2.1/jobs', retryable: false });
    expect(await paths()).toEqual([
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 401',
      'POST /v2.1/auth/signin 200',
      'GET /v2.1/jobs 401',
    ]);
    expectNoSecrets(err);
  });

  it('reports a refused sign-in as a non-retryable NseHttpError that never shows the password', async () => {
    await start();
    const wrong = 'wrong-Password-123';
    const nse = client({ auth: { kind: 'jwt', username: sim.username, password: wrong } });

    const err = await rejectionOf(nse.listJobs());

    expect(err).toBeInstanceOf(NseHttpError);
    expect(err).toMatchObject({ status: 401, method: 'POST', path: '/v2.1/auth/signin', retryable: false });
    expect((err as Error).message).toBe('NSE POST /v2.1/auth/signin failed with HTTP 401');
    expectNoSecrets(err, wrong);
    expect(await sim.requests('GET')).toHaveLength(0);
  });

  it('sends a static bearer token as is and does not try to sign in on a 401', async () => {
    await start();
    const token = await signInDirectly();
    const nse = client({ auth: { kind: 'token', token } });

    await nse.listJobs();
    const badToken = `${token.slice(0, -4)}AAAA`;
    const err = await rejectionOf(client({ auth: { kind: 'token', token: badToken } }).listJobs());

    expect(err).toMatchObject({ name: 'NseHttpError', status: 401 });
    expectNoSecrets(err, token, badToken);
    expect(await paths()).toEqual(['POST /v2.1/auth/signin 200', 'GET /v2.1/jobs 200', 'GET /v2.1/jobs 401']);
  });
});

describe('NseClient calls', () => {
  beforeEach(async () => {
    await start();
  });

  it('turns a 202 into a job and follows it with getJob until NORMAL', async () => {
    const nse = client();

    const submitted = await createHostgroup(nse, 'hg-one');

    expect(submitted).toMatchObject({ kind: 'job', httpStatus: 202 });
    if (submitted.kind !== 'job') return;
    expect(submitted.job).toMatchObject({ state: JobState.Pending, action: 'create', objectName: 'hg-one', tasks: [] });
    expect(submitted.job.objectType).not.toBe('');
    const running = await nse.getJob(submitted.job.id);
    const done = await nse.getJob(submitted.job.id);
    expect(running.state).toBe(JobState.Running);
    expect(done).toMatchObject({ id: submitted.job.id, state: JobState.Normal, stateKnown: true });
    expect(done.tasks.length).toBeGreaterThan(0);
  });

  it('redacts the credentials NSE echoes in job_tasks[].request_payload', async () => {
    const nse = client();
    const id = await jobIdOf(nse, 'hg-secret');

    const job = await nse.getJob(id);
    const page = await nse.listJobs();

    const payload = (job.raw.job_tasks as Array<{ request_payload: Record<string, unknown> }>)[0]?.request_payload;
    expect(payload).toMatchObject({ admin_password: '[redacted]', admin_username: 'admin' });
    for (const secret of FAKE_SECRETS) {
      expect(JSON.stringify(job)).not.toContain(secret);
      expect(JSON.stringify(page)).not.toContain(secret);
    }
  });

  it('returns a synchronous 200 as a redacted record, not as a job', async () => {
    const nse = client();

    const result = await nse.submit('POST', '/v2.1/auth/signin', { username: sim.username, password: sim.password });

    expect(result).toMatchObject({ kind: 'sync', httpStatus: 200, record: { token: '[redacted]' } });
    if (result.kind === 'sync') expect(result.record?.user).toMatchObject({ username: sim.username });
  });

  it('reads the first record of a resource with getResource', async () => {
    const nse = client();

    const subtenant = await nse.getResource(`/v2.1/subtenants/${SIM_FIXTURES.subtenantId}`);

    expect(subtenant).toMatchObject({ id: SIM_FIXTURES.subtenantId, tenant_id: SIM_FIXTURES.tenantId });
  });

  it('accepts a base URL with a trailing slash and paths without a leading one', async () => {
    const nse = client({ baseUrl: `${sim.url}/` });

    await nse.getResource(`v2.1/subtenants/${SIM_FIXTURES.subtenantId}`);

    expect(await paths()).toEqual([`GET /v2.1/subtenants/${SIM_FIXTURES.subtenantId} 200`]);
  });

  it('lists one page of jobs and iterates over every page with offset and limit', async () => {
    const nse = client();
    const ids: string[] = [];
    for (const name of ['hg-a', 'hg-b', 'hg-c', 'hg-d', 'hg-e']) ids.push(await jobIdOf(nse, name));

    const first = await nse.listJobs({ limit: 2, sortBy: 'created', orderBy: 'asc' });
    const all: string[] = [];
    for await (const job of nse.iterateJobs({ limit: 2, sortBy: 'created', orderBy: 'asc' })) all.push(job.id);

    expect(first).toMatchObject({ totalRecords: 5, offset: 0, limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual(ids.slice(0, 2));
    expect(all).toEqual(ids);
    const pages = (await sim.requests('GET', '/v2.1/jobs')).slice(1).map((r) => r.query);
    expect(pages).toEqual([
      expect.objectContaining({ offset: '0', limit: '2' }),
      expect.objectContaining({ offset: '2', limit: '2' }),
      expect.objectContaining({ offset: '4', limit: '2' }),
    ]);
  });

  it('stops iterating at an empty page and passes tenant_id', async () => {
    const nse = client();
    await jobIdOf(nse, 'hg-mine');

    const found: unknown[] = [];
    for await (const job of nse.iterateJobs({ tenantId: SIM_FIXTURES.otherTenantId })) found.push(job);

    expect(found).toEqual([]);
    const reads = await sim.requests('GET', '/v2.1/jobs');
    expect(reads.map((r) => r.query)).toEqual([expect.objectContaining({ tenant_id: SIM_FIXTURES.otherTenantId })]);
  });

  it('sends the long-poll parameters and allows the poll on top of the normal timeout', async () => {
    const nse = client({ timeoutMs: 2_000 });
    const id = await jobIdOf(nse, 'hg-long');
    await nse.getJob(id);
    const finished = await nse.getJob(id);

    // The job is finished, so the simulator answers the long poll at once.
    const job = await nse.getJob(id, { pollTimeoutSeconds: 30, lastModified: finished.updated });

    expect(job.state).toBe(JobState.Normal);
    const [read] = (await sim.requests('GET', '/v2.1/jobs/:id')).slice(-1);
    expect(read?.query).toEqual({ poll_timeout: '30', last_modified: finished.updated });
  });

  it('applies the poll timeout on top of timeoutMs for a long poll', async () => {
    const nse = client({ timeoutMs: 100 });
    const id = await jobIdOf(nse, 'hg-held');
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs/:id' }, faults: { latencyMs: 600_000 } }]);

    const err = await rejectionOf(nse.getJob(id, { pollTimeoutSeconds: 1 }));

    expect(err).toBeInstanceOf(NseTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 1_100 });
  });

  it('rejects with the signal reason when a call in flight is aborted', async () => {
    // The abort happens once the simulator holds the request: synchronised on its arrival, not on time.
    let arrive: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const { url } = await startApp({ rules: [{ match: { method: 'GET' }, faults: { latencyMs: 600_000 } }] }, (app) =>
      app.addHook('onRequest', async () => arrive()),
    );
    const nse = new NseClient({ baseUrl: url, auth: { kind: 'basic', ...SIM_FIXTURES.defaultUser } });
    clients.push(nse);
    const controller = new AbortController();
    const reason = new Error('activity cancelled');

    const pending = rejectionOf(nse.listJobs({}, { signal: controller.signal }));
    await arrived;
    controller.abort(reason);

    expect(await pending).toBe(reason);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const reason = new Error('activity cancelled');

    const err = await rejectionOf(client().getJob('5f1a00000000000000000001', { signal: AbortSignal.abort(reason) }));

    expect(err).toBe(reason);
    expect(await sim.requests()).toHaveLength(0);
  });
});

describe('NseClient errors', () => {
  beforeEach(async () => {
    await start();
  });

  it('raises a non-retryable NseHttpError for a 404 with the NSE status', async () => {
    const nse = client();

    const err = await rejectionOf(nse.getJob('5f1a0000000000000000ffff'));

    expect(err).toBeInstanceOf(NseHttpError);
    expect(err).toMatchObject({
      name: 'NseHttpError',
      status: 404,
      retryable: false,
      nseCode: '404',
      nseStatus: { code: 404, userMessage: 'Resource not found.' },
    });
    expect((err as Error).message).toBe('NSE GET /v2.1/jobs/5f1a0000000000000000ffff failed with HTTP 404');
  });

  it('raises a retryable NseHttpError for a 500', async () => {
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http500: { times: 1 } } }]);

    const err = await rejectionOf(client().listJobs());

    expect(err).toBeInstanceOf(NseHttpError);
    expect(err).toMatchObject({ status: 500, retryable: true, retryAfterMs: undefined });
    expectNoSecrets(err);
  });

  it('raises a retryable NseHttpError with retryAfterMs for a 429 with Retry-After', async () => {
    await sim.setRules([
      { match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http429: { times: 1, retryAfterSeconds: 7 } } },
    ]);

    const err = await rejectionOf(client().listJobs());

    expect(err).toMatchObject({ name: 'NseHttpError', status: 429, retryable: true, retryAfterMs: 7_000 });
  });

  it('raises NseProtocolError for a 2xx body that is not JSON', async () => {
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs' }, faults: { malformedJson: { times: 1 } } }]);

    const err = await rejectionOf(jwtClient().listJobs());

    expect(err).toBeInstanceOf(NseProtocolError);
    expect(err).toMatchObject({ reason: 'response body is not JSON', httpStatus: 200, retryable: false });
    expectNoSecrets(err);
  });

  it('raises an ambiguous NseNetworkError when the connection drops after NSE processed a submit', async () => {
    await sim.setRules([
      { match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { dropAfterProcessing: { times: 1 } } },
    ]);
    const nse = client();

    const err = await rejectionOf(createHostgroup(nse, 'hg-dropped'));

    expect(err).toBeInstanceOf(NseNetworkError);
    expect(err).toMatchObject({ retryable: true, method: 'POST', path: '/v2.1/hostgroups' });
    expectNoSecrets(err);
    // NSE acted on it: the job exists, and a caller finds it instead of submitting again.
    const { jobs } = await nse.listJobs();
    expect(jobs.map((j) => j.objectName)).toEqual(['hg-dropped']);
  });

  it('raises a non-ambiguous NseNetworkError when nothing listens', async () => {
    const port = await closedPort();
    const nse = new NseClient({
      baseUrl: `http://127.0.0.1:${port}/api`,
      auth: { kind: 'basic', username: 'u', password: 'p-secret' },
    });
    clients.push(nse);

    const err = await rejectionOf(nse.submit('POST', '/v2.1/hostgroups', { name: 'x' }));

    expect(err).toBeInstanceOf(NseNetworkError);
    expect((err as Error).message).toBe('NSE POST /v2.1/hostgroups got no HTTP answer (ECONNREFUSED)');
  });

  it('raises an ambiguous NseTimeoutError when NSE answers too late', async () => {
    await sim.setRules([{ match: { method: 'POST' }, faults: { latencyMs: 600_000 } }]);

    const err = await rejectionOf(createHostgroup(client({ timeoutMs: 100 }), 'hg-slow'));

    expect(err).toBeInstanceOf(NseTimeoutError);
    expect(err).toMatchObject({ name: 'NseTimeoutError', timeoutMs: 100, retryable: true });
    expect((err as Error).message).toBe('NSE POST /v2.1/hostgroups timed out after 100 ms');
  });

  it('raises NseProtocolError when getResource finds no record', async () => {
    const err = await rejectionOf(client().getResource(`/v2.1/jobs?tenant_id=${SIM_FIXTURES.otherTenantId}`));

    expect(err).toBeInstanceOf(NseProtocolError);
    expect(err).toMatchObject({ reason: 'no record in the response' });
  });
});

describe('NseClient GET retries (getRetries, for CLI use)', () => {
  beforeEach(async () => {
    await start();
  });

  const fast = { getRetryBackoff: { initialMs: 1, maxMs: 4 } };

  it('does not retry by default', async () => {
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http500: { times: 1 } } }]);

    await expect(client().listJobs()).rejects.toMatchObject({ status: 500 });
    expect(await sim.requests('GET')).toHaveLength(1);
  });

  it('recovers from a burst of 500s on a GET', async () => {
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http500: { times: 4 } } }]);

    const page = await client({ getRetries: 5, ...fast }).listJobs();

    expect(page.jobs).toEqual([]);
    expect((await sim.requests('GET')).map((r) => r.status)).toEqual([500, 500, 500, 500, 200]);
  });

  it('recovers from a dropped GET', async () => {
    await sim.setRules([
      { match: { method: 'GET', path: '/v2.1/jobs' }, faults: { dropAfterProcessing: { times: 1 } } },
    ]);

    await client({ getRetries: 1, ...fast }).listJobs();

    expect(await sim.requests('GET')).toHaveLength(2);
  });

  it('gives up after getRetries retries with the last error', async () => {
    await sim.setRules([{ match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http500: {} } }]);

    await expect(client({ getRetries: 2, ...fast }).listJobs()).rejects.toMatchObject({ status: 500 });
    expect(await sim.requests('GET')).toHaveLength(3);
  });

  it('does not retry a GET that NSE refused for good, nor any submit', async () => {
    await sim.setRules([{ match: { method: 'POST' }, faults: { http500: { times: 1 } } }]);
    const nse = client({ getRetries: 5, ...fast });

    await expect(nse.getJob('5f1a0000000000000000ffff')).rejects.toMatchObject({ status: 404 });
    await expect(createHostgroup(nse, 'hg-once')).rejects.toMatchObject({ status: 500 });
    expect(await paths()).toEqual(['GET /v2.1/jobs/5f1a0000000000000000ffff 404', 'POST /v2.1/hostgroups 500']);
  });
});

describe('NseClient logging', () => {
  beforeEach(async () => {
    await start();
  });

  it('logs method, path, status and duration at debug under component nse-client, never credentials', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const nse = jwtClient({ logger });

    const id = await jobIdOf(nse, 'hg-logged');
    await nse.getJob(id);

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({ component: 'nse-client', method: 'GET', path: `/v2.1/jobs/${id}`, status: 200 }),
    );
    expect(entries.every((e) => e.component === 'nse-client' && typeof e.durationMs === 'number')).toBe(true);
    const all = lines.join('\n');
    for (const secret of [sim.password, ...FAKE_SECRETS, 'Bearer', 'authorization']) expect(all).not.toContain(secret);
  });
});

describe('NseClient options', () => {
  it('refuses a base URL with credentials in it', () => {
    expect(
      () => new NseClient({ baseUrl: 'http://admin:pw@127.0.0.1:1/api', auth: { kind: 'token', token: 't' } }),
    ).toThrow(/credentials/);
  });

  it('refuses calls after close()', async () => {
    const nse = new NseClient({ baseUrl: 'http://127.0.0.1:1/api', auth: { kind: 'token', token: 't' } });
    nse.close();
    await expect(nse.listJobs()).rejects.toThrow(/closed/);
  });
});

describe('NseClient helpers', () => {
  it.each([
    ['7', 7_000],
    ['0', 0],
    ['1.5', 1_500],
    [' 12 ', 12_000],
  ])('reads Retry-After %j as %d ms', (header, ms) => {
    expect(parseRetryAfter(header)).toBe(ms);
  });

  it('reads a Retry-After HTTP date relative to now, never negative', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable Retry-After', () => {
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('')).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(['3', '4'])).toBe(3_000);
  });

  it('reads exp from a JWT payload', () => {
    expect(jwtExpiry(signJwt({ username: 'u', exp: 1_583_816_871 }, 'secret'))).toBe(1_583_816_871_000);
    expect(jwtExpiry('not-a-jwt')).toBeUndefined();
    expect(jwtExpiry('a.%%%.c')).toBeUndefined();
    expect(jwtExpiry(`a.${Buffer.from('{"username":"u"}').toString('base64url')}.c`)).toBeUndefined();
  });

  it('renews when less than 60 s or less than 10% of the lifetime remains', () => {
    const t0 = 0;
    const oneHour = t0 + HOUR_MS;
    expect(tokenNeedsRenewal(oneHour, t0, t0 + 50 * 60_000)).toBe(false); // 10 min left > 6 min
    expect(tokenNeedsRenewal(oneHour, t0, t0 + 55 * 60_000)).toBe(true); // 5 min left < 10%
    const oneDay = t0 + 24 * HOUR_MS;
    expect(tokenNeedsRenewal(oneDay, t0, oneDay - 3 * HOUR_MS)).toBe(false);
    expect(tokenNeedsRenewal(oneDay, t0, oneDay - 2 * HOUR_MS)).toBe(true); // 2 h < 2.4 h
    expect(tokenNeedsRenewal(t0 + 30_000, t0, t0)).toBe(true); // a 30-s token is always within 60 s
    expect(tokenNeedsRenewal(undefined, t0, t0 + 100 * HOUR_MS)).toBe(false);
  });

  it('classifies errors for the retry policy', () => {
    const http = (status: number) => new NseHttpError('GET', '/p', status);
    expect([400, 401, 403, 404, 405, 412].map((s) => http(s).retryable)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect([408, 429, 500, 502, 503].map((s) => http(s).retryable)).toEqual([true, true, true, true, true]);
    const unsent = new NseNetworkError('POST', '/p', {
      cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }),
    });
    for (const err of [
      http(500),
      unsent,
      new NseTimeoutError('GET', '/p', 1),
      new NseProtocolError('GET', '/p', 'r'),
    ]) {
      expect(err).toBeInstanceOf(NseError);
      expect(err.name).toBe(err.constructor.name);
    }
  });
});

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
