/**
 * A job that ended ERROR or PARTIAL_FAILURES: it is undone at once, or, when the input says `onFailure: "hold"`,
 * after a human's `decide` (compensate or keep; the run's default when none comes in time). A cancellation cannot
 * interrupt the undo. The run then fails with `NseJobFailed` (or `CompensationFailed`).
 * @module
 */
import { CancellationScope, condition, log, type ApplicationFailure } from '@temporalio/workflow';
import { failure, FailureType } from '../shared/failures';
import type { Job } from '../shared/nse-types';
import { planUndo } from '../shared/undo-plan';
import { Phase, type CompensationReport, type Decision, type UndoOutcome } from '../shared/workflow-api';
import { countCompensation } from './metrics';
import type { OperationRun } from './run';
import { summarise, undo, undoSubject } from './undo';

/**
 * Undoes the failed `job` (or, when held, what a human decides) and returns the failure the run ends with:
 * `NseJobFailed`, or `CompensationFailed` when an undo step failed. Details carry the job, its tasks and each undo
 * step's outcome.
 */
export async function compensateFailedJob(run: OperationRun, job: Job): Promise<ApplicationFailure> {
  const message = `NSE job ${job.id} (${run.summary}) ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
  const decision = run.onFailure === 'hold' ? await awaitDecision(run) : 'compensate';
  run.compensation =
    decision === 'keep' ? keptReport(run, job) : await CancellationScope.nonCancellable(() => undo(run, job));
  countCompensation(run.spec.name, 'job-failed', run.compensation.outcome);
  run.setPhase(Phase.Failed);
  const details = { job, compensation: run.compensation };
  if (run.compensation.outcome === 'failed') {
    const why = run.compensation.message;
    return failure(FailureType.CompensationFailed, `${message}; then compensation failed: ${why}`, details);
  }
  const notes: Partial<Record<string, string>> = { 'manual-cleanup-needed': 'manual clean-up needed', kept: 'kept' };
  const note = notes[run.compensation.outcome]
    ? `; ${notes[run.compensation.outcome]}: ${run.compensation.message}`
    : '';
  return failure(FailureType.NseJobFailed, `${message}${note}`, details);
}

/** Waits durably for the `decide` update, or takes the run's default when none comes in time. */
async function awaitDecision(run: OperationRun): Promise<Decision> {
  run.decisionDueAt = Date.now() + run.holdTimeoutMs;
  run.setPhase(Phase.AwaitingDecision);
  run.progress.publish();
  const decided = await condition(() => run.decision !== undefined, run.holdTimeoutMs);
  if (!decided) {
    run.decision = run.holdDefault;
    log.info('no decision in time; taking the default', { jobId: run.jobId, decision: run.holdDefault });
  }
  run.decisionDueAt = undefined;
  return run.decision ?? run.holdDefault;
}

/** What a decision to keep leaves: every object the undo would have touched, named. */
function keptReport(run: OperationRun, job: Job): CompensationReport {
  const steps: UndoOutcome[] = planUndo(undoSubject(run), job).map((step) => {
    const at = step.kind === 'run' ? step : step.report;
    return { outcome: 'kept', objectId: at.objectId, objectType: at.objectType, message: 'kept by decision' };
  });
  const objects = steps.map((s) => `${s.objectType ?? '?'} ${s.objectId ?? '(no id)'}`).join(', ');
  return summarise(steps, `kept by decision: ${objects || 'nothing to undo'}`);
}
