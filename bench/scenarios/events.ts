/**
 * 1. History events per poll cycle, per poll mode, read from real histories.
 *
 * `local`: jobs stay RUNNING for 8 reads; the cost of one cycle is the median number of events between consecutive
 * TimerFired events. `activity`: jobs whose record changes every 3 s (5 × RUNNING, then NORMAL) read every 1 s, so
 * most reads find them unchanged; with `awaitJobChange` (one activity per change, its retries the reads) the cost of
 * an unchanged read is the events between each call's scheduled and started events over the reads that found no
 * change, and the cost of a change the median gap between completions of the read activity; with a timer loop (before
 * it) the median gap between TimerFired events, as `local`. `long-poll`: the job changes every 700 ms; the cost of
 * one change is the median number of events between consecutive completions of the getJob activity. Each mode also
 * runs one full operation (submit, three polls, NORMAL) for its total events and state transitions. Then `load`:
 * `activity` runs of 12 s jobs at once, for events per job and dev-server CPU per job.
 * @module
 */
import { meterDelta, type Bench } from '../harness';
import { gapsBetween, isTimerFired, readRuns, timeGapsBetween, type RunRecord } from '../history';
import { hostgroupInput, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import type { RunSpec } from '../starter';
import { median } from '../stats';
import type { PollMode } from '../../src/shared/workflow-api';

export const POLL_MODES: readonly PollMode[] = ['local', 'activity', 'long-poll'];

export interface ModeEvents {
  mode: PollMode;
  /**
   * Median events per poll cycle (local; activity before awaitJobChange), events per unchanged read (activity with
   * awaitJobChange) or per job change seen (long-poll).
   */
  eventsPerCycle: number;
  /** `activity` with awaitJobChange: median events per change of the job (gap between read completions). */
  eventsPerChange?: number;
  /** `activity`: how the cycle was measured: `timers` (a timer loop) or `retries` (awaitJobChange). */
  shape?: 'timers' | 'retries';
  /** Median history length of the loop runs (events per job). */
  eventsPerJob?: number;
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

/** Completions of the read activity `type` (not the submit), found through their scheduled event. */
function readCompletions(events: readonly HistoryEvent[], type = 'getJob'): (event: HistoryEvent) => boolean {
  const scheduled = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type)
      .map((e) => String(e.eventId)),
  );
  return (e) => scheduled.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? ''));
}

/** `awaitJobChange` calls: events strictly between each one's scheduled and started events, and the calls. */
function changeCalls(events: readonly HistoryEvent[]): { eventsBetween: number; calls: number } {
  const scheduledAt = new Map<string, number>();
  events.forEach((e, index) => {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'awaitJobChange')
      scheduledAt.set(String(e.eventId), index);
  });
  let eventsBetween = 0;
  let calls = 0;
  events.forEach((e, index) => {
    const at = scheduledAt.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? ''));
    if (!e.activityTaskStartedEventAttributes || at === undefined) return;
    eventsBetween += index - at - 1;
    calls++;
  });
  return { eventsBetween, calls };
}

export interface RunCost {
  events: number;
  stateTransitions: number;
  workflowTasks: number;
}

/** `activity` runs of 12 s jobs, all at once: what one job costs the server and the worker. */
export interface LoadResult {
  runs: number;
  eventsPerJob: number;
  serverCpuMsPerJob: number;
  workerCpuMsPerJob: number;
  readsPerJob: number;
}

export interface EventsResult {
  modes: ModeEvents[];
  /** Absent in results recorded before it was measured. */
  load?: LoadResult;
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
      const prefix = { local: 'ev', activity: 'evact', 'long-poll': 'evlp' }[mode];
      const name = `${prefix}-${bench.runTag}-${mode}-${i}`;
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
    const changeGaps: number[] = [];
    const lengths: number[] = [];
    let reads = 0;
    let unchanged = { eventsBetween: 0, reads: 0 };
    for (const run of runs.filter((r) => r.mode === mode && r.kind === 'loop')) {
      const events = records.get(run.workflowId)?.events ?? [];
      const runReads = jobs.get(run.name)?.reads ?? 0;
      const change = changeCalls(events);
      const is = mode === 'long-poll' ? readCompletions(events) : isTimerFired;
      gaps.push(...gapsBetween(events, is));
      times.push(...timeGapsBetween(events, is));
      if (change.calls > 0) {
        changeGaps.push(...gapsBetween(events, readCompletions(events, 'awaitJobChange')));
        unchanged = {
          eventsBetween: unchanged.eventsBetween + change.eventsBetween,
          reads: unchanged.reads + runReads - change.calls,
        };
      }
      lengths.push(records.get(run.workflowId)?.historyLength ?? Number.NaN);
      reads += runReads;
    }
    const full = records.get(runs.find((r) => r.mode === mode && r.kind === 'full')?.workflowId ?? '');
    const retries = mode === 'activity' && unchanged.reads > 0;
    return {
      mode,
      eventsPerCycle: retries ? unchanged.eventsBetween / unchanged.reads : median(gaps),
      ...(retries ? { eventsPerChange: median(changeGaps) } : {}),
      ...(mode === 'activity' ? { shape: retries ? ('retries' as const) : ('timers' as const) } : {}),
      eventsPerJob: median(lengths),
      cycles: retries ? unchanged.reads : gaps.length,
      cycleMs: retries ? Number.NaN : median(times),
      reads,
      fullRun: costOf(full),
    };
  });
  const load = await measureLoad(bench, profile.events.loadRuns);
  return { modes, baseline: costOf(records.get(baselineId)), load };
}

/** `runs` activity-mode runs of 12 s jobs at once: events, dev-server CPU, worker CPU and reads per job. */
async function measureLoad(bench: Bench, runs: number): Promise<LoadResult> {
  const poll = pollEverySecond('activity');
  const specs = Array.from({ length: runs }, (_, i) => {
    const name = `evload-${bench.runTag}-${i}`;
    return { workflowType: 'nseOperationWorkflow', workflowId: `bench-${name}`, args: [hostgroupInput(name, poll)] };
  });
  const before = bench.meter();
  const outcomes = await bench.starter.run(specs);
  const delta = meterDelta(before, bench.meter());
  const failed = outcomes.filter((o) => o.failure);
  if (failed.length > 0) throw new Error(`load block: ${failed.length} runs failed, first: ${failed[0]?.failure}`);
  const records = await readRuns(
    bench.client,
    specs.map((s) => s.workflowId),
  );
  const jobs = await bench.simJobs(`evload-${bench.runTag}-`);
  return {
    runs,
    eventsPerJob: median(records.map((r) => r.historyLength)),
    serverCpuMsPerJob: delta.serverMs / runs,
    workerCpuMsPerJob: delta.workerProcessMs / runs,
    readsPerJob: jobs.reduce((sum, job) => sum + job.reads, 0) / runs,
  };
}
