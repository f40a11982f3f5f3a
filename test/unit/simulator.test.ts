/**
 * The NSE simulator over a real port of 127.0.0.1 (fastify's inject() cannot load under Jest on Node 20: its
 * light-my-request needs the ESM-only `cookie@2`). Jobs move per read, so every test drives them by reading; the
 * only real wait is one 1 s long-poll timeout.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildRequest, findOperation, OPERATION_NAMES } from '../../src/shared/operations';
import { buildSimulator, type SimulatorApp, type SimulatorOptions } from '../../src/simulator/app';
import { SIM_FIXTURES } from '../../src/simulator/fixtures';
import { signJwt, verifyJwt } from '../../src/simulator/jwt';
import { runSimulator } from '../../src/simulator/main';
import { nameMatches, parseRules, pathMatches, RulesError, type SimRule } from '../../src/simulator/rules';
import { startSimulator } from '../helpers/simulator';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const F = SIM_FIXTURES;
const BASIC = `Basic ${Buffer.from(`${F.defaultUser.username}:${F.defaultUser.password}`).toString('base64')}`;
const IQN = 'iqn.1998-01.com.vmware:host';

const apps: SimulatorApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function build(options: SimulatorOptions = {}): SimulatorApp {
  const app = buildSimulator(options);
  apps.push(app);
  return app;
}

const origins = new WeakMap<SimulatorApp, Promise<string>>();

/** Starts listening on first use, on a free port of 127.0.0.1. */
function originOf(app: SimulatorApp): Promise<string> {
  let origin = origins.get(app);
  if (!origin) {
    origin = app
      .listen({ port: 0, host: '127.0.0.1' })
      .then(() => `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    origins.set(app, origin);
  }
  return origin;
}

interface Raw {
  statusCode: number;
  headers: Headers;
  body: string;
  json(): Json;
}

/** One HTTP request to the simulator; `body` is sent as JSON, `text` as it is. */
async function raw(
  app: SimulatorApp,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown; text?: string } = {},
): Promise<Raw> {
  const origin = await originOf(app);
  const headers: Record<string, string> = { ...options.headers };
  let payload = options.text;
  if (payload === undefined && options.body !== undefined) {
    payload = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${origin}${url}`, { method, headers, body: payload });
  const body = await res.text();
  return { statusCode: res.status, headers: res.headers, body, json: () => JSON.parse(body) as Json };
}

interface Call {
  status: number;
  json: Json;
  headers: Headers;
  body: string;
  record: Json;
}

/** Every `/api` answer must be NSE's envelope with `code` equal to the HTTP status, and errors `result: {}`. */
function expectEnvelope(status: number, json: Json): void {
  expect(json).toEqual({
    status: { user_message: expect.any(String), verbose_message: expect.any(String), code: status },
    result: expect.any(Object),
  });
  if (status >= 400) expect(json.result).toEqual({});
}

async function api(
  app: SimulatorApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: BASIC },
): Promise<Call> {
  const res = await raw(app, method, `/api${url}`, { headers, body });
  const json = res.json();
  expectEnvelope(res.statusCode, json);
  return { status: res.statusCode, json, headers: res.headers, body: res.body, record: json.result.records?.[0] };
}

const hostgroupBody = (name: string, extra: Json = {}): Json => ({
  name,
  subtenant_id: F.subtenantId,
  zone: F.zone,
  protocol: 'iscsi',
  os_type: 'linux',
  ...extra,
});

const diskBody = (name: string, extra: Json = {}): Json => ({
  subtenant_id: F.subtenantId,
  zone: F.zone,
  name,
  disk_path: `/vol/${name}`,
  protocol: 'iscsi',
  os_type: 'linux',
  hostgroup_mappings: [],
  service_level: 'standard',
  size_gb: 10,
  ...extra,
});

async function submit(
  app: SimulatorApp,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
): Promise<Json> {
  const res = await api(app, method, url, body);
  expect(res.status).toBe(202);
  return res.record;
}

async function readJob(app: SimulatorApp, id: string): Promise<Json> {
  const res = await api(app, 'GET', `/v2.1/jobs/${id}`);
  expect(res.status).toBe(200);
  return res.record;
}

/** Reads a job until it ends; returns the words seen (state, or status while there is no state). */
async function finish(app: SimulatorApp, id: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 50; i += 1) {
    const job = await readJob(app, id);
    seen.push(job.state ?? job.status);
    if (['NORMAL', 'ERROR', 'PARTIAL_FAILURES'].includes(job.state)) return seen;
  }
  throw new Error(`job ${id} did not finish: ${seen.join(' ')}`);
}

/** Yields to the event loop until `condition` holds: synchronises with in-flight requests without sleeping. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 10_000; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}

describe('authentication', () => {
  it('refuses a request without credentials with a 401 envelope and a challenge', async () => {
    const app = build();
    const res = await api(app, 'GET', '/v2.1/jobs', undefined, {});
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic');
  });

  it('refuses a wrong password, an unknown user and an unknown scheme', async () => {
    const app = build();
    const wrong = `Basic ${Buffer.from('admin:nope').toString('base64')}`;
    const stranger = `Basic ${Buffer.from('eve:nse-simulator-password').toString('base64')}`;
    for (const authorization of [wrong, stranger, 'Digest abc', 'Bearer not.a.token']) {
      expect((await api(app, 'GET', '/v2.1/jobs', undefined, { authorization })).status).toBe(401);
    }
    expect((await api(app, 'GET', '/v2.1/jobs')).status).toBe(200);
  });

  it('accepts every configured user and only those', async () => {
    const app = build({
      users: [
        { username: 'alice', password: 'a:1' },
        { username: 'bob', password: 'b' },
      ],
    });
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await api(app, 'GET', '/v2.1/zones', undefined, basic('alice', 'a:1'))).status).toBe(200);
    expect((await api(app, 'GET', '/v2.1/zones', undefined, basic('bob', 'b'))).status).toBe(200);
    expect(
      (await api(app, 'GET', '/v2.1/zones', undefined, basic(F.defaultUser.username, F.defaultUser.password))).status,
    ).toBe(401);
  });

  it('signs in with a HS256 JWT carrying only username and exp, usable as a Bearer token', async () => {
    const app = build({ jwtSecret: 'test-secret', now: () => 1_700_000_000_000, tokenTtlSeconds: 60 });
    const res = await api(
      app,
      'POST',
      '/v2.1/auth/signin',
      { username: 'admin', password: F.defaultUser.password },
      {},
    );
    expect(res.status).toBe(200);
    expect(res.json.result.total_records).toBe(1);
    const { token, user } = res.record;
    expect(user).toMatchObject({
      username: 'admin',
      tenancies: expect.arrayContaining([expect.objectContaining({ id: F.tenantId })]),
    });
    const [header, payload] = (token as string)
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Json);
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toEqual({ username: 'admin', exp: 1_700_000_060 });
    expect(verifyJwt(token, 'test-secret', 1_700_000_000)).toEqual({ ok: true, payload });
    expect((await api(app, 'GET', '/v2.1/jobs', undefined, { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('refuses a wrong sign-in with 401 and an incomplete one with 400', async () => {
    const app = build();
    expect((await api(app, 'POST', '/v2.1/auth/signin', { username: 'admin', password: 'x' }, {})).status).toBe(401);
    const missing = await api(app, 'POST', '/v2.1/auth/signin', { username: 'admin' }, {});
    expect(missing.status).toBe(400);
    expect(missing.json.status.user_message).toContain("'password' is required");
  });

  it('refuses an expired or tampered token', async () => {
    let clock = 1_700_000_000_000;
    const app = build({ now: () => clock, tokenTtlSeconds: 30 });
    const { record } = await api(
      app,
      'POST',
      '/v2.1/auth/signin',
      { username: 'admin', password: F.defaultUser.password },
      {},
    );
    const bearer = { authorization: `Bearer ${record.token as string}` };
    clock += 29_000;
    expect((await api(app, 'GET', '/v2.1/jobs', undefined, bearer)).status).toBe(200);
    clock += 1_000;
    const expired = await api(app, 'GET', '/v2.1/jobs', undefined, bearer);
    expect(expired.status).toBe(401);
    expect(expired.json.status.verbose_message).toBe('Token expired.');
    const forged = signJwt({ username: 'admin', exp: 9_999_999_999 }, 'another-secret');
    expect((await api(app, 'GET', '/v2.1/jobs', undefined, { authorization: `Bearer ${forged}` })).status).toBe(401);
  });

  it('refreshes a valid Bearer token into a new one, and refuses to refresh with Basic', async () => {
    let clock = 1_700_000_000_000;
    const app = build({ now: () => clock, tokenTtlSeconds: 30 });
    const first = (
      await api(app, 'POST', '/v2.1/auth/signin', { username: 'admin', password: F.defaultUser.password }, {})
    ).record.token;
    clock += 20_000;
    const refreshed = await api(app, 'POST', '/v2.1/auth/refresh', undefined, {
      authorization: `Bearer ${first as string}`,
    });
    expect(refreshed.status).toBe(200);
    const second = refreshed.record.token as string;
    expect(second).not.toBe(first);
    clock += 20_000; // the first token has expired, the refreshed one has not
    expect(
      (await api(app, 'GET', '/v2.1/jobs', undefined, { authorization: `Bearer ${first as string}` })).status,
    ).toBe(401);
    expect((await api(app, 'GET', '/v2.1/jobs', undefined, { authorization: `Bearer ${second}` })).status).toBe(200);
    expect((await api(app, 'POST', '/v2.1/auth/refresh')).status).toBe(401);
  });

  it('logs jobs and faults through the given pino logger, never a credential', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const app = build({
      logger: pino({ level: 'trace' }, sink),
      rules: [{ match: { path: '/v2.1/zones' }, faults: { http500: { times: 1 } } }],
    });
    const signin = await api(
      app,
      'POST',
      '/v2.1/auth/signin',
      { username: 'admin', password: F.defaultUser.password },
      {},
    );
    const token = signin.record.token as string;
    const bearer = { authorization: `Bearer ${token}` };
    const job = (
      await api(
        app,
        'POST',
        '/v2.1/fileservers',
        {
          name: 'fs-logged',
          subtenant_id: F.subtenantId,
          zone: F.zone,
          subnet_id: F.subnetId,
          cifs_enabled: true,
          cifs_ad_password: 'ad-Secret-456',
          cifs_domain: 'corp.example',
          cifs_dns_servers: ['10.0.0.2'],
          cifs_server_name: 'FS02',
        },
        bearer,
      )
    ).record;
    await finish(app, job.id);
    await api(app, 'POST', '/v2.1/objectstorage/accounts', { subtenant_id: F.subtenantId, quota_gb: 1 });
    expect((await api(app, 'GET', '/v2.1/zones')).status).toBe(500);
    const text = lines.join('');
    expect(text).toContain('simulator accepted a job');
    expect(text).toContain('simulated fault');
    for (const secret of [
      F.defaultUser.password,
      BASIC.slice('Basic '.length),
      token,
      'ad-Secret-456',
      F.fakeSecrets.adminPassword,
      F.fakeSecrets.orgPassword,
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('closes the /_sim control endpoints to all but an administrator of the simulator', async () => {
    const app = build();
    for (const [method, url] of [
      ['GET', '/_sim/ledger'],
      ['GET', '/_sim/rules'],
      ['PUT', '/_sim/rules'],
      ['POST', '/_sim/reset'],
    ] as const) {
      const anonymous = await raw(app, method, url, method === 'PUT' ? { body: [{ outcome: 'ERROR' }] } : {});
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
      const wrong = `Basic ${Buffer.from(`${F.defaultUser.username}:nope`).toString('base64')}`;
      expect((await raw(app, method, url, { headers: { authorization: wrong } })).statusCode).toBe(401);
      const scoped = `Basic ${Buffer.from(`${F.tenantUser.username}:${F.tenantUser.password}`).toString('base64')}`;
      expect((await raw(app, method, url, { headers: { authorization: scoped } })).statusCode).toBe(403);
    }
    expect(app.sim.rules()).toEqual([]);
    expect((await raw(app, 'GET', '/_sim/ledger', { headers: { authorization: BASIC } })).statusCode).toBe(200);
    const token = (await api(app, 'POST', '/v2.1/auth/signin', F.defaultUser)).record.token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await raw(app, 'GET', '/_sim/rules', { headers: bearer })).json()).toEqual({ rules: [] });
  });
});

describe('job lifecycle', () => {
  it('answers 202 with a pending job, then running, then successful/NORMAL on the second read', async () => {
    const app = build();
    const res = await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-a'));
    expect(res.status).toBe(202);
    expect(res.json.status.user_message).toBe('Okay. Accepted for processing.');
    expect(Object.keys(res.json.result)).toEqual(['returned_records', 'records']);
    const job = res.record;
    expect(job).toMatchObject({
      action: 'create',
      job_summary: 'Create request is successfully submitted',
      type: 'hostgroup',
      object_type: 'ontap_hostgroups',
      object_name: 'hg-a',
      status: 'pending',
      status_detail: '',
      last_error: '',
      job_tasks: null,
    });
    expect(job).not.toHaveProperty('state');
    expect(job.id).toMatch(/^[0-9a-f]{24}$/);
    expect(BigInt(`0x${job.object_id as string}`)).toBe(BigInt(`0x${job.id as string}`) + 1n);
    expect(job.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect((await api(app, 'GET', `/v2.1/hostgroups/${job.object_id as string}`)).record.state).toBe('Creating');

    const first = await readJob(app, job.id);
    expect(first).toMatchObject({ status: 'running', job_tasks: [expect.objectContaining({ status: 'running' })] });
    expect(first).not.toHaveProperty('state');
    const second = await readJob(app, job.id);
    expect(second).toMatchObject({ status: 'successful', state: 'NORMAL', last_error: '' });
    expect(second.status_detail).toContain('completed successfully');
    expect(second.job_tasks).toEqual([
      expect.objectContaining({
        job_id: job.id,
        action: 'create',
        driver: 'ontap_ansible',
        object_id: job.object_id,
        object_type: 'ontap_hostgroups',
        resource_type: 'ontap_igroup',
        status: 'successful',
        last_error: '',
        user_id: job.user_id,
      }),
    ]);
    expect(await readJob(app, job.id)).toMatchObject({ state: 'NORMAL' });
    const hostgroup = await api(app, 'GET', `/v2.1/hostgroups/${job.object_id as string}`);
    expect(hostgroup.json.result.returned_records).toBe(1);
    expect(hostgroup.record).toMatchObject({
      id: job.object_id,
      name: 'hg-a',
      state: 'Operational',
      subtenant_id: F.subtenantId,
    });
  });

  it('ends a fail- job ERROR with a last_error, a failed task and the resource in Contact support', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/disks', diskBody('fail-d1'));
    expect(await finish(app, job.id)).toEqual(['running', 'ERROR']);
    const done = await readJob(app, job.id);
    expect(done).toMatchObject({ status: 'failed', state: 'ERROR', type: 'disk', object_type: 'ontap_disks' });
    expect(done.last_error).not.toBe('');
    expect(done.job_tasks[0]).toMatchObject({ status: 'failed', last_error: expect.stringContaining('Simulated') });
    expect((await api(app, 'GET', `/v2.1/disks/${job.object_id as string}`)).record.state).toBe('Contact support');
  });

  it('ends a partial- job PARTIAL_FAILURES with successful tasks that own their objects and a failed task', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/fileservers', {
      name: 'partial-fs',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
    });
    expect(await finish(app, job.id)).toEqual(['running', 'PARTIAL_FAILURES']);
    const done = await readJob(app, job.id);
    expect(done).toMatchObject({ status: 'partial_failures', state: 'PARTIAL_FAILURES' });
    expect(done.last_error).not.toBe('');
    const tasks = done.job_tasks as Json[];
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    const succeeded = tasks.filter((t) => t.status === 'successful');
    expect(succeeded.length).toBeGreaterThanOrEqual(2);
    expect(new Set(succeeded.map((t) => t.object_id)).size).toBe(succeeded.length);
    expect(succeeded.map((t) => t.object_id)).toContain(job.object_id);
    expect(tasks.filter((t) => t.status === 'failed').length).toBeGreaterThanOrEqual(1);
    expect((await api(app, 'GET', `/v2.1/fileservers/${job.object_id as string}`)).record.state).toBe(
      'Contact support',
    );
  });

  it('passes a warn- job through WARNING on two reads before NORMAL', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('warn-hg'));
    expect(await finish(app, job.id)).toEqual(['WARNING', 'WARNING', 'NORMAL']);
  });

  it('finishes a slow- job on its 20th read', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/objectiam/groups', {
      name: 'slow-group',
      subtenant_id: F.subtenantId,
      s3_policy: { Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] },
    });
    const seen = await finish(app, job.id);
    expect(seen).toHaveLength(20);
    expect(seen.slice(0, 19).every((word) => word === 'running')).toBe(true);
    expect(seen[19]).toBe('NORMAL');
  });

  it('moves a job only when it is read by id, never by listing', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-list'));
    for (let i = 0; i < 3; i += 1) {
      expect((await api(app, 'GET', '/v2.1/jobs')).record).toMatchObject({ id: job.id, status: 'pending' });
    }
    expect(await readJob(app, job.id)).toMatchObject({ status: 'running' });
  });

  it('finishes delete jobs NORMAL by default whatever the name, then answers 404 for the resource', async () => {
    const app = build();
    const created = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('fail-hg-del'));
    await finish(app, created.id);
    const deletion = await submit(app, 'DELETE', `/v2.1/hostgroups/${created.object_id as string}`);
    expect(deletion).toMatchObject({
      action: 'delete',
      object_id: created.object_id,
      job_summary: 'Delete request is successfully submitted',
    });
    expect((await api(app, 'GET', `/v2.1/hostgroups/${created.object_id as string}`)).record.state).toBe('Deleting');
    expect(await finish(app, deletion.id)).toEqual(['running', 'NORMAL']);
    expect((await api(app, 'GET', `/v2.1/hostgroups/${created.object_id as string}`)).status).toBe(404);
  });

  it('echoes a fake credential in every task request_payload of the raw answer', async () => {
    const app = build();
    const hg = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-secret'));
    const hgRead = await api(app, 'GET', `/v2.1/jobs/${hg.id as string}`);
    expect(hgRead.body).toContain(F.fakeSecrets.adminPassword);
    expect(hgRead.record.job_tasks[0].request_payload).toMatchObject({
      admin_password: F.fakeSecrets.adminPassword,
      name: 'hg-secret',
    });
    const account = await submit(app, 'POST', '/v2.1/objectstorage/accounts', {
      subtenant_id: F.subtenantId,
      quota_gb: 10,
    });
    const accountRead = await api(app, 'GET', `/v2.1/jobs/${account.id as string}`);
    expect(accountRead.body).toContain(F.fakeSecrets.orgPassword);
    expect(accountRead.record.job_tasks[0]).toMatchObject({
      driver: 'storagegrid_ansible',
      request_payload: { org_password: F.fakeSecrets.orgPassword },
    });
    const list = await api(app, 'GET', '/v2.1/jobs');
    expect(list.body).toContain(F.fakeSecrets.orgPassword);
  });

  it('never shows a request password in the resource record', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/fileservers', {
      name: 'cifs-fs',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
      cifs_enabled: true,
      cifs_ad_password: 'ad-Secret-123',
      cifs_domain: 'corp.example',
      cifs_dns_servers: ['10.0.0.2'],
      cifs_server_name: 'FS01',
    });
    const record = await api(app, 'GET', `/v2.1/fileservers/${job.object_id as string}`);
    expect(record.body).not.toContain('ad-Secret-123');
    expect(record.record).toMatchObject({ cifs_enabled: true, cifs_domain: 'corp.example' });
  });

  it('reports snapshot jobs on the parent disk and keeps the snapshot on the disk record', async () => {
    const app = build();
    const disk = await submit(app, 'POST', '/v2.1/disks', diskBody('d-snap'));
    await finish(app, disk.id);
    const snap = await submit(app, 'POST', `/v2.1/disks/${disk.object_id as string}/snapshot/nightly`, {
      snapmirror_label: 'daily',
    });
    expect(snap).toMatchObject({
      action: 'create',
      object_id: disk.object_id,
      object_type: 'ontap_disks',
      object_name: 'nightly',
    });
    await finish(app, snap.id);
    const record = (await api(app, 'GET', `/v2.1/disks/${disk.object_id as string}`)).record;
    expect(record.snapshots).toEqual([
      expect.objectContaining({ name: 'nightly', snapmirror_label: 'daily', state: 'Operational' }),
    ]);
    expect((await api(app, 'POST', `/v2.1/disks/${disk.object_id as string}/snapshot/nightly`, {})).status).toBe(412);
    const removal = await submit(app, 'DELETE', `/v2.1/disks/${disk.object_id as string}/snapshot/nightly`);
    expect(removal).toMatchObject({
      action: 'delete',
      object_name: 'nightly',
      job_summary: 'Delete Snapshot request is successfully submitted',
    });
    await finish(app, removal.id);
    expect((await api(app, 'GET', `/v2.1/disks/${disk.object_id as string}`)).record.snapshots).toEqual([]);
    expect((await api(app, 'DELETE', `/v2.1/disks/${disk.object_id as string}/snapshot/nightly`)).status).toBe(404);
  });

  it('adds, changes and removes initiators as update jobs of the host group', async () => {
    const app = build();
    const hg = await submit(
      app,
      'POST',
      '/v2.1/hostgroups',
      hostgroupBody('hg-init', { initiators: [{ alias: 'h1', initiator: `${IQN}1` }] }),
    );
    await finish(app, hg.id);
    const base = `/v2.1/hostgroups/${hg.object_id as string}/initiators`;
    const add = await submit(app, 'POST', base, { alias: 'h2', initiator: `${IQN}2` });
    expect(add).toMatchObject({
      action: 'update',
      type: 'hostgroup',
      object_id: hg.object_id,
      job_summary: 'Create request is successfully submitted',
    });
    await finish(app, add.id);
    expect((await api(app, 'GET', base)).json.result.records).toEqual([
      { alias: 'h1', initiator: `${IQN}1` },
      { alias: 'h2', initiator: `${IQN}2` },
    ]);
    await finish(app, (await submit(app, 'PATCH', `${base}/h2`, { initiator: `${IQN}2b` })).id);
    expect((await api(app, 'GET', `${base}/h2`)).record).toEqual({ alias: 'h2', initiator: `${IQN}2b` });
    const remove = await submit(app, 'DELETE', `${base}/h2`);
    expect(remove).toMatchObject({ action: 'update', job_summary: 'Delete request is successfully submitted' });
    await finish(app, remove.id);
    expect((await api(app, 'GET', `${base}/h2`)).status).toBe(404);
    expect((await api(app, 'POST', base, { alias: 'h3', initiator: '20:00:00:25:b5:00:00:01' })).status).toBe(400);
  });

  it('shows disk mappings as host group objects and tags as key/value pairs', async () => {
    const app = build();
    const hg = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-map'));
    const disk = await submit(
      app,
      'POST',
      '/v2.1/disks',
      diskBody('d-map', { hostgroup_mappings: ['hg-map'], tags: { env: 'test' } }),
    );
    const record = (await api(app, 'GET', `/v2.1/disks/${disk.object_id as string}`)).record;
    expect(record.hostgroup_mappings).toEqual([{ id: hg.object_id, name: 'hg-map', initiators: [] }]);
    expect(record.tags).toEqual([{ key: 'env', value: 'test' }]);
  });
});

describe('the client catalogue', () => {
  /** One valid input per catalogue operation, in an order where each can succeed. */
  function plan(ids: Record<string, string>): Array<[string, Record<string, unknown>]> {
    const policy = { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] };
    return [
      ['create-blockstore', { subtenant_id: F.subtenantId, zone: F.zone, subnet_id: F.subnetId }],
      ['update-blockstore', { id: ids.blockstore, dr_zone: F.otherZone, dr_schedule: 'daily', tags: { env: 'test' } }],
      ['create-hostgroup', { ...hostgroupBody('hg1'), initiators: [{ alias: 'h1', initiator: `${IQN}1` }] }],
      ['add-hostgroup-initiator', { hostgroup_id: ids.hostgroup, alias: 'h2', initiator: `${IQN}2` }],
      ['update-hostgroup-initiator', { hostgroup_id: ids.hostgroup, alias: 'h2', initiator: `${IQN}3` }],
      ['remove-hostgroup-initiator', { hostgroup_id: ids.hostgroup, alias: 'h2' }],
      ['create-disk', diskBody('disk1', { hostgroup_mappings: ['hg1'] })],
      ['update-disk', { id: ids.disk, size_gb: 20, hostgroup_mappings: [] }],
      ['create-disk-snapshot', { disk_id: ids.disk, name: 'snap1', snapmirror_label: 'daily' }],
      ['delete-disk-snapshot', { disk_id: ids.disk, name: 'snap1' }],
      [
        'create-fileserver',
        { name: 'fs1', subtenant_id: F.subtenantId, zone: F.zone, subnet: '10.0.0.0/24', vlan_id: 100 },
      ],
      ['update-fileserver', { id: ids.fileserver, dr_zone: F.otherZone }],
      [
        'create-fileshare',
        {
          name: 'share1',
          share_path: '/share1',
          fileserver_id: ids.fileserver,
          size_gb: 10,
          service_level: 'premium',
          protocol: 'nfs',
          security_style: 'unix',
          export_policy: [{ client_match: '10.0.0.0/8', access: 'rw', superuser: 'sys' }],
        },
      ],
      ['update-fileshare', { id: ids.fileshare, size_gb: 20 }],
      ['create-fileshare-snapshot', { fileshare_id: ids.fileshare, name: 'snap1' }],
      ['delete-fileshare-snapshot', { fileshare_id: ids.fileshare, name: 'snap1' }],
      ['create-objectstorage-account', { subtenant_id: F.subtenantId, quota_gb: 100 }],
      [
        'update-objectstorage-account',
        { id: ids.account, name: 'Acme - Engineering', subtenant_id: F.subtenantId, quota_gb: 200 },
      ],
      ['create-objectiam-group', { name: 'readers', subtenant_id: F.subtenantId, s3_policy: policy }],
      ['update-objectiam-group', { id: ids.group, name: 'readers', subtenant_id: F.subtenantId, s3_policy: policy }],
      [
        'create-objectiam-user',
        { display_name: 'reader1', subtenant_id: F.subtenantId, sg_group_membership: [ids.group] },
      ],
      [
        'update-objectiam-user',
        { id: ids.user, display_name: 'reader1', subtenant_id: F.subtenantId, sg_group_membership: [] },
      ],
      ['create-bucket', { name: 'bucket-one', subtenant_id: F.subtenantId }],
      ['delete-disk', { id: ids.disk }],
      ['delete-hostgroup', { id: ids.hostgroup }],
      ['delete-blockstore', { id: ids.blockstore }],
      ['delete-fileshare', { id: ids.fileshare }],
      ['delete-fileserver', { id: ids.fileserver }],
      ['delete-objectiam-user', { id: ids.user }],
      ['delete-objectiam-group', { id: ids.group }],
    ];
  }

  it('accepts the request the catalogue builds for every operation', async () => {
    const app = build();
    const ids: Record<string, string> = {};
    const covered = new Set<string>();
    // Inputs refer to ids created by earlier steps, so the plan is rebuilt before each step.
    for (let step = 0; step < plan(ids).length; step += 1) {
      const [name, raw] = plan(ids)[step] as [string, Record<string, unknown>];
      const spec = findOperation(name);
      if (!spec) throw new Error(`unknown operation ${name}`);
      const input = spec.schema.parse(raw);
      const request = buildRequest(spec, input);
      const res = await api(app, request.method, request.path, request.body);
      if (res.status !== 202) throw new Error(`${name}: ${res.status} ${JSON.stringify(res.json.status)}`);
      expect(await finish(app, res.record.id)).toContain('NORMAL');
      covered.add(name);
      if (spec.verb === 'create' && !name.endsWith('snapshot'))
        ids[spec.resource.replace(/^objectstorage-|^objectiam-/, '')] = res.record.object_id;
    }
    // The account delete is the last operation: it needs the bucket gone, and NSE cannot delete buckets.
    const blocked = await api(app, 'DELETE', `/v2.1/objectstorage/accounts/${ids.account as string}`);
    expect(blocked.status).toBe(412);
    const other = build();
    const account = await submit(other, 'POST', '/v2.1/objectstorage/accounts', {
      subtenant_id: F.subtenantId,
      quota_gb: 1,
    });
    await finish(other, account.id);
    const spec = findOperation('delete-objectstorage-account');
    const request = buildRequest(spec!, spec!.schema.parse({ id: account.object_id }));
    expect((await api(other, request.method, request.path, request.body)).status).toBe(202);
    covered.add('delete-objectstorage-account');
    expect([...covered].sort()).toEqual([...OPERATION_NAMES].sort());
  });
});

describe('validation, look-ups and preconditions', () => {
  it('answers 400 naming a missing field, an unknown field and a bad value', async () => {
    const app = build();
    const missing = await api(app, 'POST', '/v2.1/hostgroups', {
      subtenant_id: F.subtenantId,
      zone: F.zone,
      protocol: 'iscsi',
      os_type: 'linux',
    });
    expect(missing.status).toBe(400);
    expect(missing.json.status.user_message).toBe("Invalid request: 'name' is required.");
    const unknown = await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg', { colour: 'blue' }));
    expect(unknown.status).toBe(400);
    expect(unknown.json.status.user_message).toContain("unknown field 'colour'");
    const bad = await api(app, 'POST', '/v2.1/disks', diskBody('d', { protocol: 'carrier-pigeon' }));
    expect(bad.status).toBe(400);
    expect(bad.json.status.user_message).toContain("'protocol'");
    const empty = await api(app, 'POST', '/v2.1/objectstorage/buckets');
    expect(empty.status).toBe(400);
    expect(empty.json.status.user_message).toContain("'name' is required");
  });

  it('answers 400 with an envelope for a body that is not JSON', async () => {
    const app = build();
    const res = await raw(app, 'POST', '/api/v2.1/hostgroups', {
      headers: { authorization: BASIC, 'content-type': 'application/json' },
      text: '{"name":',
    });
    expect(res.statusCode).toBe(400);
    expectEnvelope(400, res.json());
  });

  it('accepts Gen-1 and Gen-2 network fields and names the missing one', async () => {
    const app = build();
    const gen2 = await api(app, 'POST', '/v2.1/blockstores', {
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
    });
    expect(gen2.status).toBe(202);
    expect(gen2.record.object_name).toBe(`${F.subtenantId}_${F.zone}`);
    const gen1 = await api(app, 'POST', '/v2.1/blockstores', {
      tenant_id: F.tenantId,
      subtenant_id: F.otherSubtenantId,
      zone: F.zone,
      subnet: '10.1.0.0/24',
      vlan_id: 101,
    });
    expect(gen1.status).toBe(202);
    const none = await api(app, 'POST', '/v2.1/fileservers', { name: 'fs', subtenant_id: F.subtenantId, zone: F.zone });
    expect(none.status).toBe(400);
    expect(none.json.status.user_message).toContain("'subnet_id'");
    const noVlan = await api(app, 'POST', '/v2.1/fileservers', {
      name: 'fs',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet: '10.0.0.0/24',
    });
    expect(noVlan.json.status.user_message).toContain("'vlan_id'");
  });

  it('answers 404 for unknown subtenants, zones, subnets, jobs, resources and routes', async () => {
    const app = build();
    const unknownId = 'ffffffffffffffffffffffff';
    expect((await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg', { subtenant_id: unknownId }))).status).toBe(
      404,
    );
    expect((await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg', { zone: 'zone-x' }))).status).toBe(404);
    expect(
      (await api(app, 'POST', '/v2.1/blockstores', { subtenant_id: F.subtenantId, zone: F.zone, subnet_id: unknownId }))
        .status,
    ).toBe(404);
    expect((await api(app, 'GET', `/v2.1/jobs/${unknownId}`)).status).toBe(404);
    for (const collection of [
      'blockstores',
      'disks',
      'hostgroups',
      'fileservers',
      'fileshares',
      'objectstorage/accounts',
      'objectiam/groups',
      'objectiam/users',
    ]) {
      expect((await api(app, 'GET', `/v2.1/${collection}/${unknownId}`)).status).toBe(404);
    }
    expect((await api(app, 'DELETE', `/v2.1/disks/${unknownId}`)).status).toBe(404);
    expect((await api(app, 'PUT', `/v2.1/fileshares/${unknownId}`, { size_gb: 1 })).status).toBe(404);
    const user = { display_name: 'u', subtenant_id: F.subtenantId, sg_group_membership: [unknownId] };
    expect((await api(app, 'POST', '/v2.1/objectiam/users', user)).status).toBe(404);
    expect((await api(app, 'GET', '/v2.1/nothing-here')).status).toBe(404);
  });

  it('refuses to delete a block store while its subtenant and zone have disks', async () => {
    const app = build();
    const store = await submit(app, 'POST', '/v2.1/blockstores', {
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
    });
    const disk = await submit(app, 'POST', '/v2.1/disks', diskBody('d1'));
    const refused = await api(app, 'DELETE', `/v2.1/blockstores/${store.object_id as string}`);
    expect(refused.status).toBe(412);
    expect(refused.json.status.verbose_message).toContain('d1');
    await finish(app, (await submit(app, 'DELETE', `/v2.1/disks/${disk.object_id as string}`)).id);
    expect((await api(app, 'DELETE', `/v2.1/blockstores/${store.object_id as string}`)).status).toBe(202);
  });

  it('refuses a second block store for the same subtenant and zone', async () => {
    const app = build();
    const body = { subtenant_id: F.subtenantId, zone: F.zone, subnet_id: F.subnetId };
    expect((await api(app, 'POST', '/v2.1/blockstores', body)).status).toBe(202);
    expect((await api(app, 'POST', '/v2.1/blockstores', body)).status).toBe(412);
  });

  it('refuses to delete a file server with shares', async () => {
    const app = build();
    const fs = await submit(app, 'POST', '/v2.1/fileservers', {
      name: 'fs',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
    });
    await submit(app, 'POST', '/v2.1/fileshares', {
      name: 'share',
      share_path: '/share',
      fileserver_id: fs.object_id,
      size_gb: 1,
      service_level: 'standard',
      protocol: 'nfs',
      security_style: 'unix',
      export_policy: [],
    });
    expect((await api(app, 'DELETE', `/v2.1/fileservers/${fs.object_id as string}`)).status).toBe(412);
  });

  it('refuses to delete a host group a disk still maps', async () => {
    const app = build();
    const hg = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-mapped'));
    const disk = await submit(app, 'POST', '/v2.1/disks', diskBody('d-mapped', { hostgroup_mappings: ['hg-mapped'] }));
    const refused = await api(app, 'DELETE', `/v2.1/hostgroups/${hg.object_id as string}`);
    expect(refused.status).toBe(412);
    await finish(
      app,
      (await submit(app, 'PUT', `/v2.1/disks/${disk.object_id as string}`, { hostgroup_mappings: [] })).id,
    );
    expect((await api(app, 'DELETE', `/v2.1/hostgroups/${hg.object_id as string}`)).status).toBe(202);
  });

  it('refuses a bucket until the account is Operational, and an account delete while it has a group', async () => {
    const app = build();
    const bucket = { name: 'bucket-a', subtenant_id: F.subtenantId };
    expect((await api(app, 'POST', '/v2.1/objectstorage/buckets', bucket)).status).toBe(412);
    const account = await submit(app, 'POST', '/v2.1/objectstorage/accounts', {
      subtenant_id: F.subtenantId,
      quota_gb: 10,
    });
    expect(account).toMatchObject({ object_type: 'sg_accounts', object_name: 'Acme - Engineering' });
    expect((await api(app, 'POST', '/v2.1/objectstorage/buckets', bucket)).status).toBe(412);
    await finish(app, account.id);
    const created = await submit(app, 'POST', '/v2.1/objectstorage/buckets', bucket);
    expect(created).toMatchObject({ object_type: 'sg_buckets', job_summary: 'Create S3 bucket for Sub Tenant' });
    await finish(app, created.id);
    const list = await api(app, 'GET', `/v2.1/objectstorage/buckets?subtenant_id=${F.subtenantId}`);
    expect(list.json.result.records).toEqual([
      expect.objectContaining({ name: 'bucket-a', creationTime: expect.any(String) }),
    ]);
    expect(
      (await api(app, 'GET', `/v2.1/objectstorage/buckets?subtenant_id=${F.otherSubtenantId}`)).json.result.records,
    ).toEqual([]);
    const refused = await api(app, 'DELETE', `/v2.1/objectstorage/accounts/${account.object_id as string}`);
    expect(refused.status).toBe(412);
    expect(refused.json.status.verbose_message).toContain('bucket-a');
  });
});

describe('job listing', () => {
  async function fiveJobs(app: SimulatorApp): Promise<Json[]> {
    const jobs: Json[] = [];
    for (let i = 0; i < 5; i += 1) jobs.push(await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody(`hg-${i}`)));
    return jobs;
  }

  it('lists jobs newest first with the documented envelope and defaults', async () => {
    const app = build();
    const jobs = await fiveJobs(app);
    const res = await api(app, 'GET', '/v2.1/jobs');
    expect(res.json.status.user_message).toBe('Okay. Returned 5 records.');
    expect(Object.keys(res.json.result)).toEqual([
      'returned_records',
      'total_records',
      'sort_by',
      'order_by',
      'offset',
      'limit',
      'records',
    ]);
    expect(res.json.result).toMatchObject({
      returned_records: 5,
      total_records: 5,
      sort_by: 'created',
      order_by: 'desc',
      offset: 0,
      limit: 20,
    });
    expect(res.json.result.records.map((j: Json) => j.id)).toEqual(jobs.map((j) => j.id).reverse());
    expect(res.json.result.records[0].job_tasks).toEqual(expect.any(Array));
  });

  it('pages with offset and limit, sorts both ways and by another field', async () => {
    const app = build();
    await fiveJobs(app);
    const pageTwo = await api(app, 'GET', '/v2.1/jobs?offset=1&limit=2');
    expect(pageTwo.json.result).toMatchObject({ returned_records: 2, total_records: 5, offset: 1, limit: 2 });
    expect(pageTwo.json.result.records.map((j: Json) => j.object_name)).toEqual(['hg-3', 'hg-2']);
    const asc = await api(app, 'GET', '/v2.1/jobs?order_by=asc&limit=1');
    expect(asc.json.status.user_message).toBe('Okay. Returned 1 record.');
    expect(asc.record.object_name).toBe('hg-0');
    const byName = await api(app, 'GET', '/v2.1/jobs?sort_by=object_name&order_by=desc');
    expect(byName.json.result.records.map((j: Json) => j.object_name)).toEqual([
      'hg-4',
      'hg-3',
      'hg-2',
      'hg-1',
      'hg-0',
    ]);
  });

  it('filters by tenant_id', async () => {
    const app = build();
    await fiveJobs(app);
    await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-foreign', { subtenant_id: F.foreignSubtenantId }));
    expect((await api(app, 'GET', `/v2.1/jobs?tenant_id=${F.tenantId}`)).json.result.total_records).toBe(5);
    const foreign = await api(app, 'GET', `/v2.1/jobs?tenant_id=${F.otherTenantId}`);
    expect(foreign.json.result.records.map((j: Json) => j.object_name)).toEqual(['hg-foreign']);
    expect(
      (await api(app, 'GET', `/v2.1/jobs?tenant_id=${F.tenantId}|${F.otherTenantId}`)).json.result.total_records,
    ).toBe(6);
  });

  it('refuses bad paging parameters with 400', async () => {
    const app = build();
    for (const query of ['limit=-1', 'offset=abc', 'order_by=sideways', 'sort_by=colour']) {
      expect((await api(app, 'GET', `/v2.1/jobs?${query}`)).status).toBe(400);
    }
  });
});

describe('seeded administrator resources', () => {
  it('serves tenants, subtenants filtered by tenant, zones, and subnets', async () => {
    const app = build();
    expect((await api(app, 'GET', '/v2.1/tenants')).json.result.total_records).toBe(2);
    expect((await api(app, 'GET', `/v2.1/tenants/${F.tenantId}`)).record).toMatchObject({ id: F.tenantId });
    const subtenants = await api(app, 'GET', `/v2.1/subtenants?tenant_id=${F.tenantId}`);
    expect(subtenants.json.result.records.map((s: Json) => s.id).sort()).toEqual(
      [F.subtenantId, F.otherSubtenantId].sort(),
    );
    expect((await api(app, 'GET', `/v2.1/subtenants/${F.subtenantId}`)).record).toMatchObject({
      tenant_id: F.tenantId,
    });
    expect((await api(app, 'GET', '/v2.1/subtenants/ffffffffffffffffffffffff')).status).toBe(404);
    expect((await api(app, 'GET', '/v2.1/zones')).json.result.records.map((z: Json) => z.name)).toEqual([
      F.zone,
      F.otherZone,
    ]);
    const subnets = await api(app, 'GET', `/v2.1/tenants/${F.tenantId}/zones/${F.zone}/subnets`);
    expect(subnets.json.result.records.map((s: Json) => s.id)).toContain(F.subnetId);
    const ids = [
      F.tenantId,
      F.otherTenantId,
      F.subtenantId,
      F.otherSubtenantId,
      F.foreignSubtenantId,
      F.subnetId,
      F.otherSubnetId,
    ];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{24}$/);
  });
});

describe('ledger', () => {
  it('records resources, events in order and every API request with its status', async () => {
    const app = build();
    const created = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-ledger'));
    await finish(app, created.id);
    const deletion = await submit(app, 'DELETE', `/v2.1/hostgroups/${created.object_id as string}`);
    await finish(app, deletion.id);
    await api(app, 'GET', '/v2.1/jobs?limit=5');
    await api(app, 'GET', '/v2.1/jobs', undefined, {});
    const ledger = (await raw(app, 'GET', '/_sim/ledger', { headers: { authorization: BASIC } })).json();
    expect(ledger.resources).toEqual([
      {
        id: created.object_id,
        type: 'hostgroup',
        name: 'hg-ledger',
        subtenant_id: F.subtenantId,
        state: 'Deleted',
        created: expect.any(String),
        deleted: expect.any(String),
      },
    ]);
    expect(ledger.events).toEqual([
      { seq: 1, kind: 'create', type: 'hostgroup', id: created.object_id, name: 'hg-ledger', jobId: created.id },
      { seq: 2, kind: 'delete', type: 'hostgroup', id: created.object_id, name: 'hg-ledger', jobId: deletion.id },
    ]);
    const requests = ledger.requests as Json[];
    expect(requests.map((r) => r.seq)).toEqual(requests.map((_r, i) => i + 1));
    expect(requests[0]).toEqual({ seq: 1, method: 'POST', path: '/v2.1/hostgroups', query: {}, status: 202 });
    expect(requests.at(-2)).toEqual({
      seq: requests.length - 1,
      method: 'GET',
      path: '/v2.1/jobs',
      query: { limit: '5' },
      status: 200,
    });
    expect(requests.at(-1)).toMatchObject({ path: '/v2.1/jobs', status: 401 });
    expect(requests.some((r) => String(r.path).startsWith('/_sim'))).toBe(false);
  });

  it('forgets everything on reset but keeps fixtures, users and the start-up rules', async () => {
    const startup: SimRule[] = [{ match: { name: 'boom-' }, outcome: 'ERROR' }];
    const app = build({ rules: startup });
    await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-reset'));
    await raw(app, 'PUT', '/_sim/rules', { headers: { authorization: BASIC }, body: [] });
    expect((await raw(app, 'POST', '/_sim/reset', { headers: { authorization: BASIC } })).statusCode).toBe(204);
    expect(app.sim.ledger()).toEqual({ resources: [], events: [], requests: [] });
    expect((await raw(app, 'GET', '/_sim/rules', { headers: { authorization: BASIC } })).json()).toEqual({
      rules: startup,
    });
    expect((await api(app, 'GET', `/v2.1/subtenants/${F.subtenantId}`)).status).toBe(200);
    expect((await api(app, 'GET', '/v2.1/jobs')).json.result.total_records).toBe(0);
  });
});

describe('rules', () => {
  it('validates rules and names the bad field', async () => {
    expect(() => buildSimulator({ rules: [{ outcome: 'MAYBE' } as unknown as SimRule] })).toThrow(RulesError);
    const app = build();
    const res = await raw(app, 'PUT', '/_sim/rules', {
      headers: { authorization: BASIC },
      body: [{ match: { path: '^(' } }],
    });
    expect(res.statusCode).toBe(400);
    expectEnvelope(400, res.json());
    expect(res.json().status.verbose_message).toContain('path');
    const ok = await raw(app, 'PUT', '/_sim/rules', {
      headers: { authorization: BASIC },
      body: { rules: [{ faults: { latencyMs: 5 } }] },
    });
    expect(ok.json()).toEqual({ rules: [{ faults: { latencyMs: { ms: 5 } } }] });
  });

  it('accepts the example of the documented rule format', () => {
    const source = readFileSync(path.join(__dirname, '../../src/simulator/rules.ts'), 'utf8');
    const example = /```json\n([\s\S]*?)```/.exec(source)?.[1] ?? '';
    const rules = parseRules(JSON.parse(example.replace(/^ \* ?/gm, '')));
    expect(rules).toHaveLength(3);
    expect(rules[1]?.faults?.latencyMs).toEqual({ ms: 20 });
  });

  it('matches paths by glob, :param and regex, and names by prefix and glob', () => {
    expect(pathMatches('/v2.1/jobs/:id', '/v2.1/jobs/abc')).toBe(true);
    expect(pathMatches('/v2.1/jobs/:id', '/v2.1/jobs')).toBe(false);
    expect(pathMatches('/v2.1/jobs/*', '/v2.1/jobs/abc/x')).toBe(false);
    expect(pathMatches('/v2.1/**', '/v2.1/jobs/abc/x')).toBe(true);
    expect(pathMatches('^/v2\\.1/(disks|hostgroups)$', '/v2.1/disks')).toBe(true);
    expect(nameMatches('db-', 'db-01')).toBe(true);
    expect(nameMatches('db-*-x', 'db-01-x')).toBe(true);
    expect(nameMatches('db-*-x', 'db-01')).toBe(false);
    expect(nameMatches('db-', undefined)).toBe(false);
  });

  it('scripts a job with explicit states, and the first matching rule wins', async () => {
    const app = build({
      rules: [
        { match: { method: 'POST', name: 'scripted-*' }, states: ['RUNNING', 'WARNING', 'PARTIAL_FAILURES'] },
        { match: { method: 'POST' }, outcome: 'ERROR' },
      ],
    });
    const scripted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('scripted-1'));
    expect(await finish(app, scripted.id)).toEqual(['running', 'WARNING', 'PARTIAL_FAILURES']);
    const other = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('plain'));
    expect(await finish(app, other.id)).toEqual(['running', 'ERROR']);
  });

  it('targets compensation deletes by operation', async () => {
    const app = build({ rules: [{ match: { operation: 'delete-*' }, outcome: 'ERROR' }] });
    const created = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-op'));
    expect(await finish(app, created.id)).toEqual(['running', 'NORMAL']);
    const deletion = await submit(app, 'DELETE', `/v2.1/hostgroups/${created.object_id as string}`);
    expect(await finish(app, deletion.id)).toEqual(['running', 'ERROR']);
    expect((await api(app, 'GET', `/v2.1/hostgroups/${created.object_id as string}`)).record.state).toBe(
      'Contact support',
    );
  });

  it('advances every n reads with perRead', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, advance: { perRead: 2 } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-per2'));
    const words: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const read = await readJob(app, job.id);
      words.push(read.state ?? read.status);
    }
    expect(words).toEqual(['pending', 'running', 'running', 'NORMAL']);
  });

  it('advances on the wall clock with everyMs, seen by reads and listings alike', async () => {
    let clock = 1_700_000_000_000;
    const app = build({ now: () => clock, rules: [{ match: { method: 'POST' }, advance: { everyMs: 1000 } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-clock'));
    expect((await readJob(app, job.id)).status).toBe('pending');
    expect((await readJob(app, job.id)).status).toBe('pending');
    clock += 1000;
    expect((await api(app, 'GET', '/v2.1/jobs')).record.status).toBe('running');
    clock += 1000;
    const done = await readJob(app, job.id);
    expect(done).toMatchObject({ state: 'NORMAL', updated: new Date(1_700_000_002_000).toISOString() });
    expect((await api(app, 'GET', `/v2.1/hostgroups/${job.object_id as string}`)).record.state).toBe('Operational');
  });

  it('matches job reads with the name and operation of the request that created the job', async () => {
    const app = build({ rules: [{ match: { method: 'GET', name: 'flaky-' }, faults: { http500: { times: 1 } } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('flaky-hg'));
    const steady = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('steady-hg'));
    expect((await api(app, 'GET', `/v2.1/jobs/${steady.id as string}`)).status).toBe(200);
    expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}`)).status).toBe(500);
    expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}`)).status).toBe(200);
  });
});

describe('faults', () => {
  it('answers 500 a given number of times without processing, then recovers', async () => {
    const app = build({
      rules: [{ match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { http500: { times: 2 } } }],
    });
    expect((await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-500'))).status).toBe(500);
    expect((await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-500'))).status).toBe(500);
    expect((await api(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-500'))).status).toBe(202);
    const ledger = app.sim.ledger();
    expect(ledger.events).toHaveLength(1);
    expect(ledger.requests.map((r) => [r.status, r.fault])).toEqual([
      [500, 'http500'],
      [500, 'http500'],
      [202, undefined],
    ]);
  });

  it('skips the first matches when asked to', async () => {
    const app = build({ rules: [{ match: { path: '/v2.1/zones' }, faults: { http500: { skip: 1, times: 1 } } }] });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await api(app, 'GET', '/v2.1/zones')).status);
    expect(statuses).toEqual([200, 500, 200]);
  });

  it('fires a rate fault on the same requests in every run with the same seed', async () => {
    const rules: SimRule[] = [{ match: { path: '/v2.1/zones' }, faults: { http500: { rate: 0.5, seed: 42 } } }];
    const pattern = async (): Promise<number[]> => {
      const app = build({ rules });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i += 1) statuses.push((await api(app, 'GET', '/v2.1/zones')).status);
      return statuses;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first).toContain(200);
    expect(first).toContain(500);
  });

  it('answers 429 with Retry-After', async () => {
    const app = build({
      rules: [{ match: { path: '/v2.1/jobs' }, faults: { http429: { times: 1, retryAfterSeconds: 7 } } }],
    });
    const limited = await api(app, 'GET', '/v2.1/jobs');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await api(app, 'GET', '/v2.1/jobs')).status).toBe(200);
  });

  it('delays an answer by latencyMs, and close() ends the delay', async () => {
    const app = build({
      rules: [{ match: { path: '/v2.1/zones' }, faults: { latencyMs: { ms: 600_000, times: 1 } } }],
    });
    const pending = raw(app, 'GET', '/api/v2.1/zones', { headers: { authorization: BASIC } });
    await until(() => app.sim.ledger().requests.length === 1);
    await app.close();
    const res = await pending;
    expect(res.statusCode).toBe(200);
    expect(app.sim.ledger().requests[0]).toMatchObject({ status: 200, fault: 'latencyMs' });
  });

  it('processes a request and then drops the connection without answering', async () => {
    const sim = await startSimulator({
      rules: [{ match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { dropAfterProcessing: { times: 1 } } }],
    });
    try {
      const auth = `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString('base64')}`;
      const post = fetch(`${sim.url}/v2.1/hostgroups`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(hostgroupBody('hg-dropped')),
      });
      await expect(post).rejects.toThrow();
      const ledger = await sim.ledger();
      expect(ledger.events).toEqual([expect.objectContaining({ kind: 'create', name: 'hg-dropped' })]);
      expect(await sim.requests('POST', '/v2.1/hostgroups')).toEqual([
        expect.objectContaining({ status: 202, fault: 'dropAfterProcessing' }),
      ]);
      const jobs = await fetch(`${sim.url}/v2.1/jobs`, { headers: { authorization: auth } });
      const listed = (await jobs.json()) as Json;
      expect(listed.result.records[0]).toMatchObject({ object_name: 'hg-dropped', id: ledger.events[0]?.jobId });
    } finally {
      await sim.close();
    }
  });

  it('sends a truncated JSON body with malformedJson', async () => {
    const app = build({ rules: [{ match: { path: '/v2.1/zones' }, faults: { malformedJson: { times: 1 } } }] });
    const res = await raw(app, 'GET', '/api/v2.1/zones', { headers: { authorization: BASIC } });
    expect(res.statusCode).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(() => JSON.parse(res.body)).toThrow();
    expect((await api(app, 'GET', '/v2.1/zones')).status).toBe(200);
  });

  it('reports an undocumented status word for N reads without moving the job', async () => {
    const app = build({ rules: [{ match: { path: '/v2.1/jobs/:id' }, faults: { unknownState: { times: 2 } } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-odd'));
    const first = await readJob(app, job.id);
    expect(first).toMatchObject({ status: 'reconciling', state: 'RECONCILING' });
    expect(await readJob(app, job.id)).toMatchObject({ status: 'reconciling' });
    expect(await finish(app, job.id)).toEqual(['running', 'NORMAL']);
  });

  it('forgets a finished job so later reads answer 404, keeping its effect', async () => {
    const app = build({
      rules: [{ match: { path: '/v2.1/jobs/:id' }, faults: { vanishAfterTerminal: { times: 1 } } }],
    });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-gone'));
    expect((await readJob(app, job.id)).status).toBe('running');
    expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}`)).status).toBe(404);
    expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}`)).status).toBe(404);
    expect((await api(app, 'GET', '/v2.1/jobs')).json.result.total_records).toBe(0);
    expect((await api(app, 'GET', `/v2.1/hostgroups/${job.object_id as string}`)).record.state).toBe('Operational');
  });

  it('lets a job show its terminal state a given number of times before vanishing', async () => {
    const app = build({
      rules: [{ match: { path: '/v2.1/jobs/:id' }, faults: { vanishAfterTerminal: { terminalReads: 1 } } }],
    });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-later'));
    expect(await finish(app, job.id)).toEqual(['running', 'NORMAL']);
    expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}`)).status).toBe(404);
  });
});

describe('long polling (simulator extension, not NSE)', () => {
  it('waits until another read moves the job, then answers with the change', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, advance: { perRead: 2 } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-long'));
    const polling = raw(
      app,
      'GET',
      `/api/v2.1/jobs/${job.id as string}?poll_timeout=120&last_modified=${encodeURIComponent(job.updated)}`,
      {
        headers: { authorization: BASIC },
      },
    );
    await until(() => app.sim.waitingLongPolls() === 1);
    expect((await readJob(app, job.id)).status).toBe('running');
    const res = await polling;
    expect(res.statusCode).toBe(200);
    expect(res.headers.get('x-nse-simulator-extension')).toBe('long-poll');
    const body = res.json();
    expectEnvelope(200, body);
    expect(body.result.records[0]).toMatchObject({ id: job.id, status: 'running' });
    expect(Date.parse(body.result.records[0].updated)).toBeGreaterThan(Date.parse(job.updated));
  });

  it('answers at once when the read itself changes the job or the job has finished', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-quick'));
    const url = (since: string) =>
      `/v2.1/jobs/${job.id as string}?poll_timeout=120&last_modified=${encodeURIComponent(since)}`;
    expect((await api(app, 'GET', url(job.updated))).record.status).toBe('running');
    const done = (await api(app, 'GET', url(job.updated))).record;
    expect(done.state).toBe('NORMAL');
    expect((await api(app, 'GET', url(done.updated))).record.state).toBe('NORMAL');
  });

  it('answers with the unchanged job when poll_timeout passes', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, advance: { perRead: 1000 } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-idle'));
    const res = await api(app, 'GET', `/v2.1/jobs/${job.id as string}?poll_timeout=1`);
    expect(res.status).toBe(200);
    expect(res.record).toMatchObject({ status: 'pending', updated: job.updated });
    expect(app.sim.waitingLongPolls()).toBe(0);
  });

  it('ends a waiting long poll when the simulator closes', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, advance: { perRead: 1000 } }] });
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-close'));
    const polling = raw(app, 'GET', `/api/v2.1/jobs/${job.id as string}?poll_timeout=120`, {
      headers: { authorization: BASIC },
    });
    await until(() => app.sim.waitingLongPolls() === 1);
    await app.close();
    expect((await polling).statusCode).toBe(200);
    expect(app.sim.waitingLongPolls()).toBe(0);
  });

  it('refuses a poll_timeout outside 1-120 s and a bad last_modified', async () => {
    const app = build();
    const job = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-bad-poll'));
    for (const query of [
      'poll_timeout=0',
      'poll_timeout=121',
      'poll_timeout=soon',
      'poll_timeout=5&last_modified=yesterday',
    ]) {
      expect((await api(app, 'GET', `/v2.1/jobs/${job.id as string}?${query}`)).status).toBe(400);
    }
  });
});

describe('test helper and runner', () => {
  it('starts on a real port, signs in, filters recorded requests and sets rules over HTTP', async () => {
    const sim = await startSimulator({ tokenTtlSeconds: 120 });
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
      const signin = await fetch(`${sim.url}/v2.1/auth/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: sim.username, password: sim.password }),
      });
      const { result } = (await signin.json()) as Json;
      const bearer = { authorization: `Bearer ${result.records[0].token as string}` };
      await sim.setRules([{ match: { method: 'GET', path: '/v2.1/zones' }, faults: { http500: { times: 1 } } }]);
      expect((await fetch(`${sim.url}/v2.1/zones`, { headers: bearer })).status).toBe(500);
      expect((await fetch(`${sim.url}/v2.1/zones?region_name=${F.region}`, { headers: bearer })).status).toBe(200);
      expect((await fetch(`${sim.url}/v2.1/jobs/abc`, { headers: bearer })).status).toBe(404);
      expect(await sim.requests()).toHaveLength(4);
      expect(await sim.requests('GET', '/v2.1/zones')).toEqual([
        expect.objectContaining({ status: 500 }),
        expect.objectContaining({ status: 200, query: { region_name: F.region } }),
      ]);
      expect(await sim.requests('get', '/v2.1/jobs/:id')).toHaveLength(1);
      await expect(sim.setRules([{ outcome: 'SOMETIMES' } as unknown as SimRule])).rejects.toThrow(/400/);
    } finally {
      await sim.close();
    }
  });

  it('runs from a rules file, prints the URL and default user, and closes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'nse-sim-'));
    const rulesFile = path.join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify({ rules: [{ match: { name: 'x-' }, outcome: 'ERROR' }] }));
    const lines: string[] = [];
    const handle = await runSimulator({ port: 0, rulesFile, print: (line) => lines.push(line) });
    try {
      expect(lines[0]).toBe(`NSE simulator listening on ${handle.url}`);
      expect(lines.join('\n')).toContain(F.defaultUser.password);
      const res = await fetch(`${handle.url.replace(/\/api$/, '')}/_sim/rules`, { headers: { authorization: BASIC } });
      expect(((await res.json()) as Json).rules).toHaveLength(1);
    } finally {
      await handle.close();
    }
    const custom: string[] = [];
    const quiet = await runSimulator({
      port: 0,
      users: [{ username: 'ops', password: 'do-not-print' }],
      print: (line) => custom.push(line),
    });
    await quiet.close();
    expect(custom.join('\n')).toContain('ops');
    expect(custom.join('\n')).not.toContain('do-not-print');
    writeFileSync(rulesFile, '[{"outcome": 1}]');
    await expect(runSimulator({ port: 0, rulesFile, print: () => undefined })).rejects.toThrow(rulesFile);
  });
});
