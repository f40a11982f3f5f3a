/**
 * Failure `type` strings that cross the activity/workflow boundary, and the one builder of the failures a workflow
 * ends with. Workflows, clients and tests match these strings, never error classes (the SDK forbids subclassing
 * `ApplicationFailure`).
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';

export const FailureType = {
  /** Workflow input or a plan failed validation; raised before any NSE call. */
  InvalidInput: 'InvalidInput',
  /** NSE refused the request (4xx other than 408/429): retrying cannot help. */
  NseRejected: 'NseRejected',
  /** NSE answered 404 for the object or job asked for. */
  NseNotFound: 'NseNotFound',
  /**
   * NSE refused the worker's credentials (401) even after a fresh sign-in. NSE did nothing, so it is retried (a
   * token that expired twice in a row, a restarted NSE); if it persists, the worker's NSE credentials are wrong.
   */
  NseUnauthorized: 'NseUnauthorized',
  /** NSE could not be reached or answered 408/429/5xx: retried by the activity retry policy. */
  NseUnavailable: 'NseUnavailable',
  /** NSE answered something that does not follow its documented API. */
  NseProtocolError: 'NseProtocolError',
  /** The NSE job ended ERROR or PARTIAL_FAILURES; details carry the redacted job and the compensation report. */
  NseJobFailed: 'NseJobFailed',
  /** The job did not reach a terminal state before the poll deadline; it may still be running. */
  PollDeadlineExceeded: 'PollDeadlineExceeded',
  /** The job failed and undoing its effects failed too; both causes are reported. */
  CompensationFailed: 'CompensationFailed',
  /** A job that had been seen answers 404: NSE no longer keeps it, its outcome must be checked by hand. */
  JobVanished: 'JobVanished',
  /**
   * The run was cancelled, but its clean-up failed, ran out of time or left objects for manual clean-up: details name
   * them (`{ jobId, job?, compensation }` for an operation, `{ plan, steps }` for a plan). Only a complete clean-up
   * ends a run cancelled.
   */
  CancelCleanUpIncomplete: 'CancelCleanUpIncomplete',
  /** A step of a provisioning plan failed; details report every step's outcome. */
  ProvisioningFailed: 'ProvisioningFailed',
  /** More items of a bulk failed than it tolerates; details report every item (`BulkResult`). */
  BulkFailed: 'BulkFailed',
  /**
   * A bulk was cancelled: its children in flight were cancelled (each undid its job) and items done stay done.
   * Details report every item (`BulkResult`); Temporal's cancelled state could not carry them.
   */
  BulkCancelled: 'BulkCancelled',
  /**
   * `nse-flow pause` holds this NSE call (all calls, or its tenant's): raised by an NSE activity before it calls NSE,
   * never the end of a run; the run waits for `resume` and makes the call again.
   */
  NsePaused: 'NsePaused',
  /**
   * A read of the `activity` poll mode found the job as it was: never the end of a run, the retry that schedules the
   * next read (the pending activity's last failure, shown as a wait by `nse-flow status` and the Web UI).
   */
  JobUnchanged: 'JobUnchanged',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** A non-retryable failure of `type`: the run (or the update) fails instead of retrying forever. */
export function failure(type: FailureType, message: string, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details });
}

/** The failure every validation error becomes (see {@link failure}). */
export function invalidInput(message: string): ApplicationFailure {
  return failure(FailureType.InvalidInput, message);
}

/**
 * The message that says what went wrong in a failure chain: the first `ApplicationFailure` (what NSE answered, as an
 * activity reported it) or the innermost cause, rather than a wrapper's "Activity task failed".
 */
export function rootMessage(err: unknown): string {
  let cause: unknown = err;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}
