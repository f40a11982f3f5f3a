/**
 * Bugs the chaos work found in src/, kept as regression tests now that they are fixed. See docs/reliability.md
 * ("Findings") for the evidence.
 */
import { randomUUID } from 'node:crypto';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import type { OperationInput, OperationResult } from '../../src/shared/workflow-api';
import { diskFields } from '../helpers/fixtures';
import { startSimulator } from '../helpers/simulator';
import { createTestWorker, rootFailure, settle, uniqueTaskQueue } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const FAST = { initialIntervalMs: 20, maxIntervalMs: 40 };

describe('bugs found by the chaos suite', () => {
  const setup = useTestWorker({ queue: 'findings', client: true });

  async function run(input: OperationInput) {
    const handle = await setup.temporal.client.workflow.start('nseOperationWorkflow', {
      taskQueue: setup.taskQueue,
      workflowId: `finding-${randomUUID()}`,
      args: [input],
    });
    return await settle<OperationResult>(handle);
  }

  it("a snapshot submit retried after a 500 creates the snapshot instead of adopting its disk's create job", async () => {
    const { result: disk } = await run({ operation: 'create-disk', input: diskFields('adopt-disk'), poll: FAST });
    // Nothing is processed on a 500, so the retry has nothing to adopt; the disk's own create job (same object id,
    // action create, less than a minute old) must not pass for the snapshot's.
    await setup.sim.setRules([{ match: { method: 'POST', name: 'adopt-snap' }, faults: { http500: { times: 1 } } }]);
    const snapshot = { disk_id: disk?.objectId, name: 'adopt-snap' };
    const { result, error } = await run({ operation: 'create-disk-snapshot', input: snapshot, poll: FAST });
    expect(error).toBeUndefined();
    expect(result?.job?.id).not.toBe(disk?.job?.id);
    const creates = (await setup.sim.ledger()).events.filter((e) => e.kind === 'create' && e.name === 'adopt-snap');
    expect(creates).toHaveLength(1);
  });

  it('a snapshot whose create ended ERROR is left alone by its undo: NseJobFailed, not CompensationFailed', async () => {
    const { result: disk } = await run({ operation: 'create-disk', input: diskFields('finding-disk'), poll: FAST });
    const snapshot = { disk_id: disk?.objectId, name: 'fail-snap' };
    const { error } = await run({ operation: 'create-disk-snapshot', input: snapshot, poll: FAST });
    // The failed job already removed the snapshot, so the undo's DELETE answers 404: nothing is left to undo.
    const deletes = await setup.sim.requests('DELETE', '/v2.1/disks/:id/snapshot/:name');
    expect(deletes.map((r) => r.status)).toEqual([404]);
    expect(rootFailure(error)?.type).toBe(FailureType.NseJobFailed);
  });

  it('the client library hands a null operation input to the workflow, which rejects it with InvalidInput', async () => {
    const input = { operation: 'create-hostgroup', input: null } as unknown as OperationInput;
    // Once threw "TypeError: Cannot read properties of null (reading 'name')"; now the run refuses it at once.
    const error = await setup.client.startOperation(input).catch((err: unknown) => err);
    expect(error).toMatchObject({ failureType: FailureType.InvalidInput });
  });

  function hostgroupInput(name: string): Record<string, unknown> {
    return {
      name,
      subtenant_id: SIM_FIXTURES.subtenantId,
      zone: SIM_FIXTURES.zone,
      protocol: 'iscsi',
      os_type: 'linux',
    };
  }

  async function createsOf(name: string) {
    return (await setup.sim.ledger()).events.filter((e) => e.kind === 'create' && e.name === name);
  }

  it('when the last attempt of a submit goes unanswered after NSE acted, the run looks for the job and adopts it', async () => {
    // A 1 s budget ends the submit with its first attempt (the next would start after 2 s), whose answer is lost.
    await setup.sim.setRules([
      { match: { method: 'POST', name: 'last-try-hg' }, faults: { dropAfterProcessing: { times: 1 } } },
    ]);
    const { result, error } = await run({
      operation: 'create-hostgroup',
      input: hostgroupInput('last-try-hg'),
      poll: { ...FAST, submitTimeoutMs: 1_000 },
    });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ adopted: true, objectId: (await createsOf('last-try-hg'))[0]?.id });
    expect(await createsOf('last-try-hg')).toHaveLength(1);
  }, 90_000);

  it('a submit that NSE never answers fails NseUnavailable once NSE shows no job for it', async () => {
    await setup.sim.setRules([{ match: { method: 'POST', name: 'never-hg' }, faults: { http500: {} } }]);
    const listsBefore = (await setup.sim.requests('GET', '/v2.1/jobs')).length;
    const { error } = await run({
      operation: 'create-hostgroup',
      input: hostgroupInput('never-hg'),
      poll: { ...FAST, submitTimeoutMs: 1_000 },
    });
    expect(rootFailure(error)?.type).toBe(FailureType.NseUnavailable);
    expect(await createsOf('never-hg')).toHaveLength(0);
    // The run asked NSE for the job before failing.
    expect((await setup.sim.requests('GET', '/v2.1/jobs')).length).toBeGreaterThan(listsBefore);
  }, 90_000);

  it('when NSE cannot be asked after a lost answer, the failure says the object may exist and names it', async () => {
    await setup.sim.setRules([
      { match: { method: 'POST', name: 'unknown-hg' }, faults: { dropAfterProcessing: { times: 1 } } },
      { match: { method: 'GET', path: '/v2.1/jobs' }, faults: { http500: {} } },
    ]);
    const { error } = await run({
      operation: 'create-hostgroup',
      input: hostgroupInput('unknown-hg'),
      poll: { ...FAST, submitTimeoutMs: 1_000 },
    });
    const failure = rootFailure(error);
    expect(failure?.type).toBe(FailureType.NseUnavailable);
    expect(failure?.nonRetryable).toBe(true);
    expect(failure?.message).toMatch(/NSE could not be asked whether its last attempt was acted on .*check NSE for it/);
    expect(failure?.message).toContain('unknown-hg');
  }, 90_000);

  it('a 401 after a fresh sign-in is retried like an outage, then fails NseUnauthorized; nothing is created', async () => {
    const refusing = await startSimulator({ tokenTtlSeconds: 0 }); // every token it issues has already expired
    const queue = uniqueTaskQueue('finding-401');
    const { worker: refusedWorker, nse: refusedNse } = await createTestWorker(setup.temporal, refusing, queue);
    try {
      const handle = await setup.temporal.client.workflow.start('nseOperationWorkflow', {
        taskQueue: queue,
        workflowId: `finding-${randomUUID()}`,
        args: [
          {
            operation: 'create-hostgroup',
            input: hostgroupInput('refused-hg'),
            poll: { ...FAST, submitTimeoutMs: 5_000 },
          },
        ],
      });
      const { error } = await refusedWorker.runUntil(settle(handle));
      expect(rootFailure(error)?.type).toBe(FailureType.NseUnauthorized);
      const { events } = await handle.fetchHistory();
      const submitAttempts = events
        ?.map((e) => e.activityTaskStartedEventAttributes?.attempt)
        .filter((attempt) => attempt !== undefined && attempt !== null);
      expect(submitAttempts?.[0]).toBeGreaterThanOrEqual(2); // before the fix: one attempt, NseRejected
      expect((await refusing.ledger()).events).toHaveLength(0);
    } finally {
      refusedNse.close();
      await refusing.close();
    }
  }, 90_000);

  it('a failed compensation reports what NSE answered, not "Activity task failed"', async () => {
    await setup.sim.setRules([
      { match: { method: 'POST', name: 'fail-undo-hg' }, outcome: 'ERROR' },
      { match: { method: 'DELETE', name: 'fail-undo-hg' }, faults: { http500: {} } },
    ]);
    const { error } = await run({
      operation: 'create-hostgroup',
      input: hostgroupInput('fail-undo-hg'),
      poll: { ...FAST, submitTimeoutMs: 1_000 },
    });
    const failure = rootFailure(error);
    expect(failure?.type).toBe(FailureType.CompensationFailed);
    expect(failure?.message).toMatch(
      /then compensation failed: NSE DELETE \/v2\.1\/hostgroups\/\S+ failed with HTTP 500/,
    );
  }, 90_000);
});
