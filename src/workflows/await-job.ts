/**
 * The poll loop: reads the job and sleeps on a server-side timer between reads, with capped, jittered backoff, until
 * the job is terminal or the deadline passes. A long wait continues as new, carrying what the loop knows.
 * @module
 */
import { continueAsNew, isCancellation, log, sleep, workflowInfo, type ApplicationFailure } from '@temporalio/workflow';
import type { GetJobInput } from '../activities';
import { countJobEnded, countJobPoll, countJobReadError } from './metrics';
import { normaliseJobState } from '../shared/job-states';
import { failure, FailureType, rootMessage } from '../shared/failures';
import { isTerminal, JobState, type Job } from '../shared/nse-types';
import { fillPath } from '../shared/nse-paths';
import { PollMode, type NseOperationWorkflow } from '../shared/workflow-api';
import { failureType, getJobActivity, NsePriority, readResourceActivity } from './nse-calls';
import type { OperationRun } from './run';

/** What one wait for a job ended with. */
export interface WaitOutcome {
  job: Job;
  /** The job answered 404 after being seen; `job` is the last version read. */
  vanished: boolean;
}

/**
 * Polls until the job is terminal. Read failures the retry policy gave up on are counted and the loop goes on
 * until the deadline; a 404 after the job was seen ends the wait with `vanished`.
 */
export async function awaitJob(
  run: OperationRun,
  { canContinueAsNew }: { canContinueAsNew: boolean },
): Promise<WaitOutcome> {
  const jobId = run.jobId as string;
  const read = getJobActivity(run.policy, `read NSE job ${jobId}`, run.nseCall(NsePriority.Read));
  for (;;) {
    let job: Job | undefined;
    try {
      const request: GetJobInput = { jobId };
      if (run.policy.mode === PollMode.LongPoll) {
        request.longPollSeconds = run.policy.longPollSeconds;
        request.lastModified = run.lastJob?.updated || undefined;
      }
      if (run.policy.mode !== PollMode.Local) run.progress.publish(); // a local read ends inside this workflow task
      job = await read(request);
    } catch (err) {
      if (isCancellation(err)) throw err;
      const type = failureType(err);
      if (type === FailureType.NseNotFound && run.lastJob) {
        // Like ONTAP, NSE may forget finished jobs: the object itself then tells how the job ended.
        const settled = await outcomeFromObject(run, run.lastJob);
        if (settled) run.lastJob = settled;
        run.progress.changed();
        return settled ? { job: settled, vanished: false } : { job: run.lastJob, vanished: true };
      }
      // A proxy's login redirect, a firewall's 403 or a 400 says nothing about the job NSE accepted: read again.
      noteReadError(run, type, err);
    }
    run.polls++;
    run.pollsThisRun++;
    countJobPoll(run.spec.name, run.policy.mode); // replay-aware: not re-emitted, no history event
    if (job) {
      const changed = job.updated !== run.lastJob?.updated || job.state !== run.lastJob?.state;
      if (!job.stateKnown) noteUnknownWords(run, job);
      if (job.state === JobState.Warning && run.lastJob?.state !== JobState.Warning) run.warnings++;
      run.lastJob = job;
      if (isTerminal(job.state)) {
        countJobEnded(run.spec.name, job.state, Date.now() - run.startedAt);
        run.nextPollAt = undefined;
        run.progress.changed();
        return { job, vanished: false };
      }
      // A long read that saw a change can read again at once; an unchanged one means NSE ignored the extension.
      if (run.policy.mode === PollMode.LongPoll && changed) {
        run.progress.changed();
        continue;
      }
    }
    if (Date.now() + run.intervalMs > run.deadline) throw deadlineFailure(run);
    if (canContinueAsNew && (run.pollsThisRun >= run.policy.maxPollsPerRun || workflowInfo().continueAsNewSuggested))
      await continueRunAsNew(run);
    const delay = jittered(run.intervalMs, run.policy.jitterRatio);
    run.nextPollAt = Date.now() + delay;
    run.progress.publish();
    await sleep(delay, { summary: `wait before reading NSE job ${jobId}` });
    run.intervalMs = Math.min(run.intervalMs * run.policy.backoffCoefficient, run.policy.maxIntervalMs);
  }
}

function deadlineFailure(run: OperationRun): ApplicationFailure {
  const reads = run.readErrors > 0 ? ` (${run.readErrors} reads got no job; last: ${run.lastReadError})` : '';
  return failure(
    FailureType.PollDeadlineExceeded,
    `NSE job ${run.jobId} was still ${run.lastJob?.state ?? 'unknown'} after ${run.policy.timeoutMs} ms${reads}; ` +
      'it may still be running: check it in NSE before retrying or cleaning up',
    { jobId: run.jobId, objectId: run.lastJob?.objectId, state: run.lastJob?.state },
  );
}

/** Counts a read that got no job, for the details, the metric and the log; the loop goes on until the deadline. */
function noteReadError(run: OperationRun, type: string | undefined, err: unknown): void {
  run.readErrors++;
  run.lastReadError = `${type ?? 'error'}: ${rootMessage(err)}`;
  countJobReadError(run.spec.name, type ?? 'unknown'); // replay-aware, no history event
  log.warn('NSE job read got no job; polling goes on', { jobId: run.jobId, error: run.lastReadError });
  run.progress.changed();
}

/** Logs each state word the table does not know once per run and shows it in the details; the job counts as running. */
function noteUnknownWords(run: OperationRun, job: Job): void {
  const raw = job.raw;
  const words = normaliseJobState({
    state: typeof raw.state === 'string' ? raw.state : undefined,
    status: typeof raw.status === 'string' ? raw.status : undefined,
  }).unknownWords;
  for (const word of words.filter((w) => !run.unknownStateWords.has(w))) {
    run.unknownStateWords.add(word);
    log.warn('NSE job reports an unknown state word; treated as running', { jobId: job.id, word });
  }
}

/** Spreads polls of many runs apart; Math.random is seeded per run, so replay draws the same numbers. */
function jittered(intervalMs: number, jitterRatio: number): number {
  const spread = intervalMs * jitterRatio;
  return Math.max(1, Math.round(intervalMs - spread + Math.random() * 2 * spread));
}

async function continueRunAsNew(run: OperationRun): Promise<never> {
  run.progress.publish(); // the next run starts from the search attributes this one carries
  log.info('continuing as new', { jobId: run.jobId, polls: run.polls });
  return await continueAsNew<NseOperationWorkflow>({
    ...run.input,
    poll: run.policy, // as the setPollPolicy update may have left it
    resume: run.resumeState(),
  });
}

/**
 * For a job NSE no longer keeps, reads the object it acted on: a created object that is `Operational` (or a
 * deleted one that is gone) means the job succeeded, `Contact support` means it failed. Anything else, or an
 * operation whose object cannot be read back, is left undecided (undefined).
 */
async function outcomeFromObject(run: OperationRun, job: Job): Promise<Job | undefined> {
  const spec = run.spec;
  let path: string;
  if (spec.verb === 'create' && job.objectId && !spec.path.includes('{'))
    path = `${spec.path}/${encodeURIComponent(job.objectId)}`;
  else if (spec.verb === 'delete' && !spec.path.includes('/snapshot/')) path = fillPath(spec.path, run.fields).path;
  else return undefined;
  let objectState: unknown;
  run.progress.publish();
  try {
    const call = run.nseCall(NsePriority.Read);
    objectState = (await readResourceActivity(`read ${path} after its job vanished`, call)(path)).state;
  } catch (err) {
    if (isCancellation(err) || failureType(err) !== FailureType.NseNotFound) throw err;
    objectState = 'gone';
  }
  const outcomes: Record<string, JobState | undefined> =
    spec.verb === 'create'
      ? { Operational: JobState.Normal, 'Contact support': JobState.Error }
      : { gone: JobState.Normal, Operational: JobState.Error, 'Contact support': JobState.Error };
  const state = typeof objectState === 'string' ? outcomes[objectState] : undefined;
  if (!state) return undefined;
  log.warn('NSE job vanished; outcome taken from its object', { jobId: job.id, objectState });
  const statusDetail = `job no longer kept by NSE; object ${path} is ${String(objectState)}`;
  return { ...job, state, stateKnown: true, statusDetail, lastError: state === JobState.Error ? statusDetail : '' };
}

/** The failure of a run whose job answered 404 and whose object did not tell how it ended. */
export function vanishedFailure(run: OperationRun, job: Job): ApplicationFailure {
  return failure(
    FailureType.JobVanished,
    `NSE job ${job.id} (${run.summary}) answered 404 after it was seen ${job.state}; NSE no longer keeps it: ` +
      `check object ${job.objectId || '(none)'} by hand`,
    { jobId: job.id, objectId: job.objectId, lastState: job.state },
  );
}
