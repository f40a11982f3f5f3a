/**
 * Authentication of the simulator over HTTP (nse-api.md §2): Basic, sign-in and Bearer tokens, refresh, expiry, and
 * the control endpoints closed to all but its administrator.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { signJwt, verifyJwt } from '../../simulator/jwt';
import { api, BASIC, build, closeAll, F, finish, type Json, raw } from '../helpers/simulator-http';

afterEach(closeAll);

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
      ['GET', '/_sim/request-rate'],
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
