/**
 * `pause` and `resume` on the real dev server and the simulator over HTTP: a paused tenant's runs (started after the
 * pause) make no NSE call and show `paused` while another tenant's runs finish; `resume` lets them finish. Pausing
 * all holds a running run's next read until `resume`. Every wait is on observable state: the simulator's ledger, the
 * runs' search attributes (the visibility `resume` itself searches) and their results.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { controlWorkflowId } from '../../src/shared/pause';
import { OPERATIONS } from '../../src/shared/operations';
import {
  decideUpdate,
  extendDeadlineUpdate,
  SearchAttributes,
  type OperationInput,
} from '../../src/shared/workflow-api';
import { hostgroupOperation } from '../helpers/fixtures';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { useTestWorker } from '../helpers/worker';

const CREATE_HOSTGROUP = OPERATIONS.get('create-hostgroup')!;
const OTHER_TENANT = 'pause-test-other-tenant';

describe('pause and resume of NSE calls', () => {
  // Jobs named long-… stay RUNNING, so their runs keep reading them.
  const harness = useTestWorker({
    queue: 'pause',
    per: 'each',
    client: true,
    simulator: { rules: [{ match: { name: 'long-' }, states: ['RUNNING'] }] },
  });
  const started: WorkflowHandle[] = [];

  async function start(input: OperationInput): Promise<WorkflowHandle> {
    const handle = await harness.client.startOperation(input, { waitForAcceptance: false });
    started.push(handle);
    return handle;
  }
  beforeEach(() => {
    started.push(harness.temporal.client.workflow.getHandle(controlWorkflowId(harness.taskQueue)));
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((handle) => handle.terminate('test over').catch(() => undefined)));
  });

  /** The run's `NsePhase`, as the Web UI and `nse-flow list` see it. */
  async function phaseOf(handle: WorkflowHandle): Promise<string | undefined> {
    return (await handle.describe()).typedSearchAttributes.get(SearchAttributes.NsePhase);
  }
  async function untilPhase(handle: WorkflowHandle, phase: string): Promise<void> {
    await waitFor(
      `${handle.workflowId} in phase ${phase}`,
      async () => ((await phaseOf(handle)) === phase ? true : undefined),
      120_000,
    );
  }
  async function submitsAtNse(): Promise<number> {
    return (await harness.sim.requests(CREATE_HOSTGROUP.method, CREATE_HOSTGROUP.path)).length;
  }
  async function jobReadsAtNse(): Promise<number> {
    return (await harness.sim.requests('GET', '/v2.1/jobs/:id')).length;
  }

  it('holds one tenant while another runs, and lets it finish on resume', async () => {
    const paused = await harness.client.pause({ tenantId: hostgroupOperation('x').tenantId });
    expect(paused).toEqual({ all: false, tenants: [hostgroupOperation('x').tenantId] });

    const held = await start(hostgroupOperation('pause-held'));
    const other = await start({ ...hostgroupOperation('pause-other'), tenantId: OTHER_TENANT });
    await other.result();
    await untilPhase(held, 'paused');
    expect(await submitsAtNse()).toBe(1); // the other tenant's submit alone reached NSE
    const status = (await harness.client.getStatus(held.workflowId)) as { phase: string; jobId?: string };
    expect(status.phase).toBe('paused');
    expect(status.jobId).toBeUndefined();

    const resumed = await harness.client.resume({ tenantId: hostgroupOperation('x').tenantId });
    expect(resumed).toEqual({ paused: { all: false, tenants: [] }, signalled: 1 });
    await expect(held.result()).resolves.toMatchObject({ operation: 'create-hostgroup' });
    expect(await submitsAtNse()).toBe(2);
    await replayAndMaybeRecord(held, 'nseOperationWorkflow-paused-then-resumed');
  });

  it("wakes the waiting runs with any caller's resume update alone (here the update by name, as another SDK sends it)", async () => {
    await harness.client.pause();
    const held = await start(hostgroupOperation('pause-foreign-resume'));
    await untilPhase(held, 'paused');
    const control = harness.temporal.client.workflow.getHandle(controlWorkflowId(harness.taskQueue));
    const answer = await control.executeUpdate<{ woken: number; all: boolean }, [object]>('resume', { args: [{}] });
    expect(answer).toEqual({ all: false, tenants: [], woken: 1 });
    await expect(held.result()).resolves.toMatchObject({ operation: 'create-hostgroup' });
  });

  it('pausing all holds a running run before its next read until resume', async () => {
    const running = await start(
      hostgroupOperation('long-pause-running', { initialIntervalMs: 500, maxIntervalMs: 500 }),
    );
    await waitFor('a read of the running job', async () => ((await jobReadsAtNse()) > 0 ? true : undefined), 120_000);
    const deadline = async (): Promise<number> =>
      Date.parse((await running.executeUpdate(extendDeadlineUpdate, { args: [{ byMs: 1 }] })).deadline);
    const deadlineBefore = await deadline();

    expect(await harness.client.pause()).toEqual({ all: true, tenants: [] });
    await untilPhase(running, 'paused');
    const seenPausedAt = Date.now();
    const readsWhilePaused = await jobReadsAtNse();
    // Started while paused: not even its submit reaches NSE.
    const later = await start({ ...hostgroupOperation('pause-later'), tenantId: OTHER_TENANT });
    await untilPhase(later, 'paused');
    expect(await submitsAtNse()).toBe(1);
    expect(await jobReadsAtNse()).toBe(readsWhilePaused); // the paused run's wait made no read

    const resumeCalledAt = Date.now();
    const resumed = await harness.client.resume();
    expect(resumed).toEqual({ paused: { all: false, tenants: [] }, signalled: 2 });
    await expect(later.result()).resolves.toMatchObject({ operation: 'create-hostgroup' });
    await untilPhase(running, 'polling');
    // The time it was held does not count against its wait: the deadline moved by at least what we saw of it.
    const heldAtLeast = resumeCalledAt - seenPausedAt;
    expect(heldAtLeast).toBeGreaterThan(0);
    expect((await deadline()) - 1 - deadlineBefore).toBeGreaterThanOrEqual(heldAtLeast);
    await waitFor(
      'a read after resume',
      async () => ((await jobReadsAtNse()) > readsWhilePaused ? true : undefined),
      120_000,
    );
  });

  it('holds undo calls too: a compensation decided while paused deletes nothing until resume', async () => {
    // fail-… jobs end ERROR; the run holds the failure until `decide`.
    const failing = await start({
      ...hostgroupOperation('fail-pause-undo', { initialIntervalMs: 200, maxIntervalMs: 200 }),
      onFailure: 'hold',
    });
    await untilPhase(failing, 'awaiting-decision');
    await harness.client.pause();
    await failing.executeUpdate(decideUpdate, { args: ['compensate'] });
    await untilPhase(failing, 'paused');
    const deletes = async (): Promise<number> => (await harness.sim.requests('DELETE', '/v2.1/hostgroups/*')).length;
    expect(await deletes()).toBe(0);

    await harness.client.resume();
    await expect(failing.result()).rejects.toThrow();
    expect(await deletes()).toBe(1);
    expect(await phaseOf(failing)).toBe('failed');
  });
});
