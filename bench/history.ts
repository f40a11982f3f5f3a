/**
 * Reading real histories and descriptions back from the server: event counts, workflow tasks, timestamps and the
 * server's own state-transition count.
 * @module
 */
import type { Client } from '@temporalio/client';
import { mapLimit } from './stats';

type History = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/** What the benchmark keeps of one run. */
export interface RunRecord {
  workflowId: string;
  historyLength: number;
  /** `stateTransitionCount` of DescribeWorkflowExecution: the server's count of mutable-state transitions. */
  stateTransitions: number;
  startMs: number;
  closeMs: number | undefined;
  status: string;
  /** Event times (epoch ms) of every WorkflowTaskCompleted event. */
  workflowTaskCompletedAt: number[];
  /** Event times (epoch ms) of every event. */
  eventAt: number[];
  events: HistoryEvent[];
}

export function eventMs(event: HistoryEvent): number {
  const t = event.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : Number.NaN;
}

/** Describes and fetches the history of every run (at most `concurrency` at once). */
export async function readRuns(client: Client, workflowIds: readonly string[], concurrency = 16): Promise<RunRecord[]> {
  return await mapLimit(workflowIds, concurrency, async (workflowId) => {
    const handle = client.workflow.getHandle(workflowId);
    const [description, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const events = history.events ?? [];
    return {
      workflowId,
      historyLength: description.historyLength,
      stateTransitions: Number(description.raw.workflowExecutionInfo?.stateTransitionCount ?? 0),
      startMs: description.startTime.getTime(),
      closeMs: description.closeTime?.getTime(),
      status: description.status.name,
      workflowTaskCompletedAt: events.filter((e) => e.workflowTaskCompletedEventAttributes).map(eventMs),
      eventAt: events.map(eventMs),
      events,
    };
  });
}

/** Index gaps between consecutive events that satisfy `is`: the events each repetition of a loop costs. */
export function gapsBetween(events: readonly HistoryEvent[], is: (event: HistoryEvent) => boolean): number[] {
  const indexes = events.flatMap((event, index) => (is(event) ? [index] : []));
  return indexes.slice(1).map((index, i) => index - (indexes[i] as number));
}

/** Time gaps (ms) between consecutive events that satisfy `is`. */
export function timeGapsBetween(events: readonly HistoryEvent[], is: (event: HistoryEvent) => boolean): number[] {
  const times = events.filter(is).map(eventMs);
  return times.slice(1).map((t, i) => t - (times[i] as number));
}

export const isTimerFired = (e: HistoryEvent): boolean => Boolean(e.timerFiredEventAttributes);
export const isActivityCompleted = (e: HistoryEvent): boolean => Boolean(e.activityTaskCompletedEventAttributes);
export const isWorkflowTaskCompleted = (e: HistoryEvent): boolean => Boolean(e.workflowTaskCompletedEventAttributes);
