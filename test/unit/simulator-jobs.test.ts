/**
 * Jobs of the simulator over HTTP: their life from the 202 answer to the end the rules or names script, listing,
 * and the long-poll extension (the only real wait is one 1 s long-poll timeout).
 */
import { type SimulatorApp } from '../../simulator/app';
import {
  api,
  BASIC,
  build,
  closeAll,
  diskBody,
  expectEnvelope,
  F,
  finish,
  hostgroupBody,
  IQN,
  type Json,
  raw,
  readJob,
  submit,
  until,
} from '../helpers/simulator-http';

afterEach(closeAll);

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
