/**
 * Durable execution of one NSE asynchronous call. The run validates its input, submits the call once (./submit: a
 * retry adopts the job an ambiguous earlier attempt created), then waits for the job (./await-job) until it is
 * terminal, continuing as new on a long wait. A job that ends ERROR or PARTIAL_FAILURES is undone (./compensation; a
 * cancellation cannot interrupt the undo), or held for the `decide` update when the input asks for it, and the run
 * fails with `NseJobFailed`. A cancelled run stops polling, waits for an accepted job to end and undoes it; it ends
 * cancelled only when that clean-up was complete. The run's state lives in one {@link OperationRun}.
 * @module
 */
import {
  CancellationScope,
  isCancellation,
  setHandler,
  workflowInfo,
  type ApplicationFailure,
} from '@temporalio/workflow';
import { JobState } from '../shared/nse-types';
import { assertWithinLimits, invalidInput, parseOperationInput, type ValidOperation } from '../shared/validation';
import {
  decideUpdate,
  operationStatusQuery,
  Phase,
  type Decision,
  type OperationInput,
  type OperationResult,
} from '../shared/workflow-api';
import { awaitJob, vanishedFailure } from './await-job';
import { cleanUpAfterCancel, compensateFailedJob, undoOfFinishedRun } from './compensation';
import { failureType, NsePriority } from './nse-calls';
import { handlePauses } from './pause-wait';
import { progressPublisher } from './progress';
import { OperationRun } from './run';
import { operationStatus, operationView } from './run-view';
import { submitRun } from './submit';
import {
  handleAcceptance,
  handleRunUpdates,
  publishInvalidRun,
  settleAcceptance,
  signalParentWhenAccepted,
  type AcceptanceState,
} from './updates';

/** Runs one NSE asynchronous call to its end; see the module comment for the durable behaviour. */
export async function nseOperationWorkflow(input: OperationInput): Promise<OperationResult> {
  // Validate before the update handler exists: registering it runs an update sent with the start at once.
  let valid: ValidOperation | undefined;
  const acceptance: AcceptanceState = {};
  try {
    valid = parseOperationInput(input);
  } catch (err) {
    acceptance.invalid = err as ApplicationFailure;
  }
  handleAcceptance(acceptance);
  if (!valid) {
    publishInvalidRun(input, acceptance.invalid as ApplicationFailure, 'operation');
    throw acceptance.invalid;
  }
  const run = new OperationRun(valid, input);
  // Started at undo priority (a plan's undo runs are): its NSE calls are undo calls and go first.
  run.undoRun = workflowInfo().priority?.priorityKey === NsePriority.Compensation;
  acceptance.jobId = () => run.jobId;
  run.progress = progressPublisher(() => operationView(run));
  setHandler(operationStatusQuery, () => operationStatus(run));
  setHandler(decideUpdate, (decision) => decide(run, decision), {
    validator: (decision) => checkDecision(run, decision),
  });
  handleRunUpdates(run);
  handlePauses((paused) => run.showPaused(paused));
  run.progress.changed();
  let failure: unknown = null;
  try {
    if (!run.jobId) {
      const submitted = await submitRun(run);
      if (submitted.kind === 'job') signalParentWhenAccepted(input, submitted.job.id);
      if (submitted.kind === 'sync') {
        run.setPhase(Phase.Succeeded);
        return { operation: run.spec.name, polls: 0, adopted: false };
      }
    }
    run.setPhase(Phase.Polling);
    const { job, vanished } = await awaitJob(run, { canContinueAsNew: true });
    if (vanished) throw vanishedFailure(run, job);
    if (job.state !== JobState.Normal) throw await compensateFailedJob(run, job);
    run.setPhase(Phase.Succeeded);
    const objectId = job.objectId || undefined;
    return {
      operation: run.spec.name,
      job,
      objectId,
      polls: run.polls,
      adopted: run.adopted,
      ...undoOfFinishedRun(run, job),
    };
  } catch (err) {
    failure = err;
    if (isCancellation(err)) {
      const incomplete = await CancellationScope.nonCancellable(() => cleanUpAfterCancel(run));
      failure = incomplete ?? err;
      throw failure;
    }
    if (run.phase !== Phase.Succeeded && failureType(err) !== undefined) run.setPhase(Phase.Failed);
    throw err;
  } finally {
    run.progress.publish();
    await settleAcceptance(acceptance, failure);
  }
}

/** The `decide` validator: only a known decision, only while the run awaits one, only once. */
function checkDecision(run: OperationRun, decision: Decision): void {
  assertWithinLimits(decision, 'decision');
  if (decision !== 'compensate' && decision !== 'keep')
    throw invalidInput(`decision: must be 'compensate' or 'keep', not ${JSON.stringify(decision)}`);
  if (run.phase !== Phase.AwaitingDecision || run.decision !== undefined)
    throw invalidInput(`decide: the run is ${run.phase}, not awaiting a decision`);
}

function decide(run: OperationRun, decision: Decision): { decision: Decision } {
  run.decision = decision;
  return { decision };
}
