/**
 * Undoing what a run's job did. The steps come from the catalogue and the job's tasks (src/shared/undo-plan.ts);
 * each undo operation is a run nested in the owning one, through the same submit-and-await routine (./submit) at
 * undo priority. A failing step is reported and the others still run; one report sums them up.
 * @module
 */
import { log } from '@temporalio/workflow';
import { failure, FailureType, rootMessage } from '../shared/failures';
import { JobState, type Job } from '../shared/nse-types';
import { findOperation } from '../shared/operations';
import { objectUndoStep, planUndo, type UndoSubject } from '../shared/undo-plan';
import { parseOperationInput } from '../shared/validation';
import {
  DEFAULT_POLL_POLICY,
  Phase,
  type CompensationReport,
  type UndoOutcome,
  type UndoStep,
} from '../shared/workflow-api';
import { failureType } from './nse-calls';
import { OperationRun } from './run';
import { scrubRunSummary } from './scrub';
import { submitAndAwait } from './submit';

/** What the undo of `run` is planned from. */
export function undoSubject(run: OperationRun): UndoSubject {
  return { spec: run.spec, fields: run.fields, before: run.before };
}

/** How to undo a finished run later (a plan's compensation): the first step, and all of them when there are more. */
export function undoOfFinishedRun(run: OperationRun, job: Job): { undo: UndoStep; undoSteps?: UndoStep[] } {
  const steps = planUndo(undoSubject(run), job);
  return { undo: objectUndoStep(undoSubject(run), job), ...(steps.length > 1 ? { undoSteps: steps } : {}) };
}

/** Runs every undo step of `job` in order; a failing step is reported and the others still run. */
export async function undo(run: OperationRun, job: Job): Promise<CompensationReport> {
  const outcomes: UndoOutcome[] = [];
  for (const step of planUndo(undoSubject(run), job)) outcomes.push(await undoStep(run, step));
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
    const undoJob = await runUndo(run, step.operation, step.input);
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

/**
 * Runs one undo operation nested in `owner` (its tenant and poll policy, the default deadline). Throws when the job
 * does not end NORMAL, so the caller reports the step failed. Returns undefined for a synchronous answer.
 */
async function runUndo(
  owner: OperationRun,
  operation: string,
  input: Record<string, unknown>,
): Promise<Job | undefined> {
  const request = {
    operation,
    input,
    ...(owner.tenantId === undefined ? {} : { tenantId: owner.tenantId }),
    poll: { ...owner.policy, timeoutMs: DEFAULT_POLL_POLICY.timeoutMs },
  };
  // No progress publisher: an undo run must not overwrite the owning run's search attributes.
  const nested = new OperationRun(parseOperationInput(request), request);
  nested.undoRun = true;
  await scrubRunSummary(nested);
  const outcome = await submitAndAwait(nested, {
    nested: true,
    onAccepted: () => (owner.undoInFlight = nested), // a pause shows on the owner and moves this wait's deadline
  }).finally(() => {
    owner.undoInFlight = undefined;
  });
  if (outcome.kind === 'sync') return undefined;
  const { job, vanished } = outcome;
  if (vanished || job.state !== JobState.Normal) {
    const ending = vanished ? 'answered 404' : `ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
    throw failure(FailureType.CompensationFailed, `${operation} job ${job.id} ${ending}`, { jobId: job.id });
  }
  return job;
}

const SEVERITY: readonly CompensationReport['outcome'][] = [
  'failed',
  'manual-cleanup-needed',
  'kept',
  'compensated',
  'not-needed',
];

/** One report for all steps: the worst outcome, the first step's names, every step listed when there are several. */
export function summarise(outcomes: UndoOutcome[], message?: string): CompensationReport {
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
