/**
 * After a cancel: NSE cannot cancel jobs, so an accepted job is let finish, then what it did is undone (./undo).
 * Only a complete clean-up lets a cancelled run end CANCELLED.
 * @module
 */
import { log, type ApplicationFailure } from '@temporalio/workflow';
import { failure, FailureType, rootMessage } from '../shared/failures';
import { isFailed, JobState, type Job } from '../shared/nse-types';
import { Phase, type CompensationReport } from '../shared/workflow-api';
import { awaitJob } from './await-job';
import { countCompensation } from './metrics';
import type { OperationRun } from './run';
import { undo } from './undo';

/**
 * Lets an accepted job finish, then undoes what it did. Returns the failure the run ends with when the clean-up
 * failed, ran out of time or left objects for a human; undefined when it was complete and the run may end cancelled.
 */
export async function cleanUpAfterCancel(run: OperationRun): Promise<ApplicationFailure | undefined> {
  run.cancelRequested = true; // the status query says so while the run waits for its job, then undoes it
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
