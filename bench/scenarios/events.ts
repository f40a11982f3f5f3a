/**
 * 1. History events per poll cycle, per poll mode, read from real histories.
 *
 * `local` and `activity`: jobs stay RUNNING for 8 reads; the cost of one cycle is the median number of events
 * between consecutive TimerFired events. `long-poll`: the job changes every 700 ms; the cost of one change is the
 * median number of events between consecutive completions of the getJob activity. Each mode also runs one full
 * operation (submit, three polls, NORMAL) for its total events and state transitions.
 * @module
 */
import type { Bench } from '../harness';
import { gapsBetween, isTimerFired, readRuns, timeGapsBetween, type RunRecord } from '../history';
import { hostgroupInput, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import type { RunSpec } from '../starter';
import { median } from '../stats';
import type { PollMode } from '../../src/shared/workflow-api';

export const POLL_MODES: readonly PollMode[] = ['local', 'activity', 'long-poll'];

export interface ModeEvents {
  mode: PollMode;
  /** Median events per poll cycle (local, activity) or per job change seen (long-poll). */
  eventsPerCycle: number;
  /** Cycles (or changes) the median is over. */
  cycles: number;
  /** Median ms between two reads that did not end the wait (one timer in local/activity mode). */
  cycleMs: number;
  /** Reads of the job the simulator answered in the loop runs. */
  reads: number;
  /** A full operation run (submit, three polls, NORMAL): events and state transitions. */
  fullRun: RunCost;
}

type HistoryEvent = RunRecord['events'][number];

/** Completions of the getJob activity (not the submit), found through their scheduled event. */
function getJobCompletions(events: readonly HistoryEvent[]): (event: HistoryEvent) => boolean {
  const getJobScheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getJob')
      .map((e) => String(e.eventId)),
  );
  return (e) => getJobScheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''));
}

export interface RunCost {
  events: number;
  stateTransitions: number;
  workflowTasks: number;
}

export interface EventsResult {
  modes: ModeEvents[];
  /** The baseline workflow (one no-op activity). */
  baseline: RunCost;
}

function costOf(record: RunRecord | undefined): RunCost {
  return {
    events: record?.historyLength ?? Number.NaN,
    stateTransitions: record?.stateTransitions ?? Number.NaN,
    workflowTasks: record?.workflowTaskCompletedAt.length ?? Number.NaN,
  };
}

export async function measureEvents(bench: Bench, profile: Profile): Promise<EventsResult> {
  const runs: Array<RunSpec & { mode: PollMode; kind: 'loop' | 'full'; name: string }> = [];
  for (const mode of POLL_MODES) {
    const poll = pollEverySecond(mode, mode === 'long-poll' ? { longPollSeconds: 10 } : {});
    for (let i = 0; i < profile.events.runsPerMode; i++) {
      const name = `${mode === 'long-poll' ? 'evlp' : 'ev'}-${bench.runTag}-${mode}-${i}`;
      runs.push({
        mode,
        kind: 'loop',
        name,
        workflowType: 'nseOperationWorkflow',
        workflowId: `bench-${name}`,
        args: [hostgroupInput(name, poll)],
      });
    }
    const name = `full-${bench.runTag}-${mode}`;
    runs.push({
      mode,
      kind: 'full',
      name,
      workflowType: 'nseOperationWorkflow',
      workflowId: `bench-${name}`,
      args: [hostgroupInput(name, poll)],
    });
  }
  const baselineId = `bench-baseline-${bench.runTag}`;
  const outcomes = await bench.starter.run([
    ...runs.map(({ workflowType, workflowId, args }) => ({ workflowType, workflowId, args })),
    { workflowType: 'baselineWorkflow', workflowId: baselineId, args: [] },
  ]);
  const failed = outcomes.filter((o) => o.failure);
  if (failed.length > 0) throw new Error(`events scenario: ${failed.length} runs failed, first: ${failed[0]?.failure}`);
  const records = new Map(
    (await readRuns(bench.client, [...runs.map((r) => r.workflowId), baselineId])).map((r) => [r.workflowId, r]),
  );
  const jobs = new Map((await bench.simJobs()).map((job) => [job.objectName, job]));

  const modes = POLL_MODES.map((mode) => {
    const gaps: number[] = [];
    const times: number[] = [];
    let reads = 0;
    for (const run of runs.filter((r) => r.mode === mode && r.kind === 'loop')) {
      const events = records.get(run.workflowId)?.events ?? [];
      const is = mode === 'long-poll' ? getJobCompletions(events) : isTimerFired;
      gaps.push(...gapsBetween(events, is));
      times.push(...timeGapsBetween(events, is));
      reads += jobs.get(run.name)?.reads ?? 0;
    }
    const full = records.get(runs.find((r) => r.mode === mode && r.kind === 'full')?.workflowId ?? '');
    return {
      mode,
      eventsPerCycle: median(gaps),
      cycles: gaps.length,
      cycleMs: median(times),
      reads,
      fullRun: costOf(full),
    };
  });
  return { modes, baseline: costOf(records.get(baselineId)) };
}
