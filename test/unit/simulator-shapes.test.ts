/**
 * The adversarial shapes of the simulator over HTTP (issue #14 point 8, #15 point 7): every documented job shape
 * selected by a rule's `jobShape`, the `CANCELLED` word, inline host groups as their own tasks and objects, nameless
 * creates answering 412, users scoped to their tenancies, and the read faults of what stands in front of NSE.
 */
import type { SimulatorApp } from '../../simulator/app';
import type { SimRule } from '../../simulator/rules';
import {
  api,
  basic,
  build,
  closeAll,
  diskBody,
  F,
  hostgroupBody,
  IQN,
  originOf,
  raw,
  readJob,
  submit,
  BASIC,
  type Json,
} from '../helpers/simulator-http';

afterEach(closeAll);

/** Reads a job until its status or state is terminal in any shape; returns every record read. */
async function readAll(app: SimulatorApp, id: string): Promise<Json[]> {
  const seen: Json[] = [];
  const terminal = ['successful', 'failed', 'partial_failures', 'cancelled', 'normal', 'error'];
  for (let i = 0; i < 20; i += 1) {
    const job = await readJob(app, id);
    seen.push(job);
    const words = [job.state, job.status].filter((w): w is string => typeof w === 'string');
    if (words.some((w) => terminal.includes(w.toLowerCase()))) return seen;
  }
  throw new Error(`job ${id} did not finish`);
}

const shaped = (jobShape: SimRule['jobShape'], extra: Partial<SimRule> = {}): SimRule[] => [
  { match: { method: 'POST' }, jobShape, ...extra },
];

describe('job shapes', () => {
  it('serves the seed shape: status words only, never a state', async () => {
    const app = build({ rules: shaped({ fields: 'status' }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-status'));
    expect(accepted.status).toBe('pending');
    const reads = await readAll(app, accepted.id);
    expect(reads.map((job) => job.status)).toEqual(['running', 'successful']);
    for (const job of [accepted, ...reads]) expect(job).not.toHaveProperty('state');
  });

  it('serves the state-only shape: state words, no status', async () => {
    const app = build({ rules: shaped({ fields: 'state' }, { outcome: 'ERROR' }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-state'));
    expect(accepted.state).toBe('PENDING');
    const reads = await readAll(app, accepted.id);
    expect(reads.map((job) => job.state)).toEqual(['RUNNING', 'ERROR']);
    for (const job of [accepted, ...reads]) expect(job).not.toHaveProperty('status');
  });

  it('puts state words in status when asked: status NORMAL', async () => {
    const app = build({ rules: shaped({ fields: 'status', statusWords: 'state' }, { outcome: 'PARTIAL_FAILURES' }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-words'));
    const reads = await readAll(app, accepted.id);
    expect(reads.map((job) => job.status)).toEqual(['RUNNING', 'PARTIAL_FAILURES']);
    const normal = build({ rules: shaped({ fields: 'status', statusWords: 'state' }) });
    const job = await submit(normal, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-normal'));
    expect((await readAll(normal, job.id)).at(-1)).toMatchObject({ status: 'NORMAL' });
  });

  it('shows both fields by default, state only once it is a documented word', async () => {
    const app = build();
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-both'));
    const reads = await readAll(app, accepted.id);
    expect(reads[0]).not.toHaveProperty('state');
    expect(reads.at(-1)).toMatchObject({ status: 'successful', state: 'NORMAL' });
  });

  it('ends a CANCELLED job with status cancelled, cancelled tasks and no documented state', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, outcome: 'CANCELLED' }] });
    const accepted = await submit(app, 'POST', '/v2.1/disks', diskBody('db-cancel'));
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    expect(done).toMatchObject({ status: 'cancelled', last_error: '' });
    expect(done).not.toHaveProperty('state');
    expect((done.job_tasks as Json[]).map((t) => t.status)).toEqual(['cancelled']);
    expect((await api(app, 'GET', `/v2.1/disks/${done.object_id as string}`)).record.state).toBe('Contact support');
  });

  it('names the object type with type, object_type, both, or as each endpoint documents it', async () => {
    const only = async (typeField: 'type' | 'object_type'): Promise<Json> => {
      const app = build({ rules: shaped({ typeField }) });
      return submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody(`hg-${typeField}`));
    };
    const typeOnly = await only('type');
    expect(typeOnly.type).toBe('hostgroup');
    expect(typeOnly).not.toHaveProperty('object_type');
    const objectTypeOnly = await only('object_type');
    expect(objectTypeOnly.object_type).toBe('ontap_hostgroups');
    expect(objectTypeOnly).not.toHaveProperty('type');

    const app = build({ rules: [{ jobShape: { typeField: 'documented' } }] });
    const disk = await submit(app, 'POST', '/v2.1/disks', diskBody('db-doc'));
    expect(Object.keys(disk).filter((k) => k.endsWith('type'))).toEqual(['type']);
    await readAll(app, disk.id);
    const snapshot = await submit(app, 'POST', `/v2.1/disks/${disk.object_id as string}/snapshot/snap1`, {});
    expect(snapshot).toMatchObject({ object_type: 'ontap_disks' });
    expect(snapshot).not.toHaveProperty('type');
    const server = await submit(app, 'POST', '/v2.1/fileservers', {
      name: 'fs-doc',
      subtenant_id: F.subtenantId,
      zone: F.zone,
      subnet_id: F.subnetId,
    });
    expect(server).toMatchObject({ type: 'fileserver' });
    expect(server).not.toHaveProperty('object_type');
    await readAll(app, server.id);
    const removal = await submit(app, 'DELETE', `/v2.1/fileservers/${server.object_id as string}`);
    expect(removal).toMatchObject({ object_type: 'ontap_fileservers' });
    expect(removal).not.toHaveProperty('type');
  });

  it('echoes the request in tasks as a JSON string when asked', async () => {
    const app = build({ rules: shaped({ requestPayload: 'string' }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-string'));
    const task = ((await readAll(app, accepted.id)).at(-1)?.job_tasks as Json[])[0] as Json;
    expect(typeof task.request_payload).toBe('string');
    expect(JSON.parse(task.request_payload as string)).toMatchObject({
      name: 'hg-string',
      admin_password: F.fakeSecrets.adminPassword,
    });
  });
});

describe('texts that quote the request and its secrets', () => {
  const cifsServer = {
    name: 'fs-quote',
    subtenant_id: F.subtenantId,
    zone: F.zone,
    subnet_id: F.subnetId,
    cifs_enabled: true,
    cifs_ad_password: 'ad-Secret-quoted-1',
    cifs_domain: 'corp.example',
    cifs_dns_servers: ['10.0.0.2'],
    cifs_server_name: 'FSQ',
  };

  it('quotes request values, the request secret and the driver password in a failed job and its task', async () => {
    const app = build({ rules: shaped({ texts: 'quoting' }, { outcome: 'ERROR' }) });
    const accepted = await submit(app, 'POST', '/v2.1/fileservers', cifsServer);
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    expect(done.state).toBe('ERROR');
    for (const text of [done.last_error, (done.job_tasks as Json[])[0]?.last_error] as string[]) {
      expect(text).toContain('ad-Secret-quoted-1');
      expect(text).toContain(F.fakeSecrets.adminPassword);
      expect(text).toContain('corp.example');
    }
    expect(done.status_detail).toContain("cifs_ad_password='ad-Secret-quoted-1'");
  });

  it('gives a successful job a benign last_error that does not change its state', async () => {
    const app = build({ rules: shaped({ texts: 'quoting' }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-benign'));
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    expect(done).toMatchObject({ status: 'successful', state: 'NORMAL' });
    expect(done.last_error).toContain(F.fakeSecrets.adminPassword);
  });

  it('keeps the short simulated texts by default', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, outcome: 'ERROR' }] });
    const accepted = await submit(app, 'POST', '/v2.1/fileservers', cifsServer);
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    expect(done.last_error).toMatch(/^Simulated failure/);
    expect(done.last_error).not.toContain('ad-Secret-quoted-1');
  });
});

describe('disks with inline host groups', () => {
  it('creates each inline host group as its own task and object; a partial failure leaves it Operational', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, outcome: 'PARTIAL_FAILURES' }] });
    const accepted = await submit(
      app,
      'POST',
      '/v2.1/disks',
      diskBody('db-inline', {
        hostgroup_mappings: ['hg-inline'],
        hostgroups: [{ name: 'hg-inline', initiators: [{ alias: 'h1', initiator: IQN }] }],
      }),
    );
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    const tasks = done.job_tasks as Json[];
    const igroup = tasks.find((t) => t.resource_type === 'ontap_igroup') as Json;
    expect(igroup).toMatchObject({ status: 'successful', object_type: 'ontap_hostgroups' });
    expect(igroup.object_id).not.toBe(done.object_id);
    expect(tasks.some((t) => t.status === 'failed')).toBe(true);
    const hostgroup = await api(app, 'GET', `/v2.1/hostgroups/${igroup.object_id as string}`);
    expect(hostgroup.record).toMatchObject({ name: 'hg-inline', state: 'Operational' });
    expect((await api(app, 'GET', `/v2.1/disks/${done.object_id as string}`)).record.state).toBe('Contact support');
  });
});

describe('nameless creates', () => {
  it('names a block store <subtenant>_<zone> and answers 412 to a second one in the same zone', async () => {
    const app = build();
    const body = { subtenant_id: F.subtenantId, zone: F.zone, subnet_id: F.subnetId };
    const first = await submit(app, 'POST', '/v2.1/blockstores', body);
    expect(first.object_name).toBe(`${F.subtenantId}_${F.zone}`);
    const again = await api(app, 'POST', '/v2.1/blockstores', body);
    expect(again.status).toBe(412);
    expect(again.json.status.verbose_message).toContain('already has a block store');
  });

  it('names an object storage account "<tenant> - <subtenant>" and answers 412 to a second one', async () => {
    const app = build();
    const body = { subtenant_id: F.subtenantId, quota_gb: 10 };
    const first = await submit(app, 'POST', '/v2.1/objectstorage/accounts', body);
    expect(first.object_name).toBe('Acme - Engineering');
    expect((await api(app, 'POST', '/v2.1/objectstorage/accounts', body)).status).toBe(412);
  });
});

describe('users scoped to their tenancies', () => {
  const ACME = basic(F.tenantUser);
  const GLOBEX = basic(F.otherTenantUser);

  it('signs a scoped user in with its own tenancy only', async () => {
    const app = build();
    const res = await api(app, 'POST', '/v2.1/auth/signin', {
      username: F.tenantUser.username,
      password: F.tenantUser.password,
    });
    expect(res.record.user.tenancies).toEqual([expect.objectContaining({ id: F.tenantId, role: 'user' })]);
  });

  it('answers 403 to anything of another tenant and leaves it out of lists', async () => {
    const app = build();
    const foreign = await submit(
      app,
      'POST',
      '/v2.1/hostgroups',
      hostgroupBody('hg-globex', {
        subtenant_id: F.foreignSubtenantId,
      }),
    );
    const own = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-acme'));
    const asAcme = (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) =>
      api(app, method, url, body, { authorization: ACME });

    expect((await asAcme('GET', `/v2.1/jobs/${foreign.id as string}`)).status).toBe(403);
    expect((await asAcme('GET', `/v2.1/jobs/${own.id as string}`)).status).toBe(200);
    expect((await asAcme('GET', `/v2.1/hostgroups/${foreign.object_id as string}`)).status).toBe(403);
    expect((await asAcme('DELETE', `/v2.1/hostgroups/${foreign.object_id as string}`)).status).toBe(403);
    expect((await asAcme('GET', `/v2.1/jobs?tenant_id=${F.otherTenantId}`)).status).toBe(403);
    expect((await asAcme('GET', `/v2.1/subtenants/${F.foreignSubtenantId}`)).status).toBe(403);
    const jobs = (await asAcme('GET', '/v2.1/jobs')).json.result.records as Json[];
    expect(jobs.map((j) => j.id)).toEqual([own.id]);
    const groups = (await asAcme('GET', '/v2.1/hostgroups')).json.result.records as Json[];
    expect(groups.map((g) => g.name)).toEqual(['hg-acme']);
    const subtenants = (await asAcme('GET', '/v2.1/subtenants')).json.result.records as Json[];
    expect(subtenants.every((s) => s.tenant_id === F.tenantId)).toBe(true);

    const before = app.sim.ledger().events.length;
    const create = await asAcme(
      'POST',
      '/v2.1/hostgroups',
      hostgroupBody('hg-sneak', {
        subtenant_id: F.foreignSubtenantId,
      }),
    );
    expect(create.status).toBe(403);
    expect(app.sim.ledger().events).toHaveLength(before);
    // The other tenant's own user sees it; the administrator sees both.
    expect(
      (await api(app, 'GET', `/v2.1/jobs/${foreign.id as string}`, undefined, { authorization: GLOBEX })).status,
    ).toBe(200);
    expect(
      (await api(app, 'GET', '/v2.1/jobs', undefined, { authorization: BASIC })).json.result.records as Json[],
    ).toHaveLength(2);
  });
});

describe('read faults of what stands in front of NSE', () => {
  const onJobReads = (faults: SimRule['faults']): SimRule[] => [
    { match: { method: 'GET', path: '/v2.1/jobs/:id' }, faults },
  ];

  it('answers a job read with a 302 to a login page, without moving the job', async () => {
    const app = build({ rules: onJobReads({ http302Login: { times: 1 } }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-302'));
    const res = await fetch(`${await originOf(app)}/api/v2.1/jobs/${accepted.id as string}`, {
      headers: { authorization: BASIC },
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('<html>');
    expect((await readJob(app, accepted.id)).status).toBe('running');
  });

  it('answers a 403 with an HTML body, then a 400 envelope, each once', async () => {
    const app = build({ rules: onJobReads({ http403Html: { times: 1 }, http400: { times: 1 } }) });
    const accepted = await submit(app, 'POST', '/v2.1/hostgroups', hostgroupBody('hg-403'));
    const url = `/api/v2.1/jobs/${accepted.id as string}`;
    const waf = await raw(app, 'GET', url, { headers: { authorization: BASIC } });
    expect(waf.statusCode).toBe(403);
    expect(waf.headers.get('content-type')).toContain('text/html');
    expect(() => waf.json()).toThrow();
    const bad = await api(app, 'GET', `/v2.1/jobs/${accepted.id as string}`);
    expect(bad.status).toBe(400);
    expect((await readJob(app, accepted.id)).status).toBe('running');
    const faults = app.sim
      .ledger()
      .requests.map((r) => r.fault)
      .filter(Boolean);
    expect(faults).toEqual(['http403Html', 'http400']);
  });
});

describe('a failed disk with inline host groups', () => {
  it('never creates the host group whose task was cancelled', async () => {
    const app = build({ rules: [{ match: { method: 'POST' }, outcome: 'ERROR' }] });
    const accepted = await submit(
      app,
      'POST',
      '/v2.1/disks',
      diskBody('db-inline-fail', { hostgroups: [{ name: 'hg-never', initiators: [] }] }),
    );
    const done = (await readAll(app, accepted.id)).at(-1) as Json;
    const igroup = (done.job_tasks as Json[]).find((t) => t.resource_type === 'ontap_igroup') as Json;
    expect(igroup.status).toBe('cancelled');
    expect((await api(app, 'GET', `/v2.1/hostgroups/${igroup.object_id as string}`)).status).toBe(404);
    expect(app.sim.ledger().resources.find((r) => r.name === 'hg-never')).toMatchObject({ state: 'Deleted' });
  });
});
