/**
 * The poll loop: reads the job until it is terminal or the deadline passes, with capped, jittered backoff between
 * reads: in `activity` mode (the default) as the retries of one activity per change of the job, which add no history
 * event; in `local` and `long-poll` mode on a server-side timer between reads. A long wait continues as new,
 * carrying what the loop knows.
 * @module
 */
import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  isCancellation,
  log,
  sleep,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { AwaitJobChangeInput, GetJobInput } from '../activities';
import { MAX_UPDATED_LENGTH } from '../shared/poll-interval';
import { countJobEnded, countJobPoll, countJobReadError } from './metrics';
import { normaliseJobState } from '../shared/job-states';
import { failure, FailureType, rootMessage } from '../shared/failures';
import { isTerminal, JobState, type Job } from '../shared/nse-types';
import { fillPath, isSafePathSegment } from '../shared/nse-paths';
import { intervalAfter, jittered } from '../shared/poll-interval';
import { PollMode, type NseOperationWorkflow } from '../shared/workflow-api';
import { awaitJobChangeActivity, failureType, getJobActivity, readResourceActivity } from './nse-calls';
import { unlessPaused } from './pause-wait';
import type { OperationRun } from './run';

/** What one wait for a job ended with. */
export interface WaitOutcome {
  job: Job;
  /** The job answered 404 after being seen; `job` is the last version read. */
  vanished: boolean;
}

/** Reads the job once (`local`, `long-poll`) or until it changes (`activity`); undefined: read again. */
type JobReader = (afterChange: boolean) => Promise<Job | undefined>;

/**
 * Polls until the job is terminal. Read failures the retry policy gave up on are counted and the loop goes on
 * until the deadline; a 404 after the job was seen ends the wait with `vanished`. In `activity` mode one activity
 * waits for each change of the job (its attempts are the reads, no history event each); the other modes read once
 * per loop and wait on a workflow timer.
 */
export async function awaitJob(
  run: OperationRun,
  { canContinueAsNew }: { canContinueAsNew: boolean },
): Promise<WaitOutcome> {
  const read = run.policy.mode === PollMode.Activity ? changeReader(run) : singleReader(run);
  let afterChange = false;
  for (;;) {
    let job: Job | undefined;
    let failed = false;
    try {
      job = await read(afterChange);
    } catch (err) {
      failed = true;
      if (isCancellation(err) || failureType(err) === FailureType.PollDeadlineExceeded) throw err;
      const type = failureType(err);
      if (type === FailureType.NseNotFound && run.lastJob) {
        // Like ONTAP, NSE may forget finished jobs: the object itself then tells how the job ended.
        const settled = await outcomeFromObject(run, run.lastJob);
        if (settled) run.lastJob = settled;
        run.progress.changed();
        return settled ? { job: settled, vanished: false } : { job: run.lastJob, vanished: true };
      }
      // A proxy's login redirect, a firewall's 403 or a 400 says nothing about the job NSE accepted: read again.
      noteReadError(run, type, rootMessage(err));
    }
    run.pollsThisRun++;
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
    // `activity` mode: the next call's first attempt waits the interval, on the server, with no timer here; after a
    // call that failed (it may fail again at once) the workflow waits on a timer, as the other modes do.
    const timed = run.policy.mode !== PollMode.Activity || failed;
    afterChange = !timed;
    if (timed && Date.now() + run.intervalMs > run.deadline) throw deadlineFailure(run);
    if (canContinueAsNew && (run.pollsThisRun >= run.policy.maxPollsPerRun || workflowInfo().continueAsNewSuggested))
      await continueRunAsNew(run);
    if (!timed) continue;
    const delay = jittered(run.intervalMs, run.policy.jitterRatio, Math.random()); // seeded: replay draws the same
    run.nextPollAt = Date.now() + delay;
    run.progress.publish();
    await sleep(delay, { summary: `wait before reading NSE job ${run.jobId}` });
    run.intervalMs = intervalAfter(run.intervalMs, 1, run.policy);
  }
}

/** The `local` and `long-poll` read: one activity per read, each counted as a poll. */
function singleReader(run: OperationRun): JobReader {
  const jobId = run.jobId as string;
  const read = getJobActivity(run.policy, `read NSE job ${jobId}`, run.nseCall());
  return async () => {
    const request: GetJobInput = { jobId };
    if (run.policy.mode === PollMode.LongPoll) {
      request.longPollSeconds = run.policy.longPollSeconds;
      request.lastModified = run.lastJob?.updated || undefined;
      run.progress.publish(); // a local read ends inside this workflow task
    }
    try {
      return await read(request);
    } finally {
      run.polls++;
      countJobPoll(run.spec.name, run.policy.mode); // replay-aware: not re-emitted, no history event
    }
  };
}

/**
 * The `activity` read: one `awaitJobChange` call until the job changes or ends. Its attempts are the reads (counted
 * as polls, and by the activity's metric where they happen); the interval grows with them as it would with timers.
 * After a change (`afterChange`) the call's first attempt waits the interval instead of reading. The call is bounded
 * by the deadline; one that ran out of time after `extendDeadline` moved the deadline answers undefined (call again).
 */
function changeReader(run: OperationRun): JobReader {
  const jobId = run.jobId as string;
  return async (afterChange) => {
    const input: AwaitJobChangeInput = {
      jobId,
      operation: run.spec.name,
      ...lastSeen(run.lastJob),
      intervalMs: run.intervalMs,
      interval: {
        maxIntervalMs: run.policy.maxIntervalMs,
        backoffCoefficient: run.policy.backoffCoefficient,
        jitterRatio: run.policy.jitterRatio,
      },
      waitFirst: afterChange,
    };
    run.nextPollAt = undefined;
    run.progress.publish();
    let deadline = run.deadline; // of the last call: a pause before it moved it, an extendDeadline after it
    try {
      const { job, readError, attempts } = await unlessPaused(async () => {
        deadline = run.deadline;
        if (Date.now() >= deadline) throw deadlineFailure(run);
        const call = run.nseCall();
        const summary = `wait for a change of NSE job ${jobId}`;
        return await awaitJobChangeActivity(run.policy, summary, call, run.deadline - Date.now())(input);
      });
      run.polls += afterChange ? attempts - 1 : attempts;
      run.intervalMs = intervalAfter(run.intervalMs, attempts - 1, run.policy);
      if (readError) noteReadError(run, readError.type, readError.message);
      return job;
    } catch (err) {
      if (failureType(err) === FailureType.JobUnchanged && !ranOutOfTime(err)) return undefined; // cancel requested
      if (!ranOutOfTime(err)) throw err;
      if (run.deadline > deadline && Date.now() < run.deadline) return undefined;
      throw deadlineFailure(run, err);
    }
  };
}

/**
 * The job as last seen, for the activity to compare with: NSE's `updated` only when it fits the activity's gate
 * (without it every read counts as a change: more events, never a missed change).
 */
function lastSeen(job: Job | undefined): Pick<AwaitJobChangeInput, 'lastState' | 'lastUpdated'> {
  if (!job) return {};
  return { lastState: job.state, ...(job.updated.length <= MAX_UPDATED_LENGTH ? { lastUpdated: job.updated } : {}) };
}

/** An activity that ran out of its schedule-to-close time, or whose next attempt would have. */
function ranOutOfTime(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return (
    err.retryState === 'TIMEOUT' ||
    (err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_CLOSE')
  );
}

/** The wait's end at its deadline; `lastCall` is an `activity` call that ran out of time, for its last read fault. */
function deadlineFailure(run: OperationRun, lastCall?: unknown): ApplicationFailure {
  const lastRead = lastCall === undefined ? undefined : lastReadFault(lastCall);
  const reads =
    run.readErrors > 0
      ? ` (${run.readErrors} reads got no job; last: ${run.lastReadError})`
      : lastRead
        ? ` (the last read got no job: ${lastRead})`
        : '';
  return failure(
    FailureType.PollDeadlineExceeded,
    `NSE job ${run.jobId} was still ${run.lastJob?.state ?? 'unknown'} after ${run.policy.timeoutMs} ms${reads}; ` +
      'it may still be running: check it in NSE before retrying or cleaning up',
    { jobId: run.jobId, objectId: run.lastJob?.objectId, state: run.lastJob?.state },
  );
}

/** The fault of the last attempt of a call that ran out of time, unless that attempt found the job unchanged. */
function lastReadFault(err: unknown): string | undefined {
  let cause: unknown = err;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (!(cause instanceof ApplicationFailure) || cause.type === FailureType.JobUnchanged) return undefined;
  return `${cause.type ?? 'error'}: ${cause.message}`;
}

/** Counts a read that got no job, for the details, the metric and the log; the loop goes on until the deadline. */
function noteReadError(run: OperationRun, type: string | undefined, message: string): void {
  run.readErrors++;
  run.lastReadError = `${type ?? 'error'}: ${message}`;
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
  // An object id that is no safe path segment (a lone surrogate would make encodeURIComponent throw) leaves it undecided.
  if (spec.verb === 'create' && isSafePathSegment(job.objectId) && !spec.path.includes('{'))
    path = `${spec.path}/${encodeURIComponent(job.objectId)}`;
  else if (spec.verb === 'delete' && !spec.path.includes('/snapshot/')) path = fillPath(spec.path, run.fields).path;
  else return undefined;
  let objectState: unknown;
  run.progress.publish();
  try {
    const call = run.nseCall();
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
