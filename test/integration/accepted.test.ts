/**
 * The accepted contract: startOperation returns once NSE accepted the call, with its job id (update-with-start);
 * the same idempotency key returns the same run and job, open or closed; invalid input is refused at once. The same
 * for plans: startProvisioning returns once NSE accepted the first step's call. And the
 * updates a running operation takes: setPollPolicy and extendDeadline, validated.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RunFailedError } from '../../src/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import type { ProvisionPlan } from '../../src/shared/plans';
import {
  extendDeadlineUpdate,
  provisionStatusQuery,
  SearchAttributes,
  setPollPolicyUpdate,
  type Acceptance,
  type OperationResult,
  type PollPolicy,
  type StepReport,
} from '../../src/shared/workflow-api';
import { hostgroupOperation } from '../helpers/fixtures';
import { replayAndMaybeRecord } from '../helpers/scenario';
import { useTestWorker } from '../helpers/worker';

const SLOW = { initialIntervalMs: 60_000, maxIntervalMs: 60_000 };

/** A plan of two host groups: `first` named `firstName`, then `second`. */
function twoHostgroupPlan(name: string, firstName: string, poll: Partial<PollPolicy> = {}): ProvisionPlan {
  const step = (id: string, hostgroup: string): ProvisionPlan['steps'][number] => {
    const { operation, input } = hostgroupOperation(hostgroup);
    return { id, operation, input };
  };
  return {
    name,
    tenantId: SIM_FIXTURES.tenantId,
    poll: { ...hostgroupOperation(firstName).poll, ...poll },
    steps: [step('first', firstName), step('second', `${firstName}-second`)],
  };
}

/** The application failure an update was refused with. */
async function refusal(update: Promise<unknown>): Promise<ApplicationFailure | undefined> {
  const error = await update.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

describe('the accepted contract', () => {
  // Slow runs are undone at the first read of the delete's job once cancelled.
  const quickUndo = { match: { operation: 'delete-hostgroup', name: 'acc-slow-*' }, states: ['NORMAL' as const] };
  const rejected = { match: { method: 'POST', name: 'acc-rejected-*' }, faults: { http400: {} } };
  const harness = useTestWorker({ queue: 'accepted', client: true, simulator: { rules: [quickUndo, rejected] } });

  it('returns the job id NSE accepted, and the same run and job for the same key, open or closed', async () => {
    const key = `acc-${Date.now()}`;
    const input = hostgroupOperation(`acc-hg-${Date.now()}`);
    const [first, second] = await Promise.all([
      harness.client.startOperation(input, { idempotencyKey: key }),
      harness.client.startOperation(input, { idempotencyKey: key }),
    ]);
    expect(first.nseJobId).toEqual(expect.any(String));
    expect([second.workflowId, second.runId, second.nseJobId]).toEqual([first.workflowId, first.runId, first.nseJobId]);
    const result = (await first.result()) as OperationResult;
    expect(result.job?.id).toBe(first.nseJobId);
    const again = await harness.client.startOperation(input, { idempotencyKey: key });
    expect([again.workflowId, again.runId, again.nseJobId]).toEqual([first.workflowId, first.runId, first.nseJobId]);
    expect(await harness.sim.requests('POST', '/v2.1/hostgroups')).toHaveLength(1);
    await replayAndMaybeRecord(first, 'nseOperationWorkflow-accepted-update-with-start');
  });

  it('refuses invalid input at once, without an NSE call, and the run shows what its input tells', async () => {
    const before = (await harness.sim.requests()).length;
    const { protocol: _left, ...fields } = hostgroupOperation('acc-invalid').input;
    const key = `acc-invalid-${Date.now()}`;
    const input = { ...hostgroupOperation('acc-invalid'), input: fields };
    const error = await harness.client.startOperation(input, { idempotencyKey: key }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error).toMatchObject({ failureType: 'InvalidInput' });
    expect((error as Error).message).toContain('input.protocol: required field missing');
    const again = await harness.client.startOperation(input, { idempotencyKey: key }).catch((err: unknown) => err);
    expect(again).toMatchObject({ failureType: 'InvalidInput' });
    expect(await harness.sim.requests()).toHaveLength(before);

    const handle = harness.temporal.client.workflow.getHandle(`nse-flow-op-${key}`);
    await replayAndMaybeRecord(handle, 'nseOperationWorkflow-invalid-input-published');
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
    expect(description.typedSearchAttributes.get(SearchAttributes.NsePhase)).toBe('failed');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseObjectType)).toBe('hostgroup');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseTenantId)).toBe(SIM_FIXTURES.tenantId);
  });

  it('refuses an invalid plan at once, without an NSE call, and shows it failed with its tenant', async () => {
    const before = (await harness.sim.requests()).length;
    const plan = { name: 'acc-bad-plan', tenantId: SIM_FIXTURES.tenantId, steps: [] };
    const key = `acc-bad-plan-${Date.now()}`;
    const error = await harness.client.startProvisioning(plan, { idempotencyKey: key }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error).toMatchObject({ failureType: 'InvalidInput' });
    expect((error as Error).message).toContain('steps');
    expect(await harness.sim.requests()).toHaveLength(before);
    const handle = harness.temporal.client.workflow.getHandle(`nse-flow-plan-${key}`);
    await replayAndMaybeRecord(handle, 'provisionWorkflow-invalid-plan-published');
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(SearchAttributes.NsePhase)).toBe('failed');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseObjectType)).toBe('plan');
    expect(description.typedSearchAttributes.get(SearchAttributes.NseTenantId)).toBe(SIM_FIXTURES.tenantId);
  });

  it("returns once NSE accepted a plan's first call, with the step and its job; the same key, open or closed", async () => {
    const stamp = Date.now();
    const plan = twoHostgroupPlan(`acc-plan-${stamp}`, `acc-slow-plan-${stamp}`, SLOW);
    const key = `acc-plan-${stamp}`;
    const hostgroupPosts = async (): Promise<number> => (await harness.sim.requests('POST', '/v2.1/hostgroups')).length;
    const postsBefore = await hostgroupPosts();
    const [first, second] = await Promise.all([
      harness.client.startProvisioning(plan, { idempotencyKey: key }),
      harness.client.startProvisioning(plan, { idempotencyKey: key }),
    ]);
    expect(await hostgroupPosts()).toBe(postsBefore + 1);
    expect(first).toMatchObject({ step: 'first', stepWorkflowId: `nse-flow-plan-${key}/first` });
    expect(first.nseJobId).toEqual(expect.any(String));
    const same = (run: Acceptance): unknown[] => [run.workflowId, run.runId, run.step, run.nseJobId];
    expect(same(second)).toEqual(same(first));
    // The first step waits a minute between reads: the answer came while it ran, not when it ended.
    const status = await first.query(provisionStatusQuery);
    expect(status.steps[0]).toMatchObject({ outcome: 'running', jobId: first.nseJobId });
    const child = await harness.temporal.client.workflow.getHandle(first.stepWorkflowId as string).describe();
    expect(child.typedSearchAttributes.get(SearchAttributes.NseJobId)).toBe(first.nseJobId);

    await first.cancel();
    await expect(first.result()).rejects.toThrow();
    const again = await harness.client.startProvisioning(plan, { idempotencyKey: key });
    expect(same(again)).toEqual(same(first));
    expect(again.stepWorkflowId).toBe(first.stepWorkflowId);
    expect(await hostgroupPosts()).toBe(postsBefore + 1);
    await replayAndMaybeRecord(first, 'provisionWorkflow-accepted-then-cancelled');
  });

  it("reports a plan's first call that NSE rejects as the plan's failure", async () => {
    const stamp = Date.now();
    const plan = twoHostgroupPlan(`acc-rejected-plan-${stamp}`, `acc-rejected-${stamp}`);
    const error = await harness.client.startProvisioning(plan).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunFailedError);
    expect(error).toMatchObject({ failureType: 'ProvisioningFailed' });
    expect((error as Error).message).toContain("step 'first' failed");
    const steps = ((error as RunFailedError).details[0] as { steps: StepReport[] }).steps;
    expect(steps.map((s) => s.outcome)).toEqual(['failed', 'pending']);
    await replayAndMaybeRecord(
      harness.temporal.client.workflow.getHandle((error as RunFailedError).workflowId),
      'provisionWorkflow-first-call-rejected',
    );
  });

  it('changes the poll policy and the deadline of a running run, and refuses changes it cannot take', async () => {
    const run = await harness.client.startOperation(hostgroupOperation(`acc-slow-${Date.now()}`, SLOW));
    expect(run.nseJobId).toEqual(expect.any(String));

    const policy = await run.executeUpdate(setPollPolicyUpdate, {
      args: [{ initialIntervalMs: 500, maxIntervalMs: 2000 }],
    });
    expect(policy).toMatchObject({ initialIntervalMs: 500, maxIntervalMs: 2000, mode: 'activity' });
    const bad = [{ maxIntervalMs: 10 }, { mode: 'local' as const }, { timeoutMs: 1000 }, { pollEvery: 1 }];
    for (const change of bad) {
      expect(await refusal(run.executeUpdate(setPollPolicyUpdate, { args: [change as object] }))).toMatchObject({
        type: 'InvalidInput',
      });
    }

    const { deadline: first } = await run.executeUpdate(extendDeadlineUpdate, { args: [{ byMs: 60_000 }] });
    const { deadline: second } = await run.executeUpdate(extendDeadlineUpdate, { args: [{ byMs: 1_000 }] });
    expect(Date.parse(second) - Date.parse(first)).toBe(1_000);
    expect(await refusal(run.executeUpdate(extendDeadlineUpdate, { args: [{ byMs: 0 }] }))).toMatchObject({
      type: 'InvalidInput',
    });

    await run.cancel();
    await expect(run.result()).rejects.toThrow();
    await replayAndMaybeRecord(run, 'nseOperationWorkflow-updates-then-cancelled');
  });
});
