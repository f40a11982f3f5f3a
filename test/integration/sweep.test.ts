/**
 * The sweep on the real Temporal dev server against the NSE simulator over HTTP: what it reports (an object a
 * terminated run left), what it does not (a completed run's object, another NSE user's, a compensated run's, another
 * tenant's), the undo of one reported object as a run of its own, and the `nse-flow-sweep` Schedule.
 */
import { NseClient } from '../../src/nse/client';
import type { SweepReport } from '../../src/shared/sweep';
import { SWEEP_SCHEDULE_ID, sweepFindingsUpdate } from '../../src/shared/sweep';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { nseTaskQueue, SweepSearchAttributes } from '../../src/shared/workflow-api';
import { hostgroupFields, hostgroupOperation } from '../helpers/fixtures';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

/** Creates of `long-` names stay RUNNING for many reads: a run terminated meanwhile leaves its object behind. */
const LONG_CREATES = {
  match: { name: 'long-', operation: 'create-hostgroup' },
  states: [...Array<'RUNNING'>(50).fill('RUNNING'), 'NORMAL' as const],
};
/** Creates of `fail-` names end ERROR: the run undoes them. */
const FAILING_CREATES = { match: { name: 'fail-', operation: 'create-hostgroup' }, outcome: 'ERROR' as const };

describe('sweep', () => {
  const harness = useTestWorker({ queue: 'sweep', client: true });

  /** The object id of a run's job, read from NSE. */
  async function objectOf(nseJobId: string | undefined): Promise<string> {
    const nse = new NseClient({
      baseUrl: harness.sim.url,
      auth: { kind: 'basic', username: harness.sim.username, password: harness.sim.password },
    });
    try {
      return (await nse.getJob(nseJobId ?? '')).objectId;
    } finally {
      nse.close();
    }
  }

  /** A run of a create terminated while NSE still runs its job: the object it leaves, and the run. */
  async function terminatedCreate(
    name: string,
    tenant: 'acme' | 'globex',
  ): Promise<{ objectId: string; workflowId: string }> {
    // Polled slowly: the job's 50 RUNNING reads outlast the run.
    const operation = hostgroupOperation(name, { initialIntervalMs: 30_000, maxIntervalMs: 30_000 });
    if (tenant === 'globex') {
      operation.tenantId = SIM_FIXTURES.otherTenantId;
      operation.input = { ...operation.input, subtenant_id: SIM_FIXTURES.foreignSubtenantId };
    }
    const run = await harness.client.startOperation(operation);
    const objectId = await objectOf(run.nseJobId);
    await run.terminate('the operator terminated it');
    return { objectId, workflowId: run.workflowId };
  }

  const reported = (report: SweepReport): string[] => report.findings.map((f) => f.objectId).sort();

  it('reports what a terminated run left, not what a completed or compensated run or another user made', async () => {
    await harness.sim.setRules([LONG_CREATES, FAILING_CREATES]);
    const left = await terminatedCreate('long-left', 'acme');
    const foreign = await terminatedCreate('long-foreign', 'globex');

    const completed = await harness.client.startOperation(hostgroupOperation('done-1'));
    expect((await settle(completed)).error).toBeUndefined();
    const completedObject = await objectOf(completed.nseJobId);

    const compensated = await harness.client.startOperation(hostgroupOperation('fail-1'));
    expect((await settle(compensated)).error).toBeDefined();
    const compensatedObject = await objectOf(compensated.nseJobId);

    // Another NSE user of the same tenant creates a host group straight at NSE: not the worker's.
    const other = new NseClient({
      baseUrl: harness.sim.url,
      auth: { kind: 'basic', ...SIM_FIXTURES.tenantUser },
    });
    const otherJob = await other.submit('POST', '/v2.1/hostgroups', { ...hostgroupFields('by-someone-else') });
    other.close();
    expect(otherJob.kind).toBe('job');

    const acme = await harness.client.sweep({ tenantIds: [SIM_FIXTURES.tenantId], holdMs: 600_000 });
    expect(reported(acme.report)).toEqual([left.objectId]);
    expect(acme.report.findings[0]).toMatchObject({
      tenantId: SIM_FIXTURES.tenantId,
      resource: 'hostgroup',
      objectName: 'long-left',
      owner: { workflowId: left.workflowId, status: 'TERMINATED' },
      undo: { operation: 'delete-hostgroup' },
    });
    expect(acme.report.createJobs).toBe(3); // the terminated, the completed and the compensated run's creates
    expect(reported(acme.report)).not.toContain(completedObject);
    expect(reported(acme.report)).not.toContain(compensatedObject);
    expect(reported(acme.report)).not.toContain(foreign.objectId);

    // Without a tenant: every tenant of the worker's NSE user, each object under its own tenant.
    const both = await harness.client.sweep({ holdMs: 0 });
    expect(both.report.tenantIds.sort()).toEqual([SIM_FIXTURES.tenantId, SIM_FIXTURES.otherTenantId].sort());
    expect(reported(both.report)).toEqual([left.objectId, foreign.objectId].sort());
    expect(both.report.findings.find((f) => f.objectId === foreign.objectId)?.tenantId).toBe(
      SIM_FIXTURES.otherTenantId,
    );

    // The counts are search attributes; the report is the sweep's result.
    const sweep = harness.temporal.client.workflow.getHandle(acme.workflowId);
    const attributes = (await sweep.describe()).typedSearchAttributes;
    expect(attributes.get(SweepSearchAttributes.NseSweepReported)).toBe(1);
    expect(attributes.get(SweepSearchAttributes.NseSweepJobs)).toBe(3);
    // Its NSE reads took turns within the NSE request budget, after every run's calls (priority 5 of 5).
    const scheduled = ((await sweep.fetchHistory()).events ?? []).flatMap((event) => {
      const attributes = event.activityTaskScheduledEventAttributes;
      return attributes && attributes.activityType?.name !== 'findJobOwners' ? [attributes] : [];
    });
    expect(scheduled.map((a) => a.activityType?.name)).toEqual(
      expect.arrayContaining(['nseUser', 'listJobsPage', 'readObject']),
    );
    for (const attributes of scheduled) {
      expect(attributes.taskQueue?.name).toBe(nseTaskQueue(harness.taskQueue));
      expect(attributes.priority?.priorityKey).toBe(5);
    }

    // The sweeps deleted nothing by themselves: the only delete so far is the compensated run's own undo.
    const deleted = async (): Promise<string[]> =>
      (await harness.sim.ledger()).events.filter((e) => e.kind === 'delete').map((e) => e.id);
    expect(await deleted()).toEqual([compensatedObject]);

    // Undo one reported object: a run of its own, through the open sweep; the object is gone afterwards.
    await expect(harness.client.undoSweptObject(completedObject)).rejects.toThrow(/no open sweep reported/);
    const { sweepId, undo } = await harness.client.undoSweptObject(left.objectId);
    expect(sweepId).toBe(acme.workflowId);
    const undoRun = harness.temporal.client.workflow.getHandle(undo.workflowId);
    expect((await settle(undoRun)).error).toBeUndefined();
    expect((await undoRun.describe()).type).toBe('nseOperationWorkflow');
    const deletes = (await harness.sim.ledger()).events.filter((e) => e.kind === 'delete').map((e) => e.id);
    expect(deletes).toContain(left.objectId);

    // The sweep's hold ends with a cancellation (as the Schedule's next sweep does): it returns its report.
    await sweep.cancel();
    const result = (await settle<SweepReport>(sweep)).result;
    expect(result?.findings[0]?.undoRun?.workflowId).toBe(undo.workflowId);
    expect((await sweep.describe()).typedSearchAttributes.get(SweepSearchAttributes.NseSweepUndone)).toBe(1);
    // Its history is part of the replay corpus (test/replay): a reported object undone, then the hold cancelled.
    await replayAndMaybeRecord(sweep, 'nseSweepWorkflow-reported-undone-cancelled');

    // A later sweep no longer reports it: NSE no longer holds it.
    const after = await harness.client.sweep({ tenantIds: [SIM_FIXTURES.tenantId], holdMs: 0 });
    expect(reported(after.report)).toEqual([]);
  }, 180_000); // eight runs to their ends (one compensated), then a sweep; the default 60 s ran out on a loaded CI machine

  it('creates the nse-flow-sweep Schedule, which runs sweeps, and updates it on a second call', async () => {
    try {
      const first = await harness.client.scheduleSweep(24 * 60 * 60 * 1000, { tenantIds: [SIM_FIXTURES.tenantId] });
      expect(first.created).toBe(true);
      expect(first.description.scheduleId).toBe(SWEEP_SCHEDULE_ID);
      expect(first.description.spec.intervals?.[0]?.every).toBe(24 * 60 * 60 * 1000);
      expect(first.description.action).toMatchObject({
        workflowType: 'nseSweepWorkflow',
        taskQueue: harness.taskQueue,
      });
      // The Schedule runs a sweep as a workflow: triggered now, it reads and reports like a one-off sweep.
      const schedule = harness.temporal.client.schedule.getHandle(SWEEP_SCHEDULE_ID);
      await schedule.trigger();
      const scheduledId = await waitFor('the Schedule to start a sweep', async () => {
        const action = (await schedule.describe()).info.recentActions[0]?.action;
        return action?.type === 'startWorkflow' ? action.workflow.workflowId : undefined;
      });
      const scheduled = harness.temporal.client.workflow.getHandle(scheduledId);
      const report = await scheduled.executeUpdate(sweepFindingsUpdate);
      expect(report).toMatchObject({ tenantIds: [SIM_FIXTURES.tenantId], openUntil: expect.any(String) });
      expect((await scheduled.describe()).type).toBe('nseSweepWorkflow');
      await scheduled.cancel(); // as the Schedule's next sweep would: it ends with its report
      expect((await settle<SweepReport>(scheduled)).result).toEqual(report);

      const second = await harness.client.scheduleSweep(60 * 60 * 1000);
      expect(second.created).toBe(false);
      const described = await schedule.describe();
      expect(described.spec.intervals?.[0]?.every).toBe(60 * 60 * 1000);
      expect(described.action).toMatchObject({ args: [{ holdMs: 60 * 60 * 1000 }] });
      // A Schedule of sweeps every week holds each sweep a day at most.
      await harness.client.scheduleSweep(7 * 24 * 60 * 60 * 1000);
      expect((await schedule.describe()).action).toMatchObject({ args: [{ holdMs: 24 * 60 * 60 * 1000 }] });
    } finally {
      await harness.temporal.client.schedule
        .getHandle(SWEEP_SCHEDULE_ID)
        .delete()
        .catch(() => undefined);
    }
  });
});
