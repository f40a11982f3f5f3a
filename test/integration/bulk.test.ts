/**
 * bulkWorkflow and redrive on the real Temporal dev server against the NSE simulator over HTTP, started through the
 * client library.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { NotRedrivableError } from '../../src/client';
import { FailureType } from '../../src/shared/failures';
import type { BulkInput, BulkResult, BulkStatus } from '../../src/shared/bulk';
import type { ProvisionPlan } from '../../src/shared/plans';
import {
  BulkSearchAttributes,
  SearchAttributes,
  type ProvisionResult,
  type StepReport,
} from '../../src/shared/workflow-api';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { diskFields, FAST_POLL, hostgroupFields } from '../helpers/fixtures';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

/** A bulk of host group creates: the shared fields once, each item its own name. */
function hostgroupBulk(names: string[], extra: Partial<BulkInput> = {}): BulkInput {
  const { name: _name, ...shared } = hostgroupFields('x');
  return {
    name: 'hostgroups',
    operation: 'create-hostgroup',
    tenantId: SIM_FIXTURES.tenantId,
    input: shared,
    poll: FAST_POLL,
    items: names.map((name) => ({ key: name, input: { name } })),
    ...extra,
  };
}

/** The fairness key a run's workflow tasks (and, inherited, its activities) carry. */
async function fairnessKeyOf(harness: ReturnType<typeof useTestWorker>, workflowId: string): Promise<unknown> {
  const { raw } = await harness.temporal.client.workflow.getHandle(workflowId).describe();
  return raw.workflowExecutionInfo?.priority?.fairnessKey;
}

/** Creates of `flaky-` names fail (their undo does not) until the rules are cleared. */
const FLAKY_CREATES = { match: { name: 'flaky-', operation: 'create-hostgroup' }, outcome: 'ERROR' as const };

/** Every run of a workflow id, oldest first, with its history length. */
async function runsOf(harness: ReturnType<typeof useTestWorker>, workflowId: string): Promise<number[]> {
  const lengths: number[] = [];
  const escaped = workflowId.replace(/'/g, "''");
  for await (const run of harness.temporal.client.workflow.list({ query: `WorkflowId = '${escaped}'` }))
    lengths.unshift(run.historyLength);
  return lengths;
}

describe('bulkWorkflow', () => {
  const harness = useTestWorker({ queue: 'bulk', per: 'each', client: true });

  it('runs every item, keeps failures under the tolerance, continues as new with bounded histories', async () => {
    const names = ['bk-a', 'bk-b', 'fail-bk-c', 'bk-d', 'bk-e'];
    const bulk = hostgroupBulk(names, { toleratedFailurePercent: 20, itemsPerRun: 2, maxConcurrency: 2 });
    // One item is another tenant's (in its subtenant): its run takes turns as that tenant, not as the bulk's.
    bulk.items[3] = {
      key: 'bk-d',
      tenantId: SIM_FIXTURES.otherTenantId,
      input: { name: 'bk-d', subtenant_id: SIM_FIXTURES.foreignSubtenantId },
    };
    const handle = await harness.client.startBulk(bulk);
    const { result, error } = await settle<BulkResult>(handle);
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ bulk: 'hostgroups', total: 5, done: 4, failed: 1 });
    const outcomes = Object.fromEntries((result?.items ?? []).map((item) => [item.key, item.outcome]));
    expect(outcomes).toEqual({ 'bk-a': 'done', 'bk-b': 'done', 'fail-bk-c': 'failed', 'bk-d': 'done', 'bk-e': 'done' });
    expect(result?.items.find((item) => item.key === 'fail-bk-c')?.message).toMatch(/ended ERROR/);
    // Each item is its own run under the bulk's id; each run of the bulk started at most itemsPerRun children.
    const child = await harness.temporal.client.workflow.getHandle(`${handle.workflowId}/bk-a`).describe();
    expect(child.type).toBe('nseOperationWorkflow');
    expect(await fairnessKeyOf(harness, handle.workflowId)).toBe(SIM_FIXTURES.tenantId);
    expect(await fairnessKeyOf(harness, `${handle.workflowId}/bk-a`)).toBe(SIM_FIXTURES.tenantId);
    expect(await fairnessKeyOf(harness, `${handle.workflowId}/bk-d`)).toBe(SIM_FIXTURES.otherTenantId);
    const lengths = await runsOf(harness, handle.workflowId);
    expect(lengths).toHaveLength(3);
    // A run's events grow with the children it starts (about 14 each at most), never with the bulk's size.
    for (const length of lengths) expect(length).toBeLessThanOrEqual(2 * 14 + 20);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(BulkSearchAttributes.NseItemsDone)).toBe(4);
    expect(description.typedSearchAttributes.get(BulkSearchAttributes.NseItemsFailed)).toBe(1);
    expect(description.typedSearchAttributes.get(BulkSearchAttributes.NseItemsRunning)).toBe(0);
    expect(description.typedSearchAttributes.get(SearchAttributes.NsePhase)).toBe('succeeded');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseObjectType)).toBe('bulk');
    await replayAndMaybeRecord(handle, 'bulkWorkflow-under-tolerance');
  });

  it('stops and fails over the tolerance, listing what was done; a redrive reruns only the failed items', async () => {
    await harness.sim.setRules([FLAKY_CREATES]);
    const names = ['ok-1', 'flaky-2', 'ok-3', 'ok-4'];
    const bulk = hostgroupBulk(names, { maxConcurrency: 1, toleratedFailurePercent: 0 });
    const handle = await harness.client.startBulk(bulk);
    const failure = rootFailure((await settle(handle)).error);
    expect(failure).toMatchObject({ type: FailureType.BulkFailed, nonRetryable: true });
    const report = failure?.details?.[0] as BulkResult;
    expect(report.items.map((item) => [item.key, item.outcome])).toEqual([
      ['ok-1', 'done'],
      ['flaky-2', 'failed'],
      ['ok-3', 'not-started'],
      ['ok-4', 'not-started'],
    ]);
    await replayAndMaybeRecord(handle, 'bulkWorkflow-over-tolerance');

    await harness.sim.setRules([]);
    const failedRunId = (await handle.describe()).runId;
    const redriven = await harness.client.redrive(handle.workflowId);
    const { result, error } = await settle<BulkResult>(redriven);
    expect(rootFailure(error)?.message).toBeUndefined();
    expect(result?.items.map((item) => [item.key, item.outcome, item.reused ?? false])).toEqual([
      ['ok-1', 'done', true],
      ['flaky-2', 'done', false],
      ['ok-3', 'done', false],
      ['ok-4', 'done', false],
    ]);
    const creates = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create').map((e) => e.name);
    expect(creates).toEqual(['ok-1', 'flaky-2', 'flaky-2', 'ok-3', 'ok-4']); // ok-1 is not created twice
    const description = await redriven.describe();
    expect(description.typedSearchAttributes.get(SearchAttributes.NseRedriveOf)).toBe(handle.workflowId);
    expect(await description.staticDetails()).toContain(`Redrive of [${handle.workflowId}]`);
    const started = (await redriven.fetchHistory()).events?.[0];
    expect(started?.links?.[0]?.workflowEvent).toMatchObject({ workflowId: handle.workflowId, runId: failedRunId });
    // One redrive per failed run.
    await expect(harness.client.redrive(handle.workflowId)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
  });

  it('redrives the failed items of a bulk that completed within its tolerance, once; not a bulk with none', async () => {
    await harness.sim.setRules([FLAKY_CREATES]);
    const bulk = hostgroupBulk(['rc-1', 'flaky-rc-2', 'rc-3'], { maxConcurrency: 1, toleratedFailurePercent: 50 });
    const handle = await harness.client.startBulk(bulk);
    const first = await settle<BulkResult>(handle);
    expect(first.result).toMatchObject({ total: 3, done: 2, failed: 1 });

    await harness.sim.setRules([]);
    const completedRunId = (await handle.describe()).runId;
    const redriven = await harness.client.redrive(handle.workflowId);
    const { result, error } = await settle<BulkResult>(redriven);
    expect(rootFailure(error)?.message).toBeUndefined();
    expect(result?.items.map((item) => [item.key, item.outcome, item.reused ?? false])).toEqual([
      ['rc-1', 'done', true],
      ['rc-3', 'done', true],
      ['flaky-rc-2', 'done', false],
    ]);
    expect(result).toMatchObject({ total: 3, done: 3, failed: 0 });
    const creates = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create').map((e) => e.name);
    expect(creates).toEqual(['rc-1', 'flaky-rc-2', 'rc-3', 'flaky-rc-2']); // only the failed item runs again
    const description = await redriven.describe();
    expect(description.typedSearchAttributes.get(SearchAttributes.NseRedriveOf)).toBe(handle.workflowId);
    const started = (await redriven.fetchHistory()).events?.[0];
    expect(started?.links?.[0]?.workflowEvent).toMatchObject({ workflowId: handle.workflowId, runId: completedRunId });
    await expect(harness.client.redrive(handle.workflowId)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    // The redrive completed with every item done: nothing is left to redrive.
    await expect(harness.client.redrive(redriven.workflowId)).rejects.toThrow(
      new NotRedrivableError(`${redriven.workflowId} completed with every item done: there is nothing to redrive`),
    );
  });

  it('takes a new maxConcurrency on a running bulk, and refuses a bad one', async () => {
    const running = {
      match: { name: 'long-', operation: 'create-hostgroup' },
      states: [...Array<'RUNNING'>(6).fill('RUNNING'), 'NORMAL' as const],
    };
    await harness.sim.setRules([running]);
    const handle = await harness.client.startBulk(
      hostgroupBulk(['long-1', 'long-2', 'long-3', 'long-4'], { maxConcurrency: 1 }),
    );
    const status = (): Promise<BulkStatus> => harness.client.getStatus(handle.workflowId) as Promise<BulkStatus>;
    await waitFor('one item in flight', async () => ((await status()).running === 1 ? true : undefined));
    expect(await status()).toMatchObject({ running: 1, pending: 3, maxConcurrency: 1 });
    await expect(harness.client.setBulkLimits(handle.workflowId, { maxConcurrency: 0 })).rejects.toMatchObject({
      failureType: FailureType.InvalidInput,
    });
    expect(await harness.client.setBulkLimits(handle.workflowId, { maxConcurrency: 3 })).toEqual({
      maxConcurrency: 3,
      toleratedFailurePercent: 0,
    });
    const three = await waitFor('three items in flight', async () => {
      const now = await status();
      return now.running === 3 ? now : undefined;
    });
    expect(three).toMatchObject({ running: 3, maxConcurrency: 3 });
    const { result } = await settle<BulkResult>(handle);
    expect(result).toMatchObject({ done: 4, failed: 0 });
  });

  it('refuses an invalid items file before any NSE call, naming the item', async () => {
    const bulk = hostgroupBulk(['good-1', 'good-2']);
    (bulk.items[1] as { input: Record<string, unknown> }).input.protocol = 'carrier-pigeon';
    const failure = rootFailure((await settle(await harness.client.startBulk(bulk))).error);
    expect(failure?.type).toBe(FailureType.InvalidInput);
    expect(failure?.message).toMatch(/items\[1\] \(key good-2\)\.input\.protocol/);
    expect((await harness.sim.ledger()).events).toHaveLength(0);
  });

  it('cancels the items in flight (each undoes its job) and reports every item', async () => {
    await harness.sim.setRules([
      {
        match: { name: 'long-', operation: 'create-hostgroup' },
        states: [...Array<'RUNNING'>(12).fill('RUNNING'), 'NORMAL'],
      },
    ]);
    const handle = await harness.client.startBulk(hostgroupBulk(['long-a', 'long-b', 'long-c'], { maxConcurrency: 2 }));
    await waitFor('two items in flight', async () => {
      const status = (await harness.client.getStatus(handle.workflowId)) as BulkStatus;
      return status.running === 2 ? true : undefined;
    });
    await handle.cancel();
    const failure = rootFailure((await settle(handle)).error);
    expect(failure?.type).toBe(FailureType.BulkCancelled);
    const report = failure?.details?.[0] as BulkResult;
    expect(Object.fromEntries(report.items.map((item) => [item.key, item.outcome]))).toEqual({
      'long-a': 'cancelled',
      'long-b': 'cancelled',
      'long-c': 'not-started',
    });
  });
});

describe('redrive of a plan', () => {
  const harness = useTestWorker({ queue: 'redrive-plan', per: 'each', client: true });

  it('reruns the steps the failed plan undid, and links the new run to it', async () => {
    await harness.sim.setRules([FLAKY_CREATES]);
    const plan: ProvisionPlan = {
      name: 'two-groups',
      tenantId: SIM_FIXTURES.tenantId,
      poll: FAST_POLL,
      steps: [
        { id: 'first', operation: 'create-hostgroup', input: hostgroupFields('plan-first') },
        { id: 'second', operation: 'create-hostgroup', input: hostgroupFields('flaky-second') },
      ],
    };
    const handle = await harness.client.startProvisioning(plan);
    const failure = rootFailure((await settle(handle)).error);
    const steps = (failure?.details?.[0] as { steps: StepReport[] }).steps;
    expect(steps.map((s) => s.outcome)).toEqual(['compensated', 'failed']);
    // The client starts the plan with its tenant as fairness key; its steps' runs inherit it.
    expect(await fairnessKeyOf(harness, handle.workflowId)).toBe(SIM_FIXTURES.tenantId);
    expect(await fairnessKeyOf(harness, `${handle.workflowId}/first`)).toBe(SIM_FIXTURES.tenantId);

    await harness.sim.setRules([]);
    const redriven = await harness.client.redrive(handle.workflowId);
    const { result, error } = await settle<ProvisionResult>(redriven);
    expect(rootFailure(error)?.message).toBeUndefined();
    // The first step was undone by the failed run: "done" is what still exists, so it runs again.
    expect(result?.steps.map((s) => [s.id, s.outcome])).toEqual([
      ['first', 'done'],
      ['second', 'done'],
    ]);
    const description = await redriven.describe();
    expect(description.typedSearchAttributes.get(SearchAttributes.NseRedriveOf)).toBe(handle.workflowId);
  });

  it('reuses a step the failed run left done: not run again, its outputs feed later steps', async () => {
    const hostgroup = await harness.client.startOperation({
      operation: 'create-hostgroup',
      tenantId: SIM_FIXTURES.tenantId,
      input: hostgroupFields('kept-hosts'),
      poll: FAST_POLL,
    });
    const made = await hostgroup.result();
    const plan: ProvisionPlan = {
      name: 'reuse',
      tenantId: SIM_FIXTURES.tenantId,
      poll: FAST_POLL,
      steps: [
        { id: 'hosts', operation: 'create-hostgroup', input: hostgroupFields('kept-hosts') },
        {
          id: 'disk',
          operation: 'create-disk',
          input: { ...diskFields('reuse-disk'), hostgroup_mappings: ['${steps.hosts.input.name}'] },
        },
      ],
      reused: { hosts: { objectId: made.objectId as string } },
      redriveOf: { workflowId: 'an-earlier-plan', runId: 'r' },
    };
    const { result } = await settle<ProvisionResult>(await harness.client.startProvisioning(plan));
    expect(result?.steps.map((s) => [s.id, s.outcome, s.objectId === made.objectId])).toEqual([
      ['hosts', 'done', true],
      ['disk', 'done', false],
    ]);
    const creates = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create').map((e) => e.name);
    expect(creates).toEqual(['kept-hosts', 'reuse-disk']);
  });
});
