/**
 * provisionWorkflow (the saga) on the real Temporal dev server against the NSE simulator over HTTP, started through
 * the client library other services use.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { RunFailedError } from '../../src/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import type { ProvisionPlan } from '../../src/shared/plans';
import { provisionStatusQuery, type ProvisionResult, type StepReport } from '../../src/shared/workflow-api';
import { replayAndMaybeRecord, waitFor } from '../helpers/scenario';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const FAST = { initialIntervalMs: 20, maxIntervalMs: 40 };

function example(name: string): ProvisionPlan {
  const plan = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', 'examples', `${name}.json`), 'utf8'),
  ) as ProvisionPlan;
  return { ...plan, poll: FAST };
}

/** A change to a plan: `field` of step `step`'s input set to `value`. */
function stepInput(step: number, field: string, value: unknown): (plan: ProvisionPlan) => void {
  return (plan) => {
    (plan.steps[step]?.input as Record<string, unknown>)[field] = value;
  };
}

describe('provisionWorkflow', () => {
  const harness = useTestWorker({ queue: 'provision', per: 'each', client: true });

  async function ledgerLine(): Promise<string[]> {
    return (await harness.sim.ledger()).events.map((e) => `${e.kind} ${e.type} ${e.name ?? ''}`.trim());
  }

  it.each(['block-storage', 'file-storage', 'object-storage'])('provisions the %s example end to end', async (name) => {
    const plan = example(name);
    const handle = await harness.client.startProvisioning(plan);
    const { result, error } = await settle<ProvisionResult>(handle);
    expect(error).toBeUndefined();
    expect(result?.steps.map((s) => s.outcome)).toEqual(plan.steps.map(() => 'done'));
    const ledger = await harness.sim.ledger();
    expect(ledger.events.filter((e) => e.kind === 'create')).toHaveLength(plan.steps.length);
    expect(ledger.events.filter((e) => e.kind === 'delete')).toHaveLength(0);
    // Each step is its own run, linked to the plan's run by its id.
    const child = await harness.temporal.client.workflow
      .getHandle(`${handle.workflowId}/${plan.steps[0]?.id}`)
      .describe();
    expect(child.parentExecution?.workflowId).toBe(handle.workflowId);
    await replayAndMaybeRecord(handle, `provisionWorkflow-${name}`);
  });

  it('undoes steps two and one, newest first, when the third step fails', async () => {
    const plan = example('block-storage');
    (plan.steps[2] as { input: Record<string, unknown> }).input.name = 'fail-db-data';
    const handle = await harness.client.startProvisioning(plan);
    const { error } = await settle(handle);
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.ProvisioningFailed, nonRetryable: true });
    const steps = (failure?.details?.[0] as { steps: StepReport[] }).steps;
    expect(steps.map((s) => [s.id, s.outcome])).toEqual([
      ['blockstore', 'compensated'],
      ['hostgroup', 'compensated'],
      ['disk', 'failed'],
      ['snapshot', 'pending'],
    ]);
    const blockstore = `${SIM_FIXTURES.subtenantId}_${SIM_FIXTURES.zone}`; // NSE names a block store after its scope
    expect(await ledgerLine()).toEqual([
      `create blockstore ${blockstore}`,
      'create hostgroup db-hosts',
      'create disk fail-db-data',
      'delete disk fail-db-data', // the failed step undoes its own job
      'delete hostgroup db-hosts',
      `delete blockstore ${blockstore}`,
    ]);
    // The undo runs' NSE calls go first on the NSE queue (priority 1), like a run's own undo of its job.
    const undo = await harness.temporal.client.workflow.getHandle(`${handle.workflowId}/hostgroup/undo`).fetchHistory();
    const scheduled = (undo.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes ?? []);
    expect(scheduled.length).toBeGreaterThan(0);
    expect(scheduled.map((attributes) => attributes.priority?.priorityKey)).toEqual(scheduled.map(() => 1));
    await replayAndMaybeRecord(handle, 'provisionWorkflow-third-step-fails');
  });

  it('on cancel mid-plan lets the running step clean up and undoes the finished steps', async () => {
    await harness.sim.setRules([
      { match: { method: 'POST', name: 'db-data' }, states: [...Array<'RUNNING'>(4).fill('RUNNING'), 'NORMAL'] },
    ]);
    const handle = await harness.client.startProvisioning(example('block-storage'));
    await waitFor('the disk step to run', async () => {
      const status = await handle.query(provisionStatusQuery);
      return status.steps[2]?.outcome === 'running' ? status : undefined;
    });
    await waitFor('the disk job to be polled', async () =>
      (await harness.sim.requests('GET', '/v2.1/jobs/:id')).length >= 4 ? true : undefined,
    );
    await handle.cancel();
    const { error } = await settle(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const status = await handle.query(provisionStatusQuery);
    expect(status.phase).toBe('cancelled');
    expect(status.steps.map((s) => s.outcome)).toEqual(['compensated', 'compensated', 'cancelled', 'pending']);
    const resources = (await harness.sim.ledger()).resources;
    expect(resources.filter((r) => !r.deleted)).toEqual([]);
    await replayAndMaybeRecord(handle, 'provisionWorkflow-cancelled');
  });

  it.each([
    [
      'an unknown operation',
      (p: ProvisionPlan) => ((p.steps[1] as { operation: string }).operation = 'create-teapot'),
      'unknown operation',
    ],
    ['a reference to a later step', stepInput(2, 'name', '${steps.snapshot.jobId}'), 'later step'],
    ['a reference to itself', stepInput(3, 'disk_id', '${steps.snapshot.objectId}'), 'itself'],
    ['a malformed reference', stepInput(3, 'disk_id', '${steps.disk.id}'), 'not a reference'],
    ['an unknown step', stepInput(3, 'disk_id', '${steps.lun.objectId}'), 'unknown step'],
    ['a bad field in the last step', stepInput(3, 'snapmirror_label', 'yearly'), 'snapmirror_label'],
  ])('rejects a plan with %s before any NSE call', async (_what, spoil, named) => {
    const plan = example('block-storage');
    spoil(plan);
    const error = await harness.client.startProvisioning(plan).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error).toMatchObject({ failureType: FailureType.InvalidInput });
    expect((error as Error).message).toContain(named);
    expect(await harness.sim.requests()).toHaveLength(0);
  });

  it('starts one run and one set of resources for the same idempotency key, even concurrently', async () => {
    const plan = example('file-storage');
    const key = `order-${Date.now()}`;
    const [first, second] = await Promise.all([
      harness.client.startProvisioning(plan, { idempotencyKey: key }),
      harness.client.startProvisioning(plan, { idempotencyKey: key }),
    ]);
    expect(second.workflowId).toBe(first.workflowId);
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await settle(first);
    const again = await harness.client.startProvisioning(plan, { idempotencyKey: key }).then(
      (handle) => handle.firstExecutionRunId,
      (err: unknown) => (err as Error).name,
    );
    expect(again).toBe(first.firstExecutionRunId); // a finished run answers again, and is never repeated
    const creates = (await harness.sim.ledger()).events.filter((e) => e.kind === 'create');
    expect(creates).toHaveLength(plan.steps.length);
  });
});
