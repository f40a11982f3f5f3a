/**
 * nse-flow metrics emitted from activities through `Context.current().metricMeter` (the SDK adds `namespace`,
 * `task_queue`, `activity_type` and `workflow_type`). Outside an activity they are dropped, so helpers that emit
 * them stay usable in plain unit tests.
 * @module
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';
import { NseError, NseHttpError } from '../nse/errors';
import { MetricName } from '../shared/metric-names';

function meter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined; // not inside an activity
  }
}

/** Counts a submit that adopted the job an earlier, ambiguous attempt created. */
export function countSubmitAdoption(operation: string): void {
  meter()
    ?.createCounter(MetricName.SubmitAdoptions, '1', 'submits that adopted an earlier attempt job')
    .add(1, { operation });
}

/** Counts a failed NSE request by error class and HTTP status (`none` without an HTTP answer). */
export function countNseRequestError(err: unknown): void {
  const error = err instanceof NseError ? err.name : 'unexpected';
  const status = err instanceof NseHttpError ? String(err.status) : 'none';
  meter()?.createCounter(MetricName.NseRequestErrors, '1', 'failed NSE requests by type').add(1, { error, status });
}

/** Counts one read of a job by an `activity` mode wait, where the read happens (its workflow adds no event for it). */
export function countJobPoll(operation: string): void {
  meter()
    ?.createCounter(MetricName.JobPolls, '1', 'NSE job reads by the poll loop')
    .add(1, { operation, poll_mode: 'activity' });
}
