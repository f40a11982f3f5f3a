/**
 * The simulator's resources over HTTP: every operation of the client catalogue, request validation, look-ups and
 * preconditions, and the seeded administrator resources.
 */
import { buildRequest, findOperation, OPERATION_NAMES } from '../../src/shared/operations';
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
  submit,
} from '../helpers/simulator-http';

afterEach(closeAll);

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
