/**
 * Submitting one NSE call, exactly once, and waiting for its job: the one routine of a run's own call and of every
 * undo call nested in a run. A retry adopts the job an ambiguous earlier attempt created, and a submit whose last
 * attempt left open whether NSE acted asks NSE for the job before giving up.
 * @module
 */
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { SubmitOperationInput, SubmitOutcome } from '../activities';
import { failure, FailureType, rootMessage } from '../shared/failures';
import type { Job } from '../shared/nse-types';
import { fillPath } from '../shared/nse-paths';
import { admitBefore } from '../shared/validation';
import { Phase, type PollPolicy } from '../shared/workflow-api';
import { awaitJob, type WaitOutcome } from './await-job';
import {
  failureType,
  lookupActivities,
  PERMANENT,
  readResourceActivity,
  submitActivities,
  type NseCall,
} from './nse-calls';
import type { OperationRun } from './run';

/**
 * Submits one call and returns its job (or synchronous answer); it cannot be cancelled half-way, since that would
 * lose the id of a job NSE may have accepted. Attempts are bounded by time (`policy.submitTimeoutMs`), not by count,
 * so attempts lost to worker crashes do not use up the budget of an NSE outage. When the last attempt failed in a
 * way that leaves open whether NSE acted (no answer, a timeout), NSE is asked for the job once more (for at most the
 * same time), and a job found is adopted: a resource NSE created is never left behind unreported.
 */
async function submitOperation(
  summary: string,
  request: SubmitOperationInput,
  policy: PollPolicy,
  call: NseCall,
): Promise<SubmitOutcome> {
  return await CancellationScope.nonCancellable(async () => {
    try {
      return await submitActivities(summary, policy, call).submitOperation(request);
    } catch (submitError) {
      if (PERMANENT.some((type) => type === failureType(submitError))) throw submitError;
      let job: Job | null;
      try {
        job = await lookupActivities(summary, policy, call).findSubmittedJob(request);
      } catch (lookupError) {
        throw failure(
          (failureType(submitError) as FailureType | undefined) ?? FailureType.NseUnavailable,
          `${summary}: the submit failed (${rootMessage(submitError)}) and NSE could not be asked whether its last ` +
            `attempt was acted on (${rootMessage(lookupError)}): check NSE for it before retrying or cleaning up`,
          { operation: request.operation },
        );
      }
      if (!job) throw submitError;
      return { kind: 'job', httpStatus: 202, job, adopted: true };
    }
  });
}

/** How a run's call ended: NSE answered at once, or its job ended (or vanished). */
type CallOutcome = { kind: 'sync' } | ({ kind: 'job' } & WaitOutcome);

/** Where the run is: a workflow's own, or an undo nested in another run. */
interface CallPlace {
  /** A workflow's own run may continue as new while it waits; a nested one may not. */
  nested: boolean;
  /** Told once NSE accepted the call (and is waiting for the job); not for a continued run. */
  onAccepted?: (jobId: string) => void;
}

/**
 * Submits the run's call (unless the run continues one whose job NSE accepted) and waits until its job ends. A
 * workflow's own run reads the values an update will change first (for its undo); an undo nested in a run does not.
 */
export async function submitAndAwait(run: OperationRun, place: CallPlace): Promise<CallOutcome> {
  if (!run.jobId) {
    const submitted = await submitRun(run, place.nested);
    if (submitted.kind === 'sync') return { kind: 'sync' };
    place.onAccepted?.(submitted.job.id);
  }
  run.setPhase(Phase.Polling);
  return { kind: 'job', ...(await awaitJob(run, { canContinueAsNew: !place.nested })) };
}

async function submitRun(run: OperationRun, nested: boolean): Promise<SubmitOutcome> {
  run.setPhase(Phase.Submitting);
  const undo = run.spec.undo;
  run.progress.publish();
  const call = run.nseCall(); // the read before an update is part of its submit
  if (!nested && undo.kind === 'restore' && !run.before) {
    const { path } = fillPath(undo.readPath, run.fields);
    // Only the fields the update changes, as NSE has them (never redacted: the undo sends them back).
    const record = await readResourceActivity(`read ${path} before update`, call)(path, Object.keys(run.fields));
    // Before NSE is asked for anything: bounded, so a continued run carries it as it is (see admitBefore).
    run.before = admitBefore(record);
  }
  // NSE's clock may lag ours a little; an undo is submitted long after its run started.
  const startedAt = nested ? Date.now() : workflowInfo().runStartTime.getTime();
  const request = {
    operation: run.spec.name,
    input: run.fields,
    tenantId: run.tenantId,
    notBefore: startedAt - 60_000,
  };
  const outcome = await submitOperation(run.summary, request, run.policy, call);
  if (outcome.kind === 'job') {
    run.jobId = outcome.job.id;
    run.lastJob = outcome.job;
    run.adopted = outcome.adopted;
  }
  return outcome;
}
