/**
 * Undoing what a run's job did: after a job that ended ERROR or PARTIAL_FAILURES, and after a cancel (once the
 * accepted job has ended, since NSE cannot cancel jobs). Undo operations run through the same submit-and-poll
 * machinery, nested in the owning run, and a cancellation cannot interrupt them.
 * @module
 */
import { CancellationScope, log, type ApplicationFailure } from '@temporalio/workflow';
import { countCompensation } from '../metrics/workflow-metrics';
import { FailureType, rootMessage } from '../shared/failures';
import { isFailed, JobState, type Job } from '../shared/nse-types';
import { findOperation } from '../shared/operations';
import { parseOperationFields } from '../shared/validation';
import {
  DEFAULT_POLL_POLICY,
  Phase,
  type CompensationReport,
  type PollPolicy,
  type UndoStep,
} from '../shared/workflow-api';
import { awaitJob } from './await-job';
import { failure, failureType } from './nse-calls';
import { OperationRun } from './run';
import { submitOperation } from './submit';

/**
 * What undoing this operation takes, from the catalogue: another operation to run, or only a report (nothing to
 * undo, or NSE has no undo and the object needs manual clean-up). For a partial failure the created object holds
 * what the successful tasks made, so deleting it undoes them too.
 */
export function undoStep(run: OperationRun, job: Job): UndoStep {
  const { spec, fields } = run;
  const undo = spec.undo;
  const objectId = job.objectId || undefined;
  if (undo.kind === 'none') {
    if (spec.verb !== 'create' || !objectId)
      return { kind: 'report', report: { outcome: 'not-needed', message: undo.reason } };
    const message = `${spec.resource} ${objectId}: ${undo.reason}`;
    return { kind: 'report', report: { outcome: 'manual-cleanup-needed', objectId, message } };
  }
  if (undo.kind === 'restore') {
    if (!run.before)
      return { kind: 'report', report: { outcome: 'not-needed', message: 'nothing was read before the update' } };
    return { kind: 'run', operation: undo.operation, input: undo.restoreInput(fields, run.before), objectId };
  }
  if (!objectId && !spec.path.includes('{')) {
    return { kind: 'report', report: { outcome: 'not-needed', message: 'NSE created no object' } };
  }
  return { kind: 'run', operation: undo.operation, input: undo.input(fields, objectId ?? ''), objectId };
}

/** Undoes a job that ended ERROR or PARTIAL_FAILURES and returns the failure the run ends with. */
export async function compensateFailedJob(run: OperationRun, job: Job): Promise<ApplicationFailure> {
  const message = `NSE job ${job.id} (${run.summary}) ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
  try {
    run.compensation = await CancellationScope.nonCancellable(() => undo(run, job));
  } catch (err) {
    run.compensation = { outcome: 'failed', message: `undo failed: ${rootMessage(err)}` };
    countCompensation(run.spec.name, 'job-failed', 'failed');
    run.setPhase(Phase.Failed);
    return failure(FailureType.CompensationFailed, `${message}; then compensation failed: ${rootMessage(err)}`, {
      job,
      compensation: run.compensation,
    });
  }
  countCompensation(run.spec.name, 'job-failed', run.compensation.outcome);
  run.setPhase(Phase.Failed);
  const note =
    run.compensation.outcome === 'manual-cleanup-needed' ? `; manual clean-up needed: ${run.compensation.message}` : '';
  return failure(FailureType.NseJobFailed, `${message}${note}`, { job, compensation: run.compensation });
}

/** Runs {@link undoStep} through the same submit-and-poll machinery. */
async function undo(run: OperationRun, job: Job): Promise<CompensationReport> {
  const step = undoStep(run, job);
  if (step.kind === 'report') return step.report;
  run.compensation = { outcome: 'compensated', operation: step.operation, message: `running ${step.operation}` };
  run.setPhase(Phase.Compensating);
  run.progress.publish();
  let undoJob: Job | undefined;
  try {
    undoJob = await runNestedOperation(step.operation, step.input, run.tenantId, run.policy);
  } catch (err) {
    // An undo that deletes something NSE no longer has has nothing left to do (a failed job may clean up itself).
    if (failureType(err) !== FailureType.NseNotFound || findOperation(step.operation)?.verb !== 'delete') throw err;
    return {
      outcome: 'not-needed',
      operation: step.operation,
      objectId: step.objectId,
      message: `${step.operation}: already gone (404)`,
    };
  }
  return {
    outcome: 'compensated',
    operation: step.operation,
    jobId: undoJob?.id,
    objectId: step.objectId,
    message: `${step.operation} ${undoJob ? `job ${undoJob.id} ended NORMAL` : 'answered synchronously'}`,
  };
}

/** After a cancel: let an accepted job finish (NSE cannot cancel jobs), then undo what it did. */
export async function cleanUpAfterCancel(run: OperationRun): Promise<void> {
  if (run.jobId && run.phase !== Phase.Compensating && run.phase !== Phase.Failed) {
    run.setPhase(Phase.Polling);
    try {
      const { job, vanished } = await awaitJob(run, { canContinueAsNew: false });
      if (!vanished && (job.state === JobState.Normal || isFailed(job.state))) {
        run.compensation = await undo(run, job);
      }
    } catch (err) {
      run.compensation = { outcome: 'failed', message: `clean-up after cancel failed: ${rootMessage(err)}` };
      log.error('clean-up after cancel failed', { jobId: run.jobId, error: rootMessage(err) });
    }
  }
  if (run.compensation) countCompensation(run.spec.name, 'cancelled', run.compensation.outcome);
  run.nextPollAt = undefined;
  run.setPhase(Phase.Cancelled);
}

/**
 * Submits one operation and waits for its job, for compensation inside another run. Throws when the job does
 * not end NORMAL, so the caller reports `CompensationFailed`. Returns undefined for a synchronous answer.
 */
export async function runNestedOperation(
  operation: string,
  input: Record<string, unknown>,
  tenantId: string | undefined,
  policy: PollPolicy,
): Promise<Job | undefined> {
  const { spec, fields } = parseOperationFields(operation, input);
  const nestedPolicy = { ...policy, timeoutMs: DEFAULT_POLL_POLICY.timeoutMs };
  // No progress publisher: an undo run must not overwrite the owning run's search attributes.
  const nested = new OperationRun({ spec, fields, tenantId, policy: nestedPolicy }, { operation, input: fields });
  const request = { operation, input: fields, tenantId, notBefore: Date.now() - 60_000 };
  const outcome = await submitOperation(nested.summary, request, nestedPolicy);
  if (outcome.kind === 'sync') return undefined;
  nested.jobId = outcome.job.id;
  nested.lastJob = outcome.job;
  const { job, vanished } = await awaitJob(nested, { canContinueAsNew: false });
  if (vanished || job.state !== JobState.Normal) {
    const ending = vanished ? 'answered 404' : `ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
    throw failure(FailureType.CompensationFailed, `${operation} job ${job.id} ${ending}`, { jobId: job.id });
  }
  return job;
}
