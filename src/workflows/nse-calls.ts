/**
 * The activity proxies the operation workflow calls NSE through, with their timeouts, retry policies, task queue and
 * priority, and the helpers that build and read the failures crossing that boundary. This is the one place that
 * builds the options of NSE-calling activities.
 * @module
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { NseActivities } from '../activities';
import { FailureType } from '../shared/failures';
import { nseFairnessKey, nseTaskQueue, PollMode, type PollPolicy } from '../shared/workflow-api';
import { pausable } from './pause-wait';

/**
 * Priority keys of NSE calls on the NSE task queue (Temporal: 1 to 5, lower first, 3 by default): undoing a failed
 * job first, then every other call, the sweep's reads (`nse-flow sweep`) last of all. Reads and submits share one
 * priority on purpose: the server orders by priority before fairness keys, so a tenant's reads on a priority of
 * their own would hold every other tenant's submits (fleet F4: a small tenant's submit waited 24 s behind a large
 * tenant's reads). On one priority the tenants share the queue by fairness key, a tenant's own calls in arrival order.
 */
export const NsePriority = { Compensation: 1, Call: 3, Sweep: 5 } as const;
export type NsePriority = (typeof NsePriority)[keyof typeof NsePriority];

/** Who an NSE call is for: its tenant (the fairness key) and its priority. */
export interface NseCall {
  tenantId: string | undefined;
  priority: NsePriority;
}

/**
 * Where an NSE activity runs: on the NSE task queue, rate-limited to the NSE request budget, with the tenant as
 * fairness key.
 */
export function onNseQueue(call: NseCall): Pick<ActivityOptions, 'taskQueue' | 'priority'> {
  return {
    taskQueue: nseTaskQueue(workflowInfo().taskQueue),
    priority: { priorityKey: call.priority, fairnessKey: nseFairnessKey(call.tenantId) },
  };
}

export const READ_RETRY = {
  initialInterval: '1 second',
  maximumInterval: '10 seconds',
  backoffCoefficient: 2,
} as const;
/** Failures that another attempt cannot fix; everything else is retried by the server. */
export const PERMANENT = [FailureType.NseRejected, FailureType.NseNotFound, FailureType.InvalidInput];

/** The submit activity: bounded by time, not count, so attempts lost to worker crashes do not use up the budget. */
export function submitActivities(summary: string, policy: PollPolicy, call: NseCall): NseActivities {
  return pausable(
    proxyActivities<NseActivities>({
      ...onNseQueue(call),
      scheduleToCloseTimeout: policy.submitTimeoutMs,
      // Covers an adoption look-up and the call; a lost worker is noticed through the heartbeat within 15 s.
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout: '15 seconds',
      retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: PERMANENT },
      summary,
    }),
  );
}

/** The look-up after a submit whose last attempt left open whether NSE acted. */
export function lookupActivities(summary: string, policy: PollPolicy, call: NseCall): NseActivities {
  return pausable(
    proxyActivities<NseActivities>({
      ...onNseQueue(call),
      scheduleToCloseTimeout: policy.submitTimeoutMs,
      startToCloseTimeout: '2 minutes',
      heartbeatTimeout: '15 seconds',
      retry: { ...READ_RETRY, maximumInterval: '30 seconds', nonRetryableErrorTypes: PERMANENT },
      summary: `look for the job of: ${summary}`,
    }),
  );
}

export function readResourceActivity(summary: string, call: NseCall): NseActivities['readResource'] {
  return pausable(
    proxyActivities<NseActivities>({
      ...onNseQueue(call),
      startToCloseTimeout: '30 seconds',
      retry: { ...READ_RETRY, maximumAttempts: 10, nonRetryableErrorTypes: PERMANENT },
      summary,
    }),
  ).readResource;
}

/**
 * The read of the `local` and `long-poll` modes: one local activity, or one heartbeating long read (the `activity`
 * mode reads through {@link awaitJobChangeActivity}). A long read waits while `nse-flow pause` holds it
 * ({@link pausable}); a local read is never paused (it skips the NSE task queue).
 */
export function getJobActivity(policy: PollPolicy, summary: string, call: NseCall): NseActivities['getJob'] {
  const retry = { ...READ_RETRY, nonRetryableErrorTypes: PERMANENT };
  if (policy.mode === PollMode.Local) {
    const options: LocalActivityOptions = {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: '2 minutes',
      // Longer back-offs wait on a server timer instead of holding the workflow task open.
      localRetryThreshold: '2 seconds',
      retry,
      summary,
    };
    return proxyLocalActivities<NseActivities>(options).getJob;
  }
  const options: ActivityOptions = {
    ...onNseQueue(call),
    startToCloseTimeout: (policy.longPollSeconds + 30) * 1000,
    heartbeatTimeout: '10 seconds',
    scheduleToCloseTimeout: '10 minutes',
    retry,
    summary,
  };
  return pausable(proxyActivities<NseActivities>(options)).getJob;
}

/**
 * The `activity` mode's read: one activity per change of the job, each attempt one read through the NSE task queue
 * (see `awaitJobChange`), bounded by what is left of the wait's deadline. The retry policy only paces attempts that
 * end without a delay of their own (a lost worker, a read that timed out); unchanged reads and read faults set theirs.
 * Not paused here: the caller wraps it (`unlessPaused`) so that a pause moves the deadline of the next call.
 */
export function awaitJobChangeActivity(
  policy: PollPolicy,
  summary: string,
  call: NseCall,
  remainingMs: number,
): NseActivities['awaitJobChange'] {
  return proxyActivities<NseActivities>({
    ...onNseQueue(call),
    startToCloseTimeout: '30 seconds',
    scheduleToCloseTimeout: Math.max(1, Math.round(remainingMs)),
    retry: {
      initialInterval: policy.initialIntervalMs,
      maximumInterval: policy.maxIntervalMs,
      backoffCoefficient: policy.backoffCoefficient,
      nonRetryableErrorTypes: [FailureType.NseNotFound, FailureType.InvalidInput, FailureType.NsePaused],
    },
    summary,
  }).awaitJobChange;
}

/** The failure type of an error (through an activity failure), if it has one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
