/**
 * The faults the simulator's rules inject, over HTTP.
 */
import { type SimRule } from '../../simulator/rules';
import { startSimulator } from '../helpers/simulator';
import {
  api,
  BASIC,
  build,
  closeAll,
  finish,
  hostgroupBody,
  type Json,
  raw,
  readJob,
  submit,
  until,
} from '../helpers/simulator-http';

afterEach(closeAll);

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
