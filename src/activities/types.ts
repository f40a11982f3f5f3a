/**
 * The activities' contract: their inputs and outputs and the interface workflows proxy (with `import type`). Apart
 * from the implementation so the activities' helpers (adoption.ts) use these types without importing it.
 * @module
 */
import type { Job, JobState, SubmitResult } from '../shared/nse-types';
import type { IntervalPolicy } from '../shared/poll-interval';

/** Input of {@link NseActivities.submitOperation}. */
export interface SubmitOperationInput {
  operation: string;
  input: Record<string, unknown>;
  tenantId?: string;
  /** Jobs created before this instant (ms since epoch) are never adopted. */
  notBefore: number;
}

/** What a submit produced: a job to follow, adopted when an earlier attempt had already created it. */
export type SubmitOutcome = SubmitResult & { adopted: boolean };

/** Input of {@link NseActivities.getJob}. */
export interface GetJobInput {
  jobId: string;
  /** Long-poll extension: let NSE hold the read up to this many seconds until the job changes. */
  longPollSeconds?: number;
  /** Long-poll extension: the `updated` value the caller has already seen. */
  lastModified?: string;
}

/** Input of {@link NseActivities.awaitJobChange}: the job as last seen and when to read it again. */
export interface AwaitJobChangeInput {
  jobId: string;
  /** The operation's catalogue name (a metric tag). */
  operation: string;
  /** The job as last seen (absent: never read, so any read is news): the same state and `updated` is no change. */
  lastState?: JobState;
  lastUpdated?: string;
  /** The wait after the first attempt; each further attempt multiplies it by the backoff, up to the cap. */
  intervalMs: number;
  interval: IntervalPolicy;
  /** The first attempt waits instead of reading (the job has just changed; read it again after the interval). */
  waitFirst: boolean;
}

/**
 * What {@link NseActivities.awaitJobChange} returns: the changed (or ended) job, or a refused read (400, 403, a login
 * redirect: the run counts it and reads again), and the attempts it took.
 */
export interface JobChange {
  job?: Job;
  readError?: { type: string; message: string };
  /** Attempts of this call, this one included (with `waitFirst`, the first did not read). */
  attempts: number;
}

/** What workflows see (they import it with `import type`). */
export interface NseActivities {
  /** Sends one async NSE call; a retry first adopts the job an ambiguous earlier attempt may have created. */
  submitOperation(request: SubmitOperationInput): Promise<SubmitOutcome>;
  /** Finds the job a submit created (null if none): what the workflow asks after the submit's last attempt failed. */
  findSubmittedJob(request: SubmitOperationInput): Promise<Job | null>;
  /** Reads a job once (or holds the read in long-poll mode). When to stop polling is the workflow's decision. */
  getJob(request: GetJobInput): Promise<Job>;
  /**
   * Reads the job once per attempt and returns only when it changed or ended; an unchanged read fails with a
   * retryable `JobUnchanged` whose `nextRetryDelay` is the next interval, so the server schedules the next read and
   * history gets no event until the job changes (the `activity` poll mode).
   */
  awaitJobChange(request: AwaitJobChangeInput): Promise<JobChange>;
  /**
   * Reads one resource record, redacted. With `keep` (the values an update is about to change, for its undo): only
   * those fields, exactly as NSE has them, never redacted; a secret-named one is refused without payload encryption.
   */
  readResource(path: string, keep?: string[]): Promise<Record<string, unknown>>;
  /**
   * The texts, scrubbed of the worker's secrets by value (its NSE password or token, and the others it knows): run as
   * a local activity, so that what a run shows (summaries, details, query answers, failure messages) learns of the
   * secrets only through history, as the scrubbed result. Calls no NSE.
   */
  scrubTexts(texts: string[]): Promise<string[]>;
}

/** Input of {@link ControlActivities.wakePausedRuns}: a workflow task queue and, for one tenant's resume, the tenant. */
export interface WakePausedRunsInput {
  taskQueue: string;
  tenantId?: string;
}

/** The control workflow's activities (src/workflows/control.ts). */
export interface ControlActivities {
  /** Signals the runs of a resumed scope that wait in phase `paused`; answers how many it reached. */
  wakePausedRuns(input: WakePausedRunsInput): Promise<number>;
}
