/**
 * What a run waits on, from the server's view of it (`describe()`): its pending activities (each with its attempt
 * and last failure, decoded like every failure the client reads) and whether a cancel was requested. Unlike the
 * `status` query, this answers without a worker, so a run whose NSE calls keep failing still says why.
 * @module
 */
import type { Client } from '@temporalio/client';
import { decodeOptionalFailureToOptionalError } from '@temporalio/common/lib/internal-non-workflow';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** One activity the run waits for. */
export interface PendingCall {
  /** The activity type, e.g. `submitOperation`, `readJob`. */
  activity: string;
  /** `scheduled` (not picked up yet: the NSE request budget, or no NSE worker), `started`, `paused`, ... */
  state: string;
  attempt: number;
  /** The last attempt's failure: its type (`NseUnauthorized`, `NseUnavailable`, ...) and message. */
  lastFailure?: { type?: string; message: string };
  /** When the next attempt starts (after a failure). */
  nextAttemptAt?: string;
}

/** What the server knows a run is waiting on. */
export interface RunWaits {
  /** The run's execution status (`RUNNING`, `COMPLETED`, `CANCELLED`, ...). */
  status: string;
  pending: PendingCall[];
}

const STATE_NAMES: Record<number, string> = {
  [temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED]: 'scheduled',
  [temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED]: 'started',
  [temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED]: 'cancel-requested',
  [temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_PAUSED]: 'paused',
  [temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED]: 'pause-requested',
};

/** Reads a run's pending activities from `describe()`. */
export async function readRunWaits(client: Client, workflowId: string): Promise<RunWaits> {
  const description = await client.workflow.getHandle(workflowId).describe();
  const converter = client.workflow.options.loadedDataConverter;
  const pending: PendingCall[] = [];
  for (const info of description.raw.pendingActivities ?? []) {
    const failure = await decodeOptionalFailureToOptionalError(converter, info.lastFailure);
    const nextAttempt = info.nextAttemptScheduleTime?.seconds;
    pending.push({
      activity: info.activityType?.name ?? '?',
      state: STATE_NAMES[info.state ?? 0] ?? 'unknown',
      attempt: info.attempt ?? 1,
      ...(failure ? { lastFailure: describeFailure(failure) } : {}),
      ...(nextAttempt ? { nextAttemptAt: new Date(Number(nextAttempt) * 1000).toISOString() } : {}),
    });
  }
  return { status: description.status.name, pending };
}

function describeFailure(error: Error): { type?: string; message: string } {
  // An activity's failure arrives wrapped: the application failure it threw is the innermost one with a type.
  let cause: unknown = error;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  const failure = cause instanceof Error ? cause : error;
  const type = failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined;
  return { ...(type ? { type } : {}), message: failure.message };
}
