/**
 * `npx ts-node --transpile-only bench/compare.ts bench-results/dev-1w.json bench-results/cluster-1w.json ...`: the
 * headline figures of several `npm run bench` results side by side, one column per file, as a Markdown table
 * (docs/benchmarks.md, "Dev server and cluster").
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import type { BenchResults } from './report';
import type { SideWindow } from './scenarios/throughput';
import { median } from './stats';

interface ResultFile {
  command: string;
  target?: string;
  workers?: number;
  profile: { name: string };
  results: BenchResults;
}

const f = (value: number | undefined, digits = 2): string =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

function side(r: BenchResults, which: SideWindow['side'], pick: (w: SideWindow) => number): number {
  return median(r.throughput.windows.filter((w) => w.side === which).map(pick));
}

const ROWS: Array<[string, (r: BenchResults) => string]> = [
  ['Throughput ratio, operation ÷ baseline (transitions/s)', (r) => f(r.throughput.transitionRatio.median)],
  ['… per CPU-second of worker + server', (r) => f(r.throughput.transitionPerCpuRatio.median)],
  ['… per server CPU-second', (r) => f(r.throughput.transitionPerServerCpuRatio.median)],
  [
    'Operation: transitions/s, runs/s (closed loop; runs in flight in the next row)',
    (r) =>
      `${f(
        side(r, 'operation', (w) => w.transitionsPerSec),
        0,
      )}, ${f(
        side(r, 'operation', (w) => w.runsPerSec),
        1,
      )}`,
  ],
  ['Runs in flight (saturation level of the ladder; 60 before it)', (r) => String(r.throughput.inFlight ?? 60)],
  [
    'Baseline: transitions/s, runs/s',
    (r) =>
      `${f(
        side(r, 'baseline', (w) => w.transitionsPerSec),
        0,
      )}, ${f(
        side(r, 'baseline', (w) => w.runsPerSec),
        1,
      )}`,
  ],
  [
    'Cores used, operation: worker / server / other processes',
    (r) =>
      `${f(side(r, 'operation', (w) => w.cpu.workerCores))} / ${f(side(r, 'operation', (w) => w.cpu.serverCores))} / ` +
      `${f(side(r, 'operation', (w) => w.cpu.foreignCores))}`,
  ],
  ['Reaction delay ÷ 1 s interval, `local` (mean, p99)', (r) => reaction(r, 'local')],
  ['Reaction delay ÷ 1 s interval, `activity` (mean, p99)', (r) => reaction(r, 'activity')],
  ['Reaction delay, `long-poll` (mean, p99 ms)', (r) => reaction(r, 'long-poll')],
  [
    'Timer of 20 ms / 200 ms / 1 s fires after (median ms)',
    (r) => r.timers?.map((t) => f(t.medianFiredAfterMs, 0)).join(' / ') ?? 'n/a',
  ],
  ['Worker CPU per workflow task, operation (ms)', (r) => f(side(r, 'operation', (w) => w.cpu.workerMsPerTask))],
  ['Server CPU per workflow task, operation (ms)', (r) => f(side(r, 'operation', (w) => w.cpu.serverMsPerTask))],
  ['Worker CPU per task, operation ÷ baseline', (r) => f(r.throughput.cpuPerTaskRatio.median)],
  ['Latency, workflow ÷ plain Node loop', (r) => f(r.naive.latencyRatio.median)],
  [
    'Latency medians: workflow / plain (ms)',
    (r) =>
      `${f(median(r.naive.blocks.map((b) => b.workflowLatencyMs)), 0)} / ${f(median(r.naive.blocks.map((b) => b.plainLatencyMs)), 0)}`,
  ],
  ['CPU per job, worker process ÷ plain loop', (r) => f(r.naive.workerCpuRatio.median, 1)],
  ['RSS per cached workflow (MiB)', (r) => f(r.memory.perCachedWorkflowMiB)],
];

function reaction(r: BenchResults, mode: string): string {
  const m = r.reaction.modes.find((x) => x.mode === mode);
  if (!m) return 'n/a';
  return mode === 'long-poll' ? `${f(m.meanMs, 0)}, ${f(m.p99Ms, 0)}` : `${f(m.meanIntervals)}, ${f(m.p99Intervals)}`;
}

const files = new Command('bench/compare.ts')
  .argument('<result...>', 'bench-results/*.json files, one column each')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse().args;
const results = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as ResultFile);
const header = [
  'Figure',
  ...results.map((r) => `${r.target ?? 'dev'}, ${r.workers ?? 1} worker${(r.workers ?? 1) > 1 ? 's' : ''}`),
];
const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
process.stdout.write(
  [
    line(header),
    line(header.map(() => '---')),
    ...ROWS.map(([name, pick]) => line([name, ...results.map((r) => pick(r.results))])),
  ].join('\n') + '\n',
);
