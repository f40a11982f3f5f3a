/**
 * NSE semantics of nseOperationWorkflow (issue #14) on the real dev server against the simulator over HTTP: every
 * documented job shape, reads that never end a run, task-level undo, a human decision, cancellation that tells the
 * truth, continue-as-new carrying the last job, and adoption that never takes another tenant's or type's job.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType, rootMessage } from '../../src/shared/failures';
import {
  decideUpdate,
  operationStatusQuery,
  setPollPolicyUpdate,
  type CompensationReport,
  type OperationInput,
  type OperationResult,
} from '../../src/shared/workflow-api';
import { nseOperationWorkflow } from '../../src/workflows';
import { FAST_POLL, hostgroupFields, hostgroupOperation } from '../helpers/fixtures';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { rootFailure, settle, type Settled } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

function diskOperation(name: string, extra: Record<string, unknown> = {}): OperationInput {
  return {
    operation: 'create-disk',
    tenantId: SIM_FIXTURES.tenantId,
    input: {
      subtenant_id: SIM_FIXTURES.subtenantId,
      zone: SIM_FIXTURES.zone,
      name,
      disk_path: `/vol/${name.replace(/-/g, '_')}`,
      protocol: 'iscsi',
      os_type: 'linux',
      hostgroup_mappings: [],
      service_level: 'standard',
      size_gb: 10,
      ...extra,
    },
    poll: FAST_POLL,
  };
}

describe('nseOperationWorkflow semantics', () => {
  const harness = useTestWorker({ queue: 'semantics', per: 'each', client: true });

  async function start(input: OperationInput): Promise<WorkflowHandle<typeof nseOperationWorkflow>> {
    return await harness.temporal.client.workflow.start(nseOperationWorkflow, {
      taskQueue: harness.taskQueue,
      workflowId: `test-${randomUUID()}`,
      args: [input],
    });
  }

  async function run(input: OperationInput, record?: string): Promise<Settled<OperationResult>> {
    const handle = await start(input);
    const settled = await settle<OperationResult>(handle);
    if (record) await replayAndMaybeRecord(handle, `nseOperationWorkflow-${record}`);
    return settled;
  }

  const compensationOf = (error: unknown): CompensationReport | undefined =>
    (rootFailure(error)?.details?.[0] as { compensation?: CompensationReport } | undefined)?.compensation;

  it.each([
    ["the seed's shape (status only)", { fields: 'status' }],
    ['state only', { fields: 'state' }],
    ['state words in status', { statusWords: 'state' }],
    ['texts quoting the request (a benign last_error on NORMAL)', { texts: 'quoting', typeField: 'documented' }],
  ] as const)('finishes a job shown in %s, without undoing it', async (_shape, jobShape) => {
    const name = `shape-${randomUUID().slice(0, 8)}`;
    await harness.sim.setRules([{ match: { name }, jobShape }]);
    const { result, error } = await run(hostgroupOperation(name));
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create']);
  });

  it('ends a CANCELLED job as failed and undoes it', async () => {
    await harness.sim.setRules([{ match: { name: 'cancelled-hg', method: 'POST' }, outcome: 'CANCELLED' }]);
    const { error } = await run(hostgroupOperation('cancelled-hg'));
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create', 'delete']);
  });

  it('reads an unknown state word as running, names it in the status and still finishes', async () => {
    await harness.sim.setRules([
      { match: { name: 'odd-hg' }, faults: { unknownState: { times: 2, word: 'SPLINING' } } },
    ]);
    const handle = await start(hostgroupOperation('odd-hg'));
    const { error } = await settle(handle);
    expect(error).toBeUndefined();
    const status = await handle.query(operationStatusQuery);
    expect(status.unknownStateWords?.map((w) => w.toUpperCase())).toContain('SPLINING');
  });

  it('keeps reading through a login redirect, a firewall 403 and a 400, counting them, and finishes', async () => {
    await harness.sim.setRules([
      {
        match: { method: 'GET', path: '/v2.1/jobs/*' },
        faults: { http302Login: { times: 2 }, http403Html: { times: 1 }, http400: { times: 1 } },
      },
    ]);
    const handle = await start(hostgroupOperation('readfault-hg'));
    const { result, error } = await settle<OperationResult>(handle);
    expect(error).toBeUndefined();
    expect(result?.job?.state).toBe('NORMAL');
    const status = await handle.query(operationStatusQuery);
    expect(status.readErrors).toBeGreaterThanOrEqual(4);
    expect(status.lastReadError).toBeDefined();
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-read-errors-retried');
  });

  it('undoes a disk and the host group created inline with it when the job partly fails, reporting each', async () => {
    const { error } = await run(
      diskOperation('partial-disk1', { hostgroups: [{ name: 'inline-hg1' }] }),
      'task-level-undo-inline-hostgroup',
    );
    expect(rootFailure(error)).toMatchObject({ type: FailureType.NseJobFailed });
    const compensation = compensationOf(error);
    expect(compensation?.outcome).toBe('compensated');
    expect(compensation?.steps?.map((s) => s.operation)).toEqual(['delete-disk', 'delete-hostgroup']);
    const events = (await harness.sim.ledger()).events;
    const deleted = events.filter((e) => e.kind === 'delete').map((e) => e.type);
    expect(deleted.sort()).toEqual(['disk', 'hostgroup']);
    const job = (rootFailure(error)?.details?.[0] as { job: OperationResult['job'] }).job;
    expect(job?.tasks.length).toBeGreaterThanOrEqual(2);
  });

  it('reports a partially failed update for manual clean-up, naming the object, and does not guess', async () => {
    const { result: disk } = await run(diskOperation('disk-upd1'));
    await harness.sim.setRules([{ match: { method: 'PUT' }, outcome: 'PARTIAL_FAILURES' }]);
    const { error } = await run({
      operation: 'update-disk',
      input: { id: disk?.objectId, size_gb: 20 },
      poll: FAST_POLL,
    });
    expect(compensationOf(error)).toMatchObject({ outcome: 'manual-cleanup-needed', objectId: disk?.objectId });
    expect(rootFailure(error)?.message).toContain('manual clean-up needed');
    expect((await harness.sim.ledger()).events.filter((e) => e.kind === 'update')).toHaveLength(1);
  });

  it('holds a failed job until `decide keep`, then leaves it and reports it kept', async () => {
    const handle = await start({ ...hostgroupOperation('fail-held1'), onFailure: 'hold' });
    await waitFor('the run to await a decision', async () => {
      const status = await handle.query(operationStatusQuery);
      return status.phase === 'awaiting-decision' ? status : undefined;
    });
    const unknown = await handle.executeUpdate(decideUpdate, { args: ['destroy' as 'keep'] }).catch((e: unknown) => e);
    expect(rootFailure(unknown)).toMatchObject({ type: FailureType.InvalidInput });
    expect(await harness.client.decide(handle.workflowId, 'keep')).toEqual({ decision: 'keep' });
    const { error } = await settle(handle);
    expect(compensationOf(error)).toMatchObject({ outcome: 'kept' });
    expect(rootFailure(error)?.message).toContain('kept');
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create']);
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-held-then-kept');
  });

  it('takes the default decision (compensate) when none comes in time', async () => {
    const { error } = await run({ ...hostgroupOperation('fail-held2'), onFailure: 'hold', holdTimeoutMs: 1000 });
    expect(compensationOf(error)).toMatchObject({ outcome: 'compensated' });
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create', 'delete']);
  });

  it('rejects `decide` on a run that is not awaiting a decision', async () => {
    await harness.sim.setRules([{ match: { name: 'busy-hg', method: 'POST' }, states: Array(50).fill('RUNNING') }]);
    const handle = await start(hostgroupOperation('busy-hg'));
    await waitFor('a poll', async () => ((await handle.query(operationStatusQuery)).polls > 0 ? true : undefined));
    const rejected = await handle.executeUpdate(decideUpdate, { args: ['compensate'] }).catch((err: unknown) => err);
    expect(rootMessage(rejected)).toMatch(/not awaiting a decision/);
    expect(rootFailure(rejected)).toMatchObject({ type: FailureType.InvalidInput });
    // Updates take the limits of every other entry: too deep an argument is InvalidInput, not a RangeError.
    const deep: unknown = JSON.parse('['.repeat(40) + ']'.repeat(40));
    for (const update of [decideUpdate.name, setPollPolicyUpdate.name]) {
      const tooDeep = await handle.executeUpdate(update, { args: [deep] }).catch((e: unknown) => e);
      expect(rootFailure(tooDeep)).toMatchObject({ type: FailureType.InvalidInput });
      expect(rootMessage(tooDeep)).toMatch(/nested more than 32 levels deep/);
    }
    await handle.terminate();
  });

  it('ends a cancelled run FAILED with CancelCleanUpIncomplete naming the object when its undo fails', async () => {
    await harness.sim.setRules([
      { match: { name: 'cancel-hg1', method: 'POST' }, states: ['RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'] },
      { match: { method: 'DELETE' }, outcome: 'ERROR' },
    ]);
    const handle = await start(hostgroupOperation('cancel-hg1'));
    await waitFor('a poll', async () => ((await handle.query(operationStatusQuery)).polls > 0 ? true : undefined));
    await handle.cancel();
    const { error } = await settle(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.CancelCleanUpIncomplete });
    const created = (await harness.sim.ledger()).events.find((e) => e.kind === 'create');
    expect(failure?.message).toContain('failed');
    expect(JSON.stringify(failure?.details)).toContain(String(created?.id));
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-cancel-clean-up-failed');
  });

  it('carries the last job across continue-as-new: a 404 right after continuing still reads the outcome', async () => {
    await harness.sim.setRules([
      {
        match: { name: 'can-hg1' },
        states: ['RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'],
        faults: { vanishAfterTerminal: { terminalReads: 0 } },
      },
    ]);
    const { result, error } = await run(
      hostgroupOperation('can-hg1', { maxPollsPerRun: 3 }),
      'continued-then-vanished',
    );
    expect(error).toBeUndefined();
    expect(result?.job?.statusDetail).toContain('no longer kept by NSE');
  });

  it("never adopts another tenant's or another type's same-named job, also without a tenant", async () => {
    // Same name: a host group of another tenant and a disk of ours, both within the run's time window.
    const foreign = await run({
      operation: 'create-hostgroup',
      input: { ...hostgroupFields('twin-hg'), subtenant_id: SIM_FIXTURES.foreignSubtenantId },
      poll: FAST_POLL,
    });
    expect(foreign.error).toBeUndefined();
    expect((await run(diskOperation('twin-hg'))).error).toBeUndefined();
    // Our first attempt gets a 500 before NSE does anything; the retry must then create, not adopt.
    await harness.sim.setRules([
      { match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { http500: { times: 1 } } },
    ]);
    const ours = await run({ operation: 'create-hostgroup', input: hostgroupFields('twin-hg'), poll: FAST_POLL });
    expect(ours.error).toBeUndefined();
    expect(ours.result?.adopted).toBe(false);
    expect(ours.result?.objectId).not.toBe(foreign.result?.objectId);
    const creates = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create' && e.type === 'hostgroup');
    expect(creates).toHaveLength(2);
  });

  it('adopts a nameless create (a block store, by subtenant and zone) after a lost answer', async () => {
    await harness.sim.setRules([
      { match: { method: 'POST', path: '/v2.1/blockstores' }, faults: { dropAfterProcessing: { times: 1 } } },
    ]);
    const { result, error } = await run({
      operation: 'create-blockstore',
      input: {
        subtenant_id: SIM_FIXTURES.otherSubtenantId,
        zone: SIM_FIXTURES.zone,
        subnet_id: SIM_FIXTURES.otherSubnetId,
      },
      poll: FAST_POLL,
    });
    expect(error).toBeUndefined();
    expect(result?.adopted).toBe(true);
    expect((await harness.sim.ledger()).events.filter((e) => e.kind === 'create')).toHaveLength(1);
  });

  it.each([
    [
      'block store',
      'create-blockstore',
      '/v2.1/blockstores',
      { subtenant_id: SIM_FIXTURES.otherSubtenantId, zone: SIM_FIXTURES.zone, subnet_id: SIM_FIXTURES.otherSubnetId },
    ],
    [
      'object-storage account',
      'create-objectstorage-account',
      '/v2.1/objectstorage/accounts',
      { subtenant_id: SIM_FIXTURES.otherSubtenantId, quota_gb: 100 },
    ],
  ])(
    'adopts its own %s when the answer to its create was lost and the retry was answered 412',
    async (_what, operation, path, input) => {
      // The answer is lost after NSE created the object; the retry's look-up meets a job list that lags behind, so
      // the retry is sent and NSE answers 412: the run must find the object and adopt its own job.
      await harness.sim.setRules([
        { match: { method: 'POST', path }, faults: { dropAfterProcessing: { times: 1 } } },
        { match: { method: 'GET', path: '/v2.1/jobs' }, faults: { staleJobList: { times: 1 } } },
      ]);
      const { result, error } = await run({ operation, tenantId: SIM_FIXTURES.tenantId, input, poll: FAST_POLL });
      expect(error).toBeUndefined();
      const ledger = await harness.sim.ledger();
      const creates = ledger.events.filter((e) => e.kind === 'create');
      expect(creates).toHaveLength(1);
      expect(ledger.requests.filter((r) => r.method === 'POST' && r.path === path).map((r) => r.status)).toEqual([
        202, 412,
      ]);
      expect(result).toMatchObject({ adopted: true, objectId: creates[0]?.id, job: { id: creates[0]?.jobId } });
      expect(result?.job?.state).toBe('NORMAL');
    },
  );

  it.each([
    [
      'on its retry (the first attempt met a 500)',
      [{ match: { method: 'POST', path: '/v2.1/hostgroups' }, faults: { http500: { times: 1 } } }],
    ],
    ['on its first attempt', []],
  ])(
    "never adopts another tenant's, type's or request's same-named object: answered 412 %s, it fails naming it",
    async (_when, rules) => {
      const name = `taken-${randomUUID().slice(0, 8)}`;
      // Within the run's time window: the same name in another tenant, as a disk of ours, and as a host group of our
      // subtenant made by another request (another OS type). Only the last is in the way of our create.
      const foreign = await run({
        operation: 'create-hostgroup',
        input: { ...hostgroupFields(name), subtenant_id: SIM_FIXTURES.foreignSubtenantId },
        poll: FAST_POLL,
      });
      expect((await run(diskOperation(name))).error).toBeUndefined();
      const other = await run({ ...hostgroupOperation(name), input: { ...hostgroupFields(name), os_type: 'windows' } });
      expect([foreign.error, other.error]).toEqual([undefined, undefined]);
      await harness.sim.setRules(rules);
      const before = (await harness.sim.ledger()).events.length;

      const { result, error } = await run(hostgroupOperation(name));
      expect(result).toBeUndefined();
      const failure = rootFailure(error);
      expect(failure?.type).toBe(FailureType.NseRejected);
      expect(failure?.message).toContain(`hostgroup ${other.result?.objectId} already exists and was not adopted`);
      const ledger = await harness.sim.ledger();
      expect(ledger.events.slice(before)).toEqual([]); // nothing created, nothing undone
      expect(ledger.requests.filter((r) => r.method === 'POST' && r.path === '/v2.1/hostgroups').at(-1)?.status).toBe(
        412,
      );
    },
  );
});
