/**
 * The benchmark's Markdown table, from the scenario results.
 * @module
 */
import type { MachineInfo } from './proc';
import type { Profile } from './profile';
import type { AcceptedResult } from './scenarios/accepted';
import type { EventsResult, ModeEvents } from './scenarios/events';
import type { MemoryResult } from './scenarios/memory';
import type { NaiveResult } from './scenarios/naive';
import type { PauseCheckResult } from './scenarios/pause-check';
import type { ModeReaction } from './scenarios/reaction';
import { machineBusyWithOthers, type LadderStep, type SideWindow, type ThroughputResult } from './scenarios/throughput';
import type { TimerLateness } from './scenarios/timers';
import { median, type Spread } from './stats';

export interface BenchResults {
  events: EventsResult;
  throughput: ThroughputResult;
  reaction: { modes: ModeReaction[] };
  memory: MemoryResult;
  naive: NaiveResult;
  timers: TimerLateness[];
  /** Absent in results recorded before the accepted contract. */
  accepted?: AcceptedResult;
  /** Absent in results recorded before it was measured. */
  pauseCheck?: PauseCheckResult;
}

const f = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const pct = (value: number): string => `${f(value * 100, 0)}%`;
const ratio = (s: Spread, digits = 2): string =>
  `**${f(s.median, digits)}** (${f(s.min, digits)}–${f(s.max, digits)}, ${s.n} blocks)`;

type Row = [figure: string, name: string, result: string, notes: string];

function eventRows({ modes, baseline, load }: EventsResult): Row[] {
  const rows: Row[] = [];
  for (const e of modes) {
    if (e.shape === 'retries') {
      rows.push([
        '1',
        'History events per unchanged read, `activity`',
        `**${f(e.eventsPerCycle, 1)}**`,
        `events between each awaitJobChange's scheduled and started events over the ${e.cycles} reads that found ` +
          `the job unchanged (retried attempts); ${e.reads} reads in all; job changes every 3 s, read every 1 s`,
      ]);
      rows.push([
        '1',
        'History events per job change, `activity`',
        `**${f(e.eventsPerChange ?? Number.NaN, 0)}**`,
        `median gap between awaitJobChange completions (a change of the state word adds its upsert); ` +
          `events per job (18 s, 6 changes): ${f(e.eventsPerJob ?? Number.NaN, 0)}`,
      ]);
    } else if (e.mode === 'long-poll') {
      rows.push([
        '1',
        'History events per job change, `long-poll`',
        `**${f(e.eventsPerCycle, 0)}**`,
        `median gap between getJob completions over ${e.cycles} changes (one every ${f(e.cycleMs, 0)} ms); ` +
          `${e.reads} reads in all: a held read adds no event until the job changes`,
      ]);
    } else {
      rows.push([
        '1',
        `History events per poll cycle, \`${e.mode}\``,
        `**${f(e.eventsPerCycle, 0)}**`,
        `median gap between TimerFired events over ${e.cycles} cycles; one cycle took ${f(e.cycleMs, 0)} ms` +
          (e.shape === 'timers' ? `; events per job (18 s, 6 changes): ${f(e.eventsPerJob ?? Number.NaN, 0)}` : ''),
      ]);
    }
  }
  if (load) {
    rows.push([
      '1',
      'Cost per job, `activity` (12 s job, 1 s reads): events / dev-server CPU / worker CPU',
      `**${f(load.eventsPerJob, 0)}** events / **${f(load.serverCpuMsPerJob, 1)} ms** / ${f(load.workerCpuMsPerJob, 1)} ms`,
      `${load.runs} runs at once; medians of history length, CPU over the block ÷ runs; ${f(load.readsPerJob, 1)} reads per job`,
    ]);
  }
  const cost = (c: ModeEvents['fullRun']): string => `${c.events} / ${c.stateTransitions} / ${c.workflowTasks}`;
  rows.push([
    '1',
    'Full run (submit, 3 polls, NORMAL): events / state transitions / workflow tasks',
    modes.map((e) => `${e.mode} ${cost(e.fullRun)}`).join('; '),
    `baseline (one no-op activity) ${cost(baseline)}`,
  ]);
  return rows;
}

function throughputRows(t: ThroughputResult, profile: Profile, machine: MachineInfo, server: string): Row[] {
  const at = (side: SideWindow['side'], pick: (w: SideWindow) => number): number =>
    median(t.windows.filter((w) => w.side === side).map(pick));
  const both = (pick: (w: SideWindow) => number, digits = 2, format = (v: number) => f(v, digits)): string =>
    `${format(at('operation', pick))} / ${format(at('baseline', pick))}`;
  return [
    [
      '2',
      'Throughput, operation ÷ baseline: state transitions/s',
      ratio(t.transitionRatio),
      `operation / baseline: ${both((w) => w.transitionsPerSec, 0)} transitions/s, ${both((w) => w.workflowTasksPerSec, 0)} WFT/s, ` +
        `${both((w) => w.runsPerSec, 1)} runs/s, ${both((w) => w.eventsPerSec, 0)} events/s (events ratio ${f(t.eventRatio.median)}); ` +
        `closed loop of ${t.inFlight ?? profile.throughput.concurrency} runs in flight; transitions = the server's stateTransitionCount`,
    ],
    ...ladderRows(t, machine),
    [
      '2',
      `… per CPU-second of worker + ${server}`,
      ratio(t.transitionPerCpuRatio),
      `${both((w) => w.transitionsPerCpuSec, 0)} transitions per CPU-s; the capacity ratio on a CPU-bound box, insensitive to how much CPU other processes took`,
    ],
    [
      '2',
      `… per ${server} CPU-second`,
      ratio(t.transitionPerServerCpuRatio),
      `${both((w) => w.transitionsPerServerCpuSec, 0)} transitions per server CPU-s; the ratio when the server alone is the limit (worker elsewhere)`,
    ],
    [
      '4',
      'Worker CPU per workflow task, operation ÷ baseline',
      ratio(t.cpuPerTaskRatio),
      `ms per WFT, operation / baseline: worker process ${both((w) => w.cpu.workerMsPerTask)} = workflow thread ${both((w) => w.cpu.threadsMsPerTask.workflow)} ` +
        `+ V8 GC/compiler threads ${both((w) => w.cpu.threadsMsPerTask.v8AndLibuv)} + main JS (activities) ${both((w) => w.cpu.threadsMsPerTask.main)} ` +
        `+ Rust core ${both((w) => w.cpu.threadsMsPerTask.core)}; ${server} ${both((w) => w.cpu.serverMsPerTask)}; ` +
        `not counted: the simulator's thread ${both((w) => w.cpu.threadsMsPerTask.simulator)}`,
    ],
    [
      '4',
      `Worker's share of worker + ${server} CPU at saturation`,
      `operation **${pct(at('operation', (w) => w.cpu.workerShare))}**, baseline **${pct(at('baseline', (w) => w.cpu.workerShare))}**`,
      `cores used, operation / baseline: worker ${both((w) => w.cpu.workerCores)}, ${server} ${both((w) => w.cpu.serverCores)}, ` +
        `workflow thread ${both((w) => w.cpu.workflowThreadBusy)}; our processes kept ${both((w) => w.cpu.machineBusy, 0, pct)} of ${machine.nproc} cores busy ` +
        `while other processes on the machine used ${both((w) => w.cpu.foreignCores)} cores`,
    ],
  ];
}

function ladderRows(t: ThroughputResult, machine: MachineInfo): Row[] {
  if (!t.ladder || t.ladder.length === 0) return [];
  const level = (step: LadderStep): string =>
    `${step.inFlight}: ${f(step.operation.transitionsPerSec, 0)} / ${f(step.baseline.transitionsPerSec, 0)} ` +
    `(machine ${pct(machineBusyWithOthers(step.operation, machine.nproc))} / ` +
    `${pct(machineBusyWithOthers(step.baseline, machine.nproc))} busy, ours ${pct(step.operation.cpu.machineBusy)} / ` +
    `${pct(step.baseline.cpu.machineBusy)}; server ${f(step.operation.cpu.serverCores)} / ${f(step.baseline.cpu.serverCores)} cores)`;
  return [
    [
      '2',
      'Saturation ladder: runs in flight → transitions/s, operation / baseline',
      `saturated at **${t.inFlight}** in flight`,
      `${t.ladder.map(level).join('; ')}; a side is saturated when doubling the runs in flight adds under 10% ` +
        `transitions/s (or the machine, other processes included, is 95% busy); busy = share of all cores`,
    ],
  ];
}

function reactionRows(modes: ModeReaction[]): Row[] {
  return modes.map((r): Row => {
    const split = `${r.samples} runs; waiting for the read that saw it ${f(r.meanWaitMs, 0)} ms + processing ${f(r.meanProcessMs, 0)} ms (p99 ${f(r.p99ProcessMs, 0)} ms)`;
    return r.mode === 'long-poll'
      ? ['3', 'Reaction delay, `long-poll`', `mean **${f(r.meanMs, 0)} ms**, p99 **${f(r.p99Ms, 0)} ms**`, split]
      : [
          '3',
          `Reaction delay ÷ poll interval (1 s), \`${r.mode}\``,
          `mean **${f(r.meanIntervals)}**, p99 **${f(r.p99Intervals)}**`,
          `${split}; mean ${f(r.meanMs, 0)} ms`,
        ];
  });
}

export function acceptedRows(a: AcceptedResult | undefined): Row[] {
  if (!a) return [];
  const s = a.segments;
  const segments = s
    ? `; medians by segment (ms): start call ${f(s.startCall, 0)}, first task queued ${f(s.firstTaskQueued, 0)} + ` +
      `run ${f(s.firstTaskRun, 0)}, submit activity queued ${f(s.activityQueued, 0)} + run ${f(s.activityRun, 0)}, ` +
      `answering task queued ${f(s.answerTaskQueued, 0)} + run ${f(s.answerTaskRun, 0)}, answer to caller ` +
      `${f(s.answerToCaller, 0)}`
    : '';
  return [
    [
      '7',
      'Accepted contract: start call to NSE job id ÷ bare NSE POST',
      ratio(a.ratio, 1),
      `startOperation (update-with-start of \`accepted\`) median ${f(a.acceptedMs, 0)} ms, bare POST ` +
        `${f(a.barePostMs, 1)} ms; ${a.samples} pairs, one call at a time${segments}`,
    ],
    ...(a.floor && a.floorMs !== undefined
      ? [
          [
            '7',
            'Accepted contract ÷ its floor (update-with-start answered in the first task + one bare POST)',
            ratio(a.floor),
            `floor median ${f(a.floorMs, 0)} ms; the floor is what any answer sent through Temporal costs`,
          ] satisfies Row,
        ]
      : []),
  ];
}

export function pauseCheckRows(p: PauseCheckResult | undefined): Row[] {
  if (!p) return [];
  return [
    [
      '8',
      'Temporal requests of the pause check per NSE request',
      `**${f(p.temporalRequestsPerNseRequest)}**`,
      `${p.describeRequests} DescribeWorkflowExecution at the server's frontend for ${p.nseRequests} requests at NSE, ` +
        `${p.runs} runs in \`activity\` mode (submit, three reads); counted from the server's own metrics`,
    ],
  ];
}

function memoryRows(m: MemoryResult): Row[] {
  return [
    [
      '5',
      `Worker RSS with ${m.runs} runs polling at once`,
      `**${f(m.loadedRssMiB, 0)} MiB** (idle ${f(m.idleRssMiB, 0)} MiB)`,
      `${m.cachedWorkflows} runs cached, ${m.polledRuns} polled; all settled in ${f(m.settleSeconds, 0)} s; 30 s interval here (see notes)`,
    ],
    [
      '5',
      'RSS per cached workflow',
      `**${f(m.perCachedWorkflowMiB)} MiB**`,
      `the SDK documents ≈ 1 MB per cached workflow (reuseV8Context); a run of a workflow that only sleeps, same bundle: ` +
        `${f(m.perCachedSleeperMiB)} MiB; main-thread heap (activities) grew ${f(m.mainHeapDeltaMiB, 1)} MiB in all`,
    ],
  ];
}

function naiveRows(n: NaiveResult, profile: Profile, server: string): Row[] {
  const med = (pick: (b: NaiveResult['blocks'][number]) => number, digits = 0): string =>
    f(median(n.blocks.map(pick)), digits);
  return [
    [
      '6',
      'End-to-end latency, workflow ÷ plain Node loop',
      ratio(n.latencyRatio),
      `median: workflow ${med((b) => b.workflowLatencyMs)} ms (server start→close ${med((b) => b.workflowServerLatencyMs)} ms), ` +
        `plain ${med((b) => b.plainLatencyMs)} ms; ${profile.naive.runs} jobs per batch, one every ${profile.naive.spacingMs} ms`,
    ],
    [
      '6',
      'CPU per job, workflow ÷ plain Node loop',
      `worker process ${ratio(n.workerCpuRatio, 1)}; with ${server} + starter ${ratio(n.totalCpuRatio, 1)}`,
      `ms per job: worker ${med((b) => b.workflowWorkerMs, 1)} + ${server} ${med((b) => b.workflowServerMs, 1)} + starter ` +
        `${med((b) => b.workflowStarterMs, 1)} vs plain ${med((b) => b.plainMs, 1)}; the simulator's thread (in neither) ` +
        `${med((b) => b.workflowSimulatorMs, 1)} / ${med((b) => b.plainThreadsMs.simulator, 1)}`,
    ],
  ];
}

function timerRows(timers: TimerLateness[]): Row[] {
  return [
    [
      '3',
      'Timer lateness: a timer of 20 ms / 200 ms / 1 s fires after',
      timers.map((t) => `**${f(t.medianFiredAfterMs, 0)} ms**`).join(' / '),
      `median TimerStarted → TimerFired of ${timers[0]?.runs ?? 0} runs per duration started together; p90 ` +
        `${timers.map((t) => f(t.p90FiredAfterMs, 0)).join(' / ')} ms, max ${timers.map((t) => f(t.maxFiredAfterMs, 0)).join(' / ')} ms`,
    ],
  ];
}

/** The table; `server` names what the server-side CPU covers (`dev server`, `server + PostgreSQL`). */
export function markdownTable(
  results: Partial<BenchResults>,
  profile: Profile,
  machine: MachineInfo,
  server = 'dev server',
): string {
  // A run of selected figures (`--figures`) has only some results: each present one gives its rows.
  const rows: Row[] = [
    ...(results.events ? eventRows(results.events) : []),
    ...(results.throughput ? throughputRows(results.throughput, profile, machine, server) : []),
    ...(results.reaction ? reactionRows(results.reaction.modes) : []),
    ...(results.timers ? timerRows(results.timers) : []),
    ...(results.memory ? memoryRows(results.memory) : []),
    ...(results.naive ? naiveRows(results.naive, profile, server) : []),
    ...acceptedRows(results.accepted),
    ...pauseCheckRows(results.pauseCheck),
  ].sort((a, b) => Number(a[0]) - Number(b[0]));
  const header = ['#', 'Figure', 'Result', 'How / absolute values'];
  const line = (cells: readonly string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
