/**
 * nse-flow metrics emitted from workflow code. They go through the SDK's workflow `metricMeter`, which skips
 * emission while replaying: a metric call adds no history event and cannot affect determinism. The SDK adds
 * `namespace`, `task_queue` and `workflow_type` tags.
 * @module
 */
import { metricMeter } from '@temporalio/workflow';
import { MetricName } from '../shared/metric-names';

/** Counts one read of a job by the poll loop. */
export function countJobPoll(operation: string, pollMode: string): void {
  metricMeter
    .createCounter(MetricName.JobPolls, '1', 'NSE job reads by the poll loop')
    .add(1, { operation, poll_mode: pollMode });
}

/** Counts a job read that got no job (any answer but the job); `error` is the failure type. */
export function countJobReadError(operation: string, error: string): void {
  metricMeter
    .createCounter(MetricName.JobReadErrors, '1', 'NSE job reads that got no job; polling went on')
    .add(1, { operation, error });
}

/** Counts a job that reached a terminal state and records how long the run waited for it (workflow clock). */
export function countJobEnded(operation: string, state: string, elapsedMs: number): void {
  const tags = { operation, state };
  metricMeter.createCounter(MetricName.JobsCompleted, '1', 'NSE jobs by terminal state').add(1, tags);
  metricMeter
    .createHistogram(MetricName.JobDuration, 'int', 'ms', 'run start to terminal job state')
    .record(Math.max(0, Math.round(elapsedMs)), tags);
}

/** Counts a compensation and how it ended (compensated, manual-cleanup-needed, not-needed, failed). */
export function countCompensation(operation: string, trigger: 'job-failed' | 'cancelled', outcome: string): void {
  metricMeter
    .createCounter(MetricName.Compensations, '1', 'compensations by outcome')
    .add(1, { operation, trigger, outcome });
}
