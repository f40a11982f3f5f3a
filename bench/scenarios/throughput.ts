/**
 * 2 and 4. Throughput against the server's limit, and CPU per workflow task, at saturation.
 *
 * Each block runs both sides against the same dev server, in alternating order: full operation runs (local poll
 * mode, submit, three polls, NORMAL, 1 s interval) and the baseline workflow (one no-op activity). A side is a
 * closed loop that keeps a number of runs in flight; after a warm-up, a window is measured:
 * - events/s and workflow tasks/s: history events timestamped inside the window; state transitions/s: each run's
 *   `stateTransitionCount` (DescribeWorkflowExecution; the server keeps no time per transition) times the share of
 *   its events that fall inside the window;
 * - CPU: this process (worker + simulator) by thread group, the dev server and the starter, from /proc.
 * Other work on the machine moves the raw transitions/s a lot, so the ratios are also given per CPU-second of
 * worker + dev server (the capacity ratio on a CPU-bound box) and per dev-server CPU-second (the ratio when the
 * server alone is the limit).
 *
 * Saturation first: a closed loop of runs that wait on ~1 s timers measures the loop's latency, not capacity, until
 * enough runs are in flight. One block per level of `ladder` (runs in flight, doubling) is measured until both
 * sides gain less than {@link SATURATED_GAIN} transitions/s from the level before (or the machine, other processes
 * included, is {@link SATURATED_BUSY} busy); the blocks of the figure then run at that level.
 * @module
 */
import { foreignMs, meterDelta, type Bench, type Meter } from '../harness';
import { readRuns } from '../history';
import { pollEverySecond, type RunTemplate } from '../inputs';
import type { Profile } from '../profile';
import { spread, sum, type Spread } from '../stats';
import type { ThreadCpu } from '../proc';

export type Side = 'operation' | 'baseline';

export interface SideWindow {
  side: Side;
  /** Block of the figure, or -1 for a step of the saturation ladder. */
  block: number;
  /** Runs kept in flight (absent in results recorded before the ladder: 60). */
  inFlight?: number;
  windowMs: number;
  runsClosed: number;
  /** Runs completed per second, counting each run by the share of its events inside the window. */
  runsPerSec: number;
  transitionsPerSec: number;
  /** Transitions per CPU-second of worker process + dev server: capacity on a CPU-bound box, whatever share we got. */
  transitionsPerCpuSec: number;
  /** Transitions per dev-server CPU-second: capacity when the server is the bottleneck. */
  transitionsPerServerCpuSec: number;
  eventsPerSec: number;
  workflowTasksPerSec: number;
  /** Median start-to-close of the runs closed in the window. */
  runLatencyMs: number;
  failures: number;
  cpu: {
    /** This process but the simulator's thread (so: the worker) per workflow task, ms. */
    workerMsPerTask: number;
    threadsMsPerTask: ThreadCpu;
    serverMsPerTask: number;
    starterMsPerTask: number;
    /** This process's share of worker + dev server CPU. */
    workerShare: number;
    /** Worker + simulator + server + starter CPU over (window x cores). */
    machineBusy: number;
    /** Busiest single resource: the workflow thread's CPU over the window (1 = one core all the time). */
    workflowThreadBusy: number;
    serverCores: number;
    workerCores: number;
    /** Cores other processes on the machine used during the window (noise). */
    foreignCores: number;
  };
}

/** One level of the saturation ladder: a block of both sides at `inFlight` runs. */
export interface LadderStep {
  inFlight: number;
  operation: SideWindow;
  baseline: SideWindow;
}

export interface ThroughputResult {
  /** The ladder, lowest level first; the figure's blocks ran at `inFlight` (both absent in older results). */
  ladder?: LadderStep[];
  /** Runs in flight of the figure's blocks: the level where both sides saturated (or the ladder's last). */
  inFlight?: number;
  windows: SideWindow[];
  /** Per block: operation transitions/s over baseline transitions/s. */
  transitionRatio: Spread;
  /** Per block: the same per CPU-second of worker + dev server. */
  transitionPerCpuRatio: Spread;
  /** Per block: the same per dev-server CPU-second. */
  transitionPerServerCpuRatio: Spread;
  eventRatio: Spread;
  /** Per block: worker CPU per workflow task, operation over baseline. */
  cpuPerTaskRatio: Spread;
}

function median<T>(values: T[], pick: (v: T) => number): number {
  return spread(values.map(pick)).median;
}

/** A side has saturated when doubling the runs in flight adds less than this share of transitions/s. */
export const SATURATED_GAIN = 0.1;
/** … or when this share of the machine's cores is busy, other processes included (a CPU-bound box). */
export const SATURATED_BUSY = 0.95;

export async function measureSide(
  bench: Bench,
  profile: Profile,
  side: Side,
  block: number | string,
  concurrency: number,
): Promise<SideWindow> {
  const { warmupMs, windowMs } = profile.throughput;
  const idPrefix = `bench-tp-${bench.runTag}-${block}-${side}`;
  const template: RunTemplate =
    side === 'baseline'
      ? { workflowType: 'baselineWorkflow', idPrefix }
      : {
          workflowType: 'nseOperationWorkflow',
          idPrefix,
          namePrefix: `tp-${bench.runTag}-${block}-`,
          poll: pollEverySecond('local'),
        };
  let from: { meter: Meter; at: number } | undefined;
  let to: { meter: Meter; at: number } | undefined;
  const t0 = Date.now();
  const timers = [
    setTimeout(() => (from = { meter: bench.meter(), at: Date.now() }), warmupMs),
    setTimeout(() => (to = { meter: bench.meter(), at: Date.now() }), warmupMs + windowMs),
  ];
  let outcomes;
  try {
    outcomes = await bench.starter.sustain(template, concurrency, warmupMs + windowMs);
  } finally {
    timers.forEach(clearTimeout);
  }
  if (!from || !to) throw new Error(`throughput ${side}: the window did not complete (started ${t0})`);
  const cpu = meterDelta(from.meter, to.meter);
  const records = await readRuns(
    bench.client,
    outcomes.map((o) => o.workflowId),
  );
  const inWindow = (t: number): boolean => t >= (from as { at: number }).at && t < (to as { at: number }).at;
  const closed = records.filter((r) => r.closeMs !== undefined && inWindow(r.closeMs));
  const seconds = (to.at - from.at) / 1000;
  const tasks = sum(records.map((r) => r.workflowTaskCompletedAt.filter(inWindow).length));
  const events = sum(records.map((r) => r.eventAt.filter(inWindow).length));
  const perTask = (ms: number): number => ms / tasks;
  // The server does not timestamp transitions: spread each run's count over its events, which it does timestamp.
  const transitions = sum(
    records.map((r) => (r.stateTransitions * r.eventAt.filter(inWindow).length) / Math.max(1, r.eventAt.length)),
  );
  const cores = bench.machine.nproc;
  return {
    side,
    block: typeof block === 'number' ? block : -1,
    inFlight: concurrency,
    windowMs: to.at - from.at,
    runsClosed: closed.length,
    runsPerSec: sum(records.map((r) => r.eventAt.filter(inWindow).length / Math.max(1, r.eventAt.length))) / seconds,
    transitionsPerSec: transitions / seconds,
    transitionsPerCpuSec: transitions / ((cpu.workerProcessMs + cpu.serverMs) / 1000),
    transitionsPerServerCpuSec: transitions / (cpu.serverMs / 1000),
    eventsPerSec: events / seconds,
    workflowTasksPerSec: tasks / seconds,
    runLatencyMs: median(closed, (r) => (r.closeMs as number) - r.startMs),
    failures: outcomes.filter((o) => o.failure).length,
    cpu: {
      workerMsPerTask: perTask(cpu.workerProcessMs),
      threadsMsPerTask: {
        main: perTask(cpu.threads.main),
        workflow: perTask(cpu.threads.workflow),
        v8AndLibuv: perTask(cpu.threads.v8AndLibuv),
        core: perTask(cpu.threads.core),
        simulator: perTask(cpu.threads.simulator),
      },
      serverMsPerTask: perTask(cpu.serverMs),
      starterMsPerTask: perTask(cpu.starterMs),
      workerShare: cpu.workerProcessMs / (cpu.workerProcessMs + cpu.serverMs),
      machineBusy: (cpu.workerProcessMs + cpu.threads.simulator + cpu.serverMs + cpu.starterMs) / (cpu.wallMs * cores),
      workflowThreadBusy: cpu.threads.workflow / cpu.wallMs,
      serverCores: cpu.serverMs / cpu.wallMs,
      workerCores: cpu.workerProcessMs / cpu.wallMs,
      foreignCores: foreignMs(cpu) / cpu.wallMs,
    },
  };
}

function describe(window: SideWindow): string {
  return (
    `${window.transitionsPerSec.toFixed(0)} transitions/s, ${window.workflowTasksPerSec.toFixed(0)} WFT/s, ` +
    `worker ${window.cpu.workerMsPerTask.toFixed(2)} ms/WFT, server ${window.cpu.serverMsPerTask.toFixed(2)} ms/WFT, ` +
    `machine ${(window.cpu.machineBusy * 100).toFixed(0)}% busy (+ ${window.cpu.foreignCores.toFixed(2)} cores of ` +
    `other processes)`
  );
}

/** Share of the machine's cores busy during a window: our processes and every other one. */
export function machineBusyWithOthers(window: SideWindow, cores: number): number {
  return window.cpu.machineBusy + window.cpu.foreignCores / cores;
}

/** Doubles the runs in flight until both sides saturate; returns the steps and the level to measure at. */
async function climbLadder(bench: Bench, profile: Profile): Promise<{ ladder: LadderStep[]; inFlight: number }> {
  const ladder: LadderStep[] = [];
  for (const inFlight of profile.throughput.ladder) {
    const operation = await measureSide(bench, profile, 'operation', `ladder${inFlight}`, inFlight);
    const baseline = await measureSide(bench, profile, 'baseline', `ladder${inFlight}`, inFlight);
    const step = { inFlight, operation, baseline };
    bench.log(`  ladder ${inFlight} in flight: operation ${describe(operation)}`);
    bench.log(`  ladder ${inFlight} in flight: baseline ${describe(baseline)}`);
    const previous = ladder.at(-1);
    ladder.push(step);
    const saturated = (side: 'operation' | 'baseline'): boolean =>
      machineBusyWithOthers(step[side], bench.machine.nproc) >= SATURATED_BUSY ||
      (previous !== undefined &&
        step[side].transitionsPerSec < previous[side].transitionsPerSec * (1 + SATURATED_GAIN));
    if (saturated('operation') && saturated('baseline')) return { ladder, inFlight };
  }
  const last = ladder.at(-1);
  return { ladder, inFlight: last?.inFlight ?? profile.throughput.concurrency };
}

export async function measureThroughput(bench: Bench, profile: Profile): Promise<ThroughputResult> {
  const { ladder, inFlight } = await climbLadder(bench, profile);
  bench.log(`  the figure's blocks run at ${inFlight} in flight`);
  const windows: SideWindow[] = [];
  const transitionRatios: number[] = [];
  const perCpuRatios: number[] = [];
  const perServerCpuRatios: number[] = [];
  const eventRatios: number[] = [];
  const cpuRatios: number[] = [];
  for (let block = 0; block < profile.throughput.blocks; block++) {
    const order: Side[] = block % 2 === 0 ? ['operation', 'baseline'] : ['baseline', 'operation'];
    const got = new Map<Side, SideWindow>();
    for (const side of order) {
      const window = await measureSide(bench, profile, side, block, inFlight);
      got.set(side, window);
      windows.push(window);
      bench.log(`  throughput block ${block + 1}/${profile.throughput.blocks} ${side}: ${describe(window)}`);
    }
    const op = got.get('operation') as SideWindow;
    const base = got.get('baseline') as SideWindow;
    transitionRatios.push(op.transitionsPerSec / base.transitionsPerSec);
    perCpuRatios.push(op.transitionsPerCpuSec / base.transitionsPerCpuSec);
    perServerCpuRatios.push(op.transitionsPerServerCpuSec / base.transitionsPerServerCpuSec);
    eventRatios.push(op.eventsPerSec / base.eventsPerSec);
    cpuRatios.push(op.cpu.workerMsPerTask / base.cpu.workerMsPerTask);
  }
  return {
    ladder,
    inFlight,
    windows,
    transitionRatio: spread(transitionRatios),
    transitionPerCpuRatio: spread(perCpuRatios),
    transitionPerServerCpuRatio: spread(perServerCpuRatios),
    eventRatio: spread(eventRatios),
    cpuPerTaskRatio: spread(cpuRatios),
  };
}
