/**
 * Undoing what a run's job did: after a job that ended ERROR or PARTIAL_FAILURES (at once, or after a human's
 * decision when the input says `onFailure: "hold"`), and after a cancel (once the accepted job has ended, since NSE
 * cannot cancel jobs). The plan comes from the catalogue and the job's tasks (src/shared/undo-plan.ts); each undo
 * operation runs through the same submit-and-poll machinery, nested in the owning run, and a cancellation cannot
 * interrupt them. Only a complete clean-up lets a cancelled run end CANCELLED.
 * @module
 */
import { CancellationScope, condition, log, type ApplicationFailure } from '@temporalio/workflow';
import { countCompensation } from './metrics';
import { FailureType, rootMessage } from '../shared/failures';
import { isFailed, JobState, type Job } from '../shared/nse-types';
import { findOperation } from '../shared/operations';
import { objectUndoStep, planUndo } from '../shared/undo-plan';
import { parseOperationFields } from '../shared/validation';
import {
  DEFAULT_POLL_POLICY,
  Phase,
  type CompensationReport,
  type Decision,
  type UndoOutcome,
  type UndoStep,
} from '../shared/workflow-api';
import { awaitJob } from './await-job';
import { failure, failureType, NsePriority } from './nse-calls';
import { OperationRun } from './run';
import { submitOperation } from './submit';

/** How to undo a finished run later (a plan's compensation): the first step, and all of them when there are more. */
export function undoOfFinishedRun(run: OperationRun, job: Job): { undo: UndoStep; undoSteps?: UndoStep[] } {
  const subject = { spec: run.spec, fields: run.fields, before: run.before };
  const steps = planUndo(subject, job);
  return { undo: objectUndoStep(subject, job), ...(steps.length > 1 ? { undoSteps: steps } : {}) };
}

/**
 * A job that ended ERROR or PARTIAL_FAILURES: undoes it (or, when held, what a human decides) and returns the failure
 * the run ends with: `NseJobFailed`, or `CompensationFailed` when an undo step failed. Details carry the job, its
 * tasks and each undo step's outcome.
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
  const steps: UndoOutcome[] = planUndo({ spec: run.spec, fields: run.fields, before: run.before }, job).map((step) => {
    const at = step.kind === 'run' ? step : step.report;
    return { outcome: 'kept', objectId: at.objectId, objectType: at.objectType, message: 'kept by decision' };
  });
  const objects = steps.map((s) => `${s.objectType ?? '?'} ${s.objectId ?? '(no id)'}`).join(', ');
  return summarise(steps, `kept by decision: ${objects || 'nothing to undo'}`);
}

/** Runs every undo step in order; a failing step is reported and the others still run. */
async function undo(run: OperationRun, job: Job): Promise<CompensationReport> {
  const outcomes: UndoOutcome[] = [];
  for (const step of planUndo({ spec: run.spec, fields: run.fields, before: run.before }, job))
    outcomes.push(await undoStep(run, step));
  return summarise(outcomes);
}

/** Runs one undo step (a nested operation) or passes its report on. */
async function undoStep(run: OperationRun, step: UndoStep): Promise<UndoOutcome> {
  if (step.kind === 'report') return step.report;
  const at = { operation: step.operation, objectId: step.objectId, objectType: step.objectType };
  run.compensation = { outcome: 'compensated', operation: step.operation, message: `running ${step.operation}` };
  run.setPhase(Phase.Compensating);
  run.progress.publish();
  try {
    const undoJob = await runNestedOperation(run, step.operation, step.input);
    const ended = undoJob ? `job ${undoJob.id} ended NORMAL` : 'answered synchronously';
    return { outcome: 'compensated', ...at, jobId: undoJob?.id, message: `${step.operation} ${ended}` };
  } catch (err) {
    // An undo that deletes something NSE no longer has has nothing left to do (a failed job may clean up itself).
    if (failureType(err) === FailureType.NseNotFound && findOperation(step.operation)?.verb === 'delete')
      return { outcome: 'not-needed', ...at, message: `${step.operation}: already gone (404)` };
    log.error('an undo step failed', { operation: step.operation, objectId: step.objectId, error: rootMessage(err) });
    return { outcome: 'failed', ...at, message: rootMessage(err) };
  }
}

const SEVERITY: readonly CompensationReport['outcome'][] = [
  'failed',
  'manual-cleanup-needed',
  'kept',
  'compensated',
  'not-needed',
];

/** One report for all steps: the worst outcome, the first step's names, every step listed when there are several. */
function summarise(outcomes: UndoOutcome[], message?: string): CompensationReport {
  const outcome = SEVERITY.find((o) => outcomes.some((s) => s.outcome === o)) ?? 'not-needed';
  const first = outcomes.find((s) => s.outcome === outcome) ?? outcomes[0];
  const text =
    message ??
    (outcomes.length <= 1
      ? (first?.message ?? 'nothing to undo')
      : outcomes.map((s) => `${s.objectType ?? ''} ${s.objectId ?? ''}: ${s.outcome} (${s.message})`).join('; '));
  return {
    outcome,
    ...(first?.operation ? { operation: first.operation } : {}),
    ...(first?.jobId ? { jobId: first.jobId } : {}),
    ...(first?.objectId ? { objectId: first.objectId } : {}),
    ...(first?.objectType ? { objectType: first.objectType } : {}),
    message: text,
    ...(outcomes.length > 1 ? { steps: outcomes } : {}),
  };
}

/**
 * After a cancel: lets an accepted job finish (NSE cannot cancel jobs), then undoes what it did. Returns the failure
 * the run ends with when the clean-up failed, ran out of time or left objects for a human; undefined when it was
 * complete and the run may end cancelled.
 */
export async function cleanUpAfterCancel(run: OperationRun): Promise<ApplicationFailure | undefined> {
  let job: Job | undefined;
  if (run.jobId && run.phase !== Phase.Compensating && run.phase !== Phase.Failed) {
    run.setPhase(Phase.Polling);
    try {
      const waited = await awaitJob(run, { canContinueAsNew: false });
      job = waited.job;
      if (!waited.vanished && (job.state === JobState.Normal || isFailed(job.state))) {
        run.compensation = await undo(run, job);
      } else if (waited.vanished) {
        const message = `job ${job.id} answered 404 before it ended: check its object by hand`;
        run.compensation = { outcome: 'manual-cleanup-needed', objectId: job.objectId || undefined, message };
      }
    } catch (err) {
      run.compensation = { outcome: 'failed', message: `clean-up after cancel failed: ${rootMessage(err)}` };
      log.error('clean-up after cancel failed', { jobId: run.jobId, error: rootMessage(err) });
    }
  }
  if (run.compensation) countCompensation(run.spec.name, 'cancelled', run.compensation.outcome);
  run.nextPollAt = undefined;
  const complete = !run.compensation || ['compensated', 'not-needed'].includes(run.compensation.outcome);
  if (complete) {
    run.setPhase(Phase.Cancelled);
    return undefined;
  }
  run.setPhase(Phase.Failed);
  const compensation = run.compensation as CompensationReport;
  return failure(
    FailureType.CancelCleanUpIncomplete,
    `${run.summary}: cancelled, but the clean-up is incomplete (${compensation.outcome}): ${compensation.message}`,
    { jobId: run.jobId as string, ...(job ? { job } : {}), compensation },
  );
}

/**
 * Submits one operation and waits for its job, for compensation inside `owner` (its tenant and poll policy). Throws
 * when the job does not end NORMAL, so the caller reports the step failed. Returns undefined for a synchronous answer.
 */
export async function runNestedOperation(
  owner: OperationRun,
  operation: string,
  input: Record<string, unknown>,
): Promise<Job | undefined> {
  const { tenantId, policy } = owner;
  const { spec, fields } = parseOperationFields(operation, input);
  const nestedPolicy = { ...policy, timeoutMs: DEFAULT_POLL_POLICY.timeoutMs };
  // No progress publisher: an undo run must not overwrite the owning run's search attributes.
  const valid = { spec, fields, tenantId, policy: nestedPolicy, onFailure: 'compensate' as const };
  const nested = new OperationRun(
    { ...valid, holdTimeoutMs: 0, holdDefault: 'compensate' },
    { operation, input: fields },
  );
  nested.undoRun = true;
  const request = { operation, input: fields, tenantId, notBefore: Date.now() - 60_000 };
  const outcome = await submitOperation(nested.summary, request, nestedPolicy, nested.nseCall(NsePriority.Submit));
  if (outcome.kind === 'sync') return undefined;
  nested.jobId = outcome.job.id;
  nested.lastJob = outcome.job;
  owner.undoInFlight = nested; // a pause shows on the owner, and moves the deadline of the wait it holds
  const { job, vanished } = await awaitJob(nested, { canContinueAsNew: false }).finally(() => {
    owner.undoInFlight = undefined;
  });
  if (vanished || job.state !== JobState.Normal) {
    const ending = vanished ? 'answered 404' : `ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
    throw failure(FailureType.CompensationFailed, `${operation} job ${job.id} ${ending}`, { jobId: job.id });
  }
  return job;
}
