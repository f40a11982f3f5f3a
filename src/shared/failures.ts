/**
 * Failure `type` strings that cross the activity/workflow boundary. Workflows, clients and tests match
 * these strings, never error classes (the SDK forbids subclassing `ApplicationFailure`).
 * @module
 */
export const FailureType = {
  /** Workflow input or a plan failed validation; raised before any NSE call. */
  InvalidInput: 'InvalidInput',
  /** NSE refused the request (4xx other than 408/429): retrying cannot help. */
  NseRejected: 'NseRejected',
  /** NSE answered 404 for the object or job asked for. */
  NseNotFound: 'NseNotFound',
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
  /** A step of a provisioning plan failed; details report every step's outcome. */
  ProvisioningFailed: 'ProvisioningFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
