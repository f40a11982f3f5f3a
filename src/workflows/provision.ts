/**
 * Durable multi-step provisioning (a saga). The plan is validated whole before the first NSE call; each step then
 * runs as a child `nseOperationWorkflow` (its own run in the Web UI, linked to this one), in order, later steps
 * taking earlier steps' outputs. When a step fails or the run is cancelled, the steps already done are undone
 * newest first (disks before their block store, shares before their file server), each undo again a child run,
 * and a cancellation cannot interrupt that. The result or the failure reports every step's outcome.
 * @module
 */
import {
  CancellationScope,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { failure, FailureType, rootMessage } from '../shared/failures';
import { describeOperation, findOperation } from '../shared/operations';
import { parsePlan, resolveStepInput, type ProvisionPlan, type StepOutput } from '../shared/plans';
import type { OperationInput } from '../shared/workflow-api';
import {
  nseFairnessKey,
  Phase,
  provisionStatusQuery,
  type OperationResult,
  type ProvisionResult,
  type ProvisionStatus,
  type StepReport,
} from '../shared/workflow-api';
import { NsePriority } from './nse-calls';
import { nseOperationWorkflow } from './operation';
import { acceptInput, handleStepAccepted, settlingAcceptance } from './acceptance';
import { progressPublisher, type Progress, type ProgressView } from './progress';
import { onQuery } from './entries';

/** Runs a provisioning plan to its end; see the module comment for the durable behaviour. */
export async function provisionWorkflow(input: ProvisionPlan): Promise<ProvisionResult> {
  const { valid: plan, acceptance } = acceptInput(input, parsePlan, 'plan');
  const steps: StepReport[] = plan.steps.map((step) => ({
    id: step.id,
    operation: step.operation,
    outcome: 'pending',
  }));
  // No phase until the first is set: the run's first upsert names the object type and tenant alone.
  let phase: Phase | undefined;
  const status = (): ProvisionStatus => ({ plan: plan.name, phase: phase ?? Phase.Submitting, steps });
  onQuery(provisionStatusQuery, status);
  const progress = progressPublisher(() => provisionView(plan, phase, steps));
  const first = steps[0] as StepReport;
  let firstAccepted = false;
  acceptance.jobId = () => (firstAccepted ? first.jobId : undefined);
  acceptance.step = () => (firstAccepted ? { id: first.id, workflowId: first.workflowId as string } : undefined);
  handleStepAccepted(steps, (report) => {
    if (report === first) firstAccepted = true;
    progress.changed();
  });
  const run: PlanRun = {
    plan,
    steps,
    progress,
    setPhase: (next) => {
      phase = next;
      progress.changed();
    },
    onStepDone: (report) => {
      if (report === first) firstAccepted = true;
    },
  };
  progress.changed();
  run.setPhase(Phase.Submitting);
  return await settlingAcceptance(acceptance, () => runSteps(run));
}

/** One plan run's state, shared by its steps and its undo. */
interface PlanRun {
  plan: ProvisionPlan;
  steps: StepReport[];
  progress: Progress;
  setPhase(next: Phase): void;
  onStepDone(report: StepReport): void;
}

/** Runs the steps in order; on a failure or a cancellation undoes the steps done, newest first. */
async function runSteps({ plan, steps, progress, setPhase, onStepDone }: PlanRun): Promise<ProvisionResult> {
  const parentId = workflowInfo().workflowId;
  const outputs = new Map<string, StepOutput>();
  const done: { report: StepReport; result: OperationResult }[] = [];
  try {
    for (const [index, step] of plan.steps.entries()) {
      const report = steps[index] as StepReport;
      const stepInput = resolveStepInput(step, outputs);
      const reused = plan.reused?.[step.id];
      if (reused) {
        // Left done by the run this one redrives: its object stays, and it is that run's, not undone here.
        Object.assign(report, { outcome: 'done', message: `reused from ${plan.redriveOf?.workflowId}` }, reused);
        outputs.set(step.id, { ...reused, input: stepInput });
        continue;
      }
      const spec = findOperation(step.operation);
      report.workflowId = `${parentId}/${step.id}`;
      report.outcome = 'running';
      progress.publish();
      try {
        const result = await executeChild(nseOperationWorkflow, {
          workflowId: report.workflowId,
          args: [
            {
              operation: step.operation,
              input: stepInput,
              ...forEveryStep(plan),
              signalParentWhenAccepted: true,
            },
          ],
          staticSummary: spec
            ? // The operation without its values: the step's run shows them, scrubbed by the worker (./scrub).
              `${plan.name} / ${step.id}: ${describeOperation(spec, {})}`.slice(0, 200)
            : undefined,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        });
        report.outcome = 'done';
        report.objectId = result.objectId;
        report.jobId = result.job?.id;
        outputs.set(step.id, { objectId: result.objectId, jobId: result.job?.id, input: stepInput });
        done.push({ report, result });
        onStepDone(report);
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
    const cancelled = isCancellation(err) || CancellationScope.current().consideredCancelled;
    const leftovers = steps.filter((s) => s.outcome === 'manual-cleanup-needed' || s.outcome === 'failed');
    // Only a complete clean-up ends a cancelled plan cancelled.
    const truth = cancelled && leftovers.length > 0;
    setPhase(cancelled && !truth ? Phase.Cancelled : Phase.Failed);
    progress.publish();
    if (truth) {
      const left = leftovers.map(
        (s) => `${s.id} ${s.outcome}${s.objectId ? ` (${s.objectId})` : ''}: ${s.message ?? ''}`,
      );
      throw failure(
        FailureType.CancelCleanUpIncomplete,
        `plan ${plan.name}: cancelled, but the clean-up is incomplete: ${left.join('; ')}`,
        { plan: plan.name, steps },
      );
    }
    if (isCancellation(err)) throw err;
    const failed = steps.find((s) => s.outcome === 'failed');
    const summary = steps.map((s) => `${s.id}: ${s.outcome}`).join(', ');
    throw failure(
      FailureType.ProvisioningFailed,
      `plan ${plan.name}: step '${failed?.id ?? '?'}' failed: ${failed?.message ?? rootMessage(err)} (${summary})`,
      { plan: plan.name, steps },
    );
  }
}

/** What every step's run gets from the plan besides its own input. */
function forEveryStep(plan: ProvisionPlan): Omit<OperationInput, 'operation' | 'input'> {
  const { tenantId, poll, onFailure, holdTimeoutMs, holdDefault } = plan;
  return { tenantId, poll, onFailure, holdTimeoutMs, holdDefault };
}

/**
 * Undoes one completed step, each of its undo steps as a child run (a disk with inline host groups has several);
 * records the outcome instead of throwing.
 */
async function undoStep(
  parentId: string,
  report: StepReport,
  result: OperationResult,
  plan: ProvisionPlan,
): Promise<void> {
  const undos = result.undoSteps ?? (result.undo ? [result.undo] : []);
  const messages: string[] = [];
  let outcome: StepReport['outcome'] = undos.length === 0 ? 'done' : 'compensated';
  for (const [index, undo] of undos.entries()) {
    if (undo.kind === 'report') {
      if (undo.report.outcome === 'manual-cleanup-needed') outcome = 'manual-cleanup-needed';
      else if (outcome === 'compensated' && undos.length === 1) outcome = 'done';
      messages.push(undo.report.message);
      continue;
    }
    try {
      await executeChild(nseOperationWorkflow, {
        workflowId: `${parentId}/${report.id}/undo${index === 0 ? '' : `-${index + 1}`}`,
        args: [{ operation: undo.operation, input: undo.input, tenantId: plan.tenantId, poll: plan.poll }],
        priority: { priorityKey: NsePriority.Compensation, fairnessKey: nseFairnessKey(plan.tenantId) },
        staticSummary: `${plan.name} / undo ${report.id}: ${undo.operation}`.slice(0, 200),
      });
      messages.push(`undone by ${undo.operation}${undo.objectId ? ` (${undo.objectId})` : ''}`);
    } catch (err) {
      outcome = 'manual-cleanup-needed';
      messages.push(`undo ${undo.operation}${undo.objectId ? ` of ${undo.objectId}` : ''} failed: ${rootMessage(err)}`);
      log.error('undo of a provisioning step failed', { step: report.id, error: messages.at(-1) });
    }
  }
  report.outcome = outcome;
  report.message = messages.join('; ') || 'no undo recorded';
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
