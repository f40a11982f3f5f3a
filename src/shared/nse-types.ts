/**
 * The NSE job model shared by the client, the activities and the workflows. Pure TypeScript: safe to load
 * in the workflow sandbox.
 * @module
 */

/**
 * One normalised job state. NSE documents two vocabularies (`status`: pending/successful, and `state`:
 * NORMAL/WARNING/PARTIAL_FAILURES/ERROR, see nse-api.md §6.4); both map onto this set.
 */
export const JobState = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Warning: 'WARNING',
  Normal: 'NORMAL',
  Error: 'ERROR',
  PartialFailures: 'PARTIAL_FAILURES',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

const TERMINAL_STATES: ReadonlySet<JobState> = new Set([JobState.Normal, JobState.Error, JobState.PartialFailures]);

/** True for NORMAL, ERROR and PARTIAL_FAILURES; WARNING is not terminal. */
export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.has(state);
}

/** True for the two terminal states that call for compensation. */
export function isFailed(state: JobState): boolean {
  return state === JobState.Error || state === JobState.PartialFailures;
}

/** One task of a job (`job_tasks[]`), normalised. */
export interface JobTask {
  id: string;
  action: string;
  objectId: string;
  objectType: string;
  resourceType: string;
  state: JobState;
  status: string;
  statusDetail: string;
  lastError: string;
}

/**
 * An NSE job, normalised from either documented shape (`object_type` or `type`, `job_tasks` null or array).
 * `raw` is the record as NSE sent it, with secrets already removed by the client.
 */
export interface Job {
  id: string;
  action: string;
  summary: string;
  objectId: string;
  objectType: string;
  objectName: string;
  state: JobState;
  /** False when neither `state` nor `status` held a word of the table in ./job-states (treated as running). */
  stateKnown: boolean;
  status: string;
  statusDetail: string;
  lastError: string;
  userId: string;
  created: string;
  updated: string;
  tasks: JobTask[];
  raw: Record<string, unknown>;
}

/** What an async NSE call answered: a job to follow (202) or a synchronous result (200/201/204). */
export type SubmitResult =
  | { kind: 'job'; httpStatus: 202; job: Job }
  | { kind: 'sync'; httpStatus: number; record: Record<string, unknown> | undefined };

/** One page of `GET /v2.1/jobs`. */
export interface JobPage {
  jobs: Job[];
  totalRecords: number;
  offset: number;
  limit: number;
}

/** Query of `GET /v2.1/jobs`. */
export interface ListJobsQuery {
  tenantId?: string;
  offset?: number;
  limit?: number;
  sortBy?: string;
  orderBy?: 'asc' | 'desc';
}
