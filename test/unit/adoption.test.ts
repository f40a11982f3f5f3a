/**
 * Safe adoption (src/activities/adoption.ts) against the simulator over HTTP: what a retried submit may take as its
 * own. Collisions are made on purpose: same names across tenants and types, nameless creates, old objects.
 */
import { findSubmittedJob, lookUpExisting } from '../../src/activities/adoption';
import { NseClient } from '../../src/nse/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { findOperation, buildRequest, type OperationSpec } from '../../src/shared/operations';
import { startSimulator, type RunningSimulator } from '../helpers/simulator';

let sim: RunningSimulator;
let nse: NseClient;

beforeEach(async () => {
  sim = await startSimulator();
  nse = new NseClient({ baseUrl: sim.url, auth: { kind: 'basic', username: sim.username, password: sim.password } });
});

afterEach(async () => {
  nse.close();
  await sim.close();
});

const spec = (name: string): OperationSpec => findOperation(name) as OperationSpec;

async function submit(operation: string, input: Record<string, unknown>): Promise<string> {
  const { method, path, body } = buildRequest(spec(operation), input);
  const answer = await nse.submit(method, path, body);
  if (answer.kind !== 'job') throw new Error('expected a job');
  return answer.job.id;
}

const hostgroup = (name: string, subtenant: string) => ({
  name,
  subtenant_id: subtenant,
  zone: SIM_FIXTURES.zone,
  protocol: 'iscsi',
  os_type: 'linux',
});

describe('findSubmittedJob', () => {
  it("takes the request's own job, never a same-named job of another tenant or type, also without a tenant", async () => {
    const notBefore = Date.now() - 60_000;
    const ours = await submit('create-hostgroup', hostgroup('twin', SIM_FIXTURES.subtenantId));
    await submit('create-hostgroup', hostgroup('twin', SIM_FIXTURES.foreignSubtenantId));
    await submit('create-disk', {
      ...hostgroup('twin', SIM_FIXTURES.subtenantId),
      disk_path: '/vol/twin',
      hostgroup_mappings: [],
      service_level: 'standard',
      size_gb: 10,
    });
    const request = { operation: 'create-hostgroup', input: hostgroup('twin', SIM_FIXTURES.subtenantId), notBefore };
    expect((await findSubmittedJob(nse, spec('create-hostgroup'), request))?.id).toBe(ours);
    const foreign = { ...request, input: hostgroup('twin', SIM_FIXTURES.otherSubtenantId) };
    expect(await findSubmittedJob(nse, spec('create-hostgroup'), foreign)).toBeUndefined();
    const wrongTenant = { ...request, tenantId: SIM_FIXTURES.otherTenantId };
    expect(await findSubmittedJob(nse, spec('create-hostgroup'), wrongTenant)).toBeUndefined();
  });

  it('finds a nameless create (a block store) by subtenant and zone, and not outside its time window', async () => {
    const input = { subtenant_id: SIM_FIXTURES.subtenantId, zone: SIM_FIXTURES.zone, subnet_id: SIM_FIXTURES.subnetId };
    const notBefore = Date.now() - 60_000;
    const jobId = await submit('create-blockstore', input);
    const request = { operation: 'create-blockstore', input, notBefore };
    expect((await findSubmittedJob(nse, spec('create-blockstore'), request))?.id).toBe(jobId);
    const otherZone = { ...request, input: { ...input, zone: SIM_FIXTURES.otherZone } };
    expect(await findSubmittedJob(nse, spec('create-blockstore'), otherZone)).toBeUndefined();
    const later = { ...request, notBefore: Date.now() + 60_000 };
    expect(await findSubmittedJob(nse, spec('create-blockstore'), later)).toBeUndefined();
  });
});

describe('lookUpExisting (a retried create answered "already exists")', () => {
  const input = { subtenant_id: SIM_FIXTURES.subtenantId, zone: SIM_FIXTURES.zone, subnet_id: SIM_FIXTURES.subnetId };

  it("adopts the existing object's job when it started within the run's window", async () => {
    const jobId = await submit('create-blockstore', input);
    const request = { operation: 'create-blockstore', input, notBefore: Date.now() - 60_000 };
    await expect(submit('create-blockstore', input)).rejects.toMatchObject({ status: 412 });
    expect(await lookUpExisting(nse, spec('create-blockstore'), request)).toMatchObject({
      kind: 'adopt',
      job: { id: jobId },
    });
  });

  it('names an object that existed before the run instead of adopting it', async () => {
    await submit('create-blockstore', input);
    const request = { operation: 'create-blockstore', input, notBefore: Date.now() + 60_000 };
    const found = await lookUpExisting(nse, spec('create-blockstore'), request);
    expect(found).toMatchObject({ kind: 'not-ours', objectId: expect.stringMatching(/^[0-9a-f]{24}$/) });
  });

  it("names, never adopts, a concurrent run's object when the requests differ in a field the object shows", async () => {
    const theirs = await submit('create-blockstore', { ...input, tags: { owner: 'run-a' } });
    const mine = { ...input, tags: { owner: 'run-b' } };
    const request = { operation: 'create-blockstore', input: mine, notBefore: Date.now() - 60_000 };
    expect(await findSubmittedJob(nse, spec('create-blockstore'), request)).toBeUndefined();
    const found = await lookUpExisting(nse, spec('create-blockstore'), request);
    const objectId = (await sim.ledger()).events.find((e) => e.jobId === theirs)?.id;
    expect(found).toEqual({ kind: 'not-ours', objectId, reason: expect.stringContaining('differs') });
    // The very same request (NSE cannot tell the two apart) is one request: its job may be adopted.
    const same = { ...request, input: { ...input, tags: { owner: 'run-a' } } };
    expect((await findSubmittedJob(nse, spec('create-blockstore'), same))?.id).toBe(theirs);
  });

  it("leaves a snapshot's 412 to NSE's own answer: it lists nothing under a templated path", async () => {
    const request = { operation: 'create-disk-snapshot', input: { disk_id: 'a'.repeat(24), name: 's1' }, notBefore: 0 };
    expect(await lookUpExisting(nse, spec('create-disk-snapshot'), request)).toBeUndefined();
    expect((await sim.ledger()).requests).toEqual([]);
  });

  it('finds nothing in another subtenant', async () => {
    await submit('create-blockstore', input);
    const elsewhere = { ...input, subtenant_id: SIM_FIXTURES.otherSubtenantId, subnet_id: SIM_FIXTURES.otherSubnetId };
    const request = { operation: 'create-blockstore', input: elsewhere, notBefore: 0 };
    expect(await lookUpExisting(nse, spec('create-blockstore'), request)).toBeUndefined();
  });
});
