/**
 * Names of nse-flow's own metrics, exported by the SDK runtime's Prometheus endpoint next to the SDK's `temporal_*`
 * metrics. Workflow-safe: plain constants.
 * @module
 */
export const MetricName = {
  /** Counter: NSE jobs that reached a terminal state; tags `operation`, `state` (NORMAL, ERROR, PARTIAL_FAILURES). */
  JobsCompleted: 'nse_flow_jobs_completed',
  /** Histogram (ms, workflow clock): from the start of the run to the job's terminal state; tags `operation`, `state`. */
  JobDuration: 'nse_flow_job_duration',
  /** Counter: job reads by the poll loop; tags `operation`, `poll_mode`. */
  JobPolls: 'nse_flow_job_polls',
  /** Counter: job reads by the poll loop that got no job (the loop goes on until its deadline); tags `operation`, `error`. */
  JobReadErrors: 'nse_flow_job_read_errors',
  /** Counter: compensations (undo) after a failed job or a cancel; tags `operation`, `trigger`, `outcome`. */
  Compensations: 'nse_flow_compensations',
  /** Counter: submits that adopted the job of an earlier attempt whose answer was lost; tag `operation`. */
  SubmitAdoptions: 'nse_flow_submit_adoptions',
  /** Counter: failed NSE requests seen by activities; tags `error` (NseHttpError, NseNetworkError, ...), `status`. */
  NseRequestErrors: 'nse_flow_nse_request_errors',
} as const;
export type MetricName = (typeof MetricName)[keyof typeof MetricName];
