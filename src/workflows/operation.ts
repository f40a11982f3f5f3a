/**
 * Durable execution of one NSE asynchronous call. The run validates its input (./acceptance), submits the call once
 * and waits for its job (./submit: a retry adopts the job an ambiguous earlier attempt created; ./await-job: the poll
 * loop, continuing as new on a long wait) until it is terminal. A job that ends ERROR or PARTIAL_FAILURES is undone
 * (./failed-job, ./undo; a cancellation cannot interrupt the undo), or held for the `decide` update when the input
 * asks for it, and the run fails with `NseJobFailed`. A cancelled run stops polling, waits for an accepted job to end
 * and undoes it (./after-cancel); it ends cancelled only when that clean-up was complete. The run's state lives in
 * one {@link OperationRun}.
 * @module
 */
import { CancellationScope, isCancellation, workflowInfo } from '@temporalio/workflow';
import { JobState } from '../shared/nse-types';
import { parseOperationInput } from '../shared/validation';
import { operationStatusQuery, Phase, type OperationInput, type OperationResult } from '../shared/workflow-api';
import { acceptInput, settlingAcceptance, signalParentWhenAccepted } from './acceptance';
import { cleanUpAfterCancel } from './after-cancel';
import { vanishedFailure } from './await-job';
import { compensateFailedJob } from './failed-job';
import { failureType, NsePriority } from './nse-calls';
import { handlePauses } from './pause-wait';
import { progressPublisher } from './progress';
import { OperationRun } from './run';
import { handleRunUpdates } from './run-updates';
import { operationStatus, operationView } from './run-view';
import { scrubRunSummary } from './scrub';
import { submitAndAwait } from './submit';
import { undoOfFinishedRun } from './undo';
import { onQuery } from './entries';

/** Runs one NSE asynchronous call to its end; see the module comment for the durable behaviour. */
export async function nseOperationWorkflow(input: OperationInput): Promise<OperationResult> {
  const { valid, acceptance } = acceptInput(input, parseOperationInput, 'operation');
  const run = new OperationRun(valid, input);
  // Started at undo priority (a plan's undo runs are): its NSE calls are undo calls and go first.
  run.undoRun = workflowInfo().priority?.priorityKey === NsePriority.Compensation;
  acceptance.jobId = () => run.jobId;
  run.progress = progressPublisher(() => operationView(run));
  onQuery(operationStatusQuery, () => operationStatus(run));
  handleRunUpdates(run);
  handlePauses((paused) => run.showPaused(paused));
  run.progress.changed();
  return await settlingAcceptance(acceptance, async () => {
    try {
      await scrubRunSummary(run);
      return await runToEnd(run);
    } catch (err) {
      if (isCancellation(err)) throw (await CancellationScope.nonCancellable(() => cleanUpAfterCancel(run))) ?? err;
      if (run.phase !== Phase.Succeeded && failureType(err) !== undefined) run.setPhase(Phase.Failed);
      throw err;
    } finally {
      run.progress.publish();
    }
  });
}

/** Submits the call and waits for its job; a failed job is undone and its failure thrown. */
async function runToEnd(run: OperationRun): Promise<OperationResult> {
  const outcome = await submitAndAwait(run, {
    nested: false,
    onAccepted: (jobId) => signalParentWhenAccepted(run.input, jobId),
  });
  if (outcome.kind === 'sync') {
    run.setPhase(Phase.Succeeded);
    return { operation: run.spec.name, polls: 0, adopted: false };
  }
  const { job, vanished } = outcome;
  if (vanished) throw vanishedFailure(run, job);
  if (job.state !== JobState.Normal) throw await compensateFailedJob(run, job);
  run.setPhase(Phase.Succeeded);
  return {
    operation: run.spec.name,
    job,
    objectId: job.objectId || undefined,
    polls: run.polls,
    adopted: run.adopted,
    ...undoOfFinishedRun(run, job),
  };
}
