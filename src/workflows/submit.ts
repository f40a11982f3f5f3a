/**
 * Submitting one NSE call, exactly once: a retry adopts the job an ambiguous earlier attempt created, and a submit
 * whose last attempt left open whether NSE acted asks NSE for the job before giving up.
 * @module
 */
import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { SubmitOperationInput, SubmitOutcome } from '../activities';
import { FailureType, rootMessage } from '../shared/failures';
import type { Job } from '../shared/nse-types';
import { fillPath } from '../shared/operations';
import { Phase, type PollPolicy } from '../shared/workflow-api';
import {
  failure,
  failureType,
  lookupActivities,
  NsePriority,
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
export async function submitOperation(
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

/** The run's submit: reads the values an update will change (for its undo), then submits the call once. */
export async function submitRun(run: OperationRun): Promise<SubmitOutcome> {
  run.setPhase(Phase.Submitting);
  const undo = run.spec.undo;
  run.progress.publish();
  const call = run.nseCall(NsePriority.Submit); // the read before an update is part of its submit
  if (undo.kind === 'restore' && !run.before) {
    const { path } = fillPath(undo.readPath, run.fields);
    // Only the fields the update changes, as NSE has them (never redacted: the undo sends them back).
    run.before = await readResourceActivity(`read ${path} before update`, call)(path, Object.keys(run.fields));
  }
  const request = {
    operation: run.spec.name,
    input: run.fields,
    tenantId: run.tenantId,
    notBefore: workflowInfo().runStartTime.getTime() - 60_000, // NSE's clock may lag ours a little
  };
  const outcome = await submitOperation(run.summary, request, run.policy, call);
  if (outcome.kind === 'job') {
    run.jobId = outcome.job.id;
    run.lastJob = outcome.job;
    run.adopted = outcome.adopted;
  }
  return outcome;
}
