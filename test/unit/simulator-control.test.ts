/**
 * The simulator's ledger, its rules and their control endpoints, and the test helper and runner that start it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSimulator } from '../../simulator/app';
import { runSimulator } from '../../simulator/main';
import { nameMatches, parseRules, pathMatches, RulesError, type SimRule } from '../../simulator/rules';
import { startSimulator } from '../helpers/simulator';
import {
  api,
  BASIC,
  build,
  closeAll,
  expectEnvelope,
  F,
  finish,
  hostgroupBody,
  type Json,
  raw,
  readJob,
  submit,
} from '../helpers/simulator-http';

afterEach(closeAll);

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
        tenant_id: F.tenantId,
        subtenant_id: F.subtenantId,
        zone: F.zone,
        fields: expect.objectContaining({ name: 'hg-ledger', subtenant_id: F.subtenantId, os_type: 'linux' }),
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
    expect(requests[0]).toEqual({
      seq: 1,
      method: 'POST',
      path: '/v2.1/hostgroups',
      query: {},
      status: 202,
      body: hostgroupBody('hg-ledger'),
    });
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
    const source = readFileSync(path.join(__dirname, '../../simulator/rules.ts'), 'utf8');
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
