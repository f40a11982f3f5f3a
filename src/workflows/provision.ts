/**
 * Durable multi-step provisioning (a saga). The plan is validated whole before the first NSE call; each step then
 * runs as a child `nseOperationWorkflow` (its own run in the Web UI, linked to this one), in order, later steps
 * taking earlier steps' outputs. When a step fails or the run is cancelled, the steps already done are undone
 * newest first (disks before their block store, shares before their file server), each undo again a child run,
 * and a cancellation cannot interrupt that. The result or the failure reports every step's outcome.
 * @module
 */
import {
  ApplicationFailure,
  CancellationScope,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType, rootMessage } from '../shared/failures';
import { describeOperation, findOperation } from '../shared/operations';
import { parsePlan, resolveStepInput, type ProvisionPlan, type StepOutput } from '../shared/plans';
import {
  Phase,
  provisionStatusQuery,
  type OperationResult,
  type ProvisionResult,
  type ProvisionStatus,
  type StepReport,
} from '../shared/workflow-api';
import { nseOperationWorkflow } from './operation';
import { progressPublisher, type ProgressView } from './progress';

/** Runs a provisioning plan to its end; see the module comment for the durable behaviour. */
export async function provisionWorkflow(input: ProvisionPlan): Promise<ProvisionResult> {
  const plan = parsePlan(input);
  const parentId = workflowInfo().workflowId;
  const steps: StepReport[] = plan.steps.map((step) => ({
    id: step.id,
    operation: step.operation,
    outcome: 'pending',
  }));
  // No phase until the first is set: the run's first upsert names the object type and tenant alone.
  let phase: Phase | undefined;
  const status = (): ProvisionStatus => ({ plan: plan.name, phase: phase ?? Phase.Submitting, steps });
  setHandler(provisionStatusQuery, status);
  const progress = progressPublisher(() => provisionView(plan, phase, steps), { ignoresStartAttributes: true });
  const setPhase = (next: Phase): void => {
    phase = next;
    progress.changed();
  };
  progress.changed();
  setPhase(Phase.Submitting);

  const outputs = new Map<string, StepOutput>();
  const done: { report: StepReport; result: OperationResult }[] = [];
  try {
    for (const [index, step] of plan.steps.entries()) {
      const report = steps[index] as StepReport;
      const stepInput = resolveStepInput(step, outputs);
      const spec = findOperation(step.operation);
      report.workflowId = `${parentId}/${step.id}`;
      report.outcome = 'running';
      progress.publish();
      try {
        const result = await executeChild(nseOperationWorkflow, {
          workflowId: report.workflowId,
          args: [{ operation: step.operation, input: stepInput, tenantId: plan.tenantId, poll: plan.poll }],
          staticSummary: spec
            ? `${plan.name} / ${step.id}: ${describeOperation(spec, stepInput)}`.slice(0, 200)
            : undefined,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
        report.outcome = 'done';
        report.objectId = result.objectId;
        report.jobId = result.job?.id;
        outputs.set(step.id, { objectId: result.objectId, jobId: result.job?.id, input: stepInput });
        done.push({ report, result });
      } catch (err) {
        if (isCancellation(err)) {
          report.outcome = 'cancelled';
        } else {
          report.outcome = 'failed';
          report.message = rootMessage(err);
        }
        throw err;
      } finally {
        progress.changed();
      }
    }
    setPhase(Phase.Succeeded);
    progress.publish();
    return { plan: plan.name, steps };
  } catch (err) {
    // Undo newest first; neither a cancellation of this run nor a failing undo stops the other undos.
    await CancellationScope.nonCancellable(async () => {
      setPhase(Phase.Compensating);
      for (const { report, result } of [...done].reverse()) {
        progress.publish();
        await undoStep(parentId, report, result, plan);
      }
    });
    const cancelled = isCancellation(err);
    setPhase(cancelled ? Phase.Cancelled : Phase.Failed);
    progress.publish();
    if (cancelled) throw err;
    const failed = steps.find((s) => s.outcome === 'failed');
    const summary = steps.map((s) => `${s.id}: ${s.outcome}`).join(', ');
    throw ApplicationFailure.create({
      type: FailureType.ProvisioningFailed,
      nonRetryable: true,
      message: `plan ${plan.name}: step '${failed?.id ?? '?'}' failed: ${failed?.message ?? rootMessage(err)} (${summary})`,
      details: [{ plan: plan.name, steps }],
    });
  }
}

/** Undoes one completed step as a child run; records the outcome instead of throwing. */
async function undoStep(
  parentId: string,
  report: StepReport,
  result: OperationResult,
  plan: ProvisionPlan,
): Promise<void> {
  const undo = result.undo;
  if (!undo || undo.kind === 'report') {
    report.outcome = undo?.report.outcome === 'manual-cleanup-needed' ? 'manual-cleanup-needed' : 'done';
    report.message = undo?.report.message ?? 'no undo recorded';
    return;
  }
  try {
    await executeChild(nseOperationWorkflow, {
      workflowId: `${parentId}/${report.id}/undo`,
      args: [{ operation: undo.operation, input: undo.input, tenantId: plan.tenantId, poll: plan.poll }],
      staticSummary: `${plan.name} / undo ${report.id}: ${undo.operation}`.slice(0, 200),
    });
    report.outcome = 'compensated';
    report.message = `undone by ${undo.operation}`;
  } catch (err) {
    report.outcome = 'manual-cleanup-needed';
    report.message = `undo ${undo.operation} failed: ${rootMessage(err)}`;
    log.error('undo of a provisioning step failed', { step: report.id, error: report.message });
  }
}

/** The plan's search attributes and its steps as a markdown table. */
function provisionView(plan: ProvisionPlan, phase: Phase | undefined, steps: StepReport[]): ProgressView {
  const rows = steps.map(
    (s) =>
      `| ${s.id} | ${s.operation} | ${s.outcome} | ${s.objectId ?? ''} | ${s.workflowId ? `\`${s.workflowId}\`` : ''} |`,
  );
  const details = [
    `**plan ${plan.name}**: ${phase ?? Phase.Submitting}`,
    '',
    '| step | operation | outcome | object | run |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  return { searchAttributes: { NseObjectType: 'plan', NseTenantId: plan.tenantId, NsePhase: phase }, details };
}
