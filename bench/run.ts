/**
 * `npm run bench [-- --quick] [--target dev|cluster] [--workers N] [--fleet [--fleet-runs N ...]]`: measures nse-flow on a real Temporal server (the
 * dev server, or the PostgreSQL cluster of `npm run cluster`) and the NSE simulator, with N in-process workers on one
 * task queue; prints a Markdown table and writes bench-results/latest.json and bench-results/<target>-<N>w.json.
 * See docs/benchmarks.md for what each figure means and the last recorded runs.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { intOption } from '../src/cli/int-option';
import { fleetTable, measureFleetSection } from './fleet';
import { FLEET_FULL, FLEET_QUICK, type FleetProfile } from './fleet-profile';
import { interrupted, withBench, type BenchTarget } from './harness';
import { POLL_INTERVAL_MS } from './inputs';
import { FULL, QUICK, type Profile } from './profile';
import { acceptedRows, markdownTable, pauseCheckRows, type BenchResults } from './report';
import { measureAccepted } from './scenarios/accepted';
import { measureEvents } from './scenarios/events';
import { measureMemory } from './scenarios/memory';
import { measureNaive } from './scenarios/naive';
import { measurePauseCheck } from './scenarios/pause-check';
import { measureReaction } from './scenarios/reaction';
import { measureThroughput } from './scenarios/throughput';
import { measureTimers } from './scenarios/timers';

const RESULTS_DIR = path.resolve(__dirname, '..', 'bench-results');

interface BenchArgs {
  profile: Profile;
  target: BenchTarget;
  workers: number;
  /** Set with `--fleet`: the fleet section instead of the table. */
  fleet: FleetProfile | undefined;
  /** `--accepted`: figures 7 and 8 alone. */
  acceptedOnly: boolean;
  /** `--figures 4,5`: only these figures of the table (2 and 4 are one scenario); all when absent. */
  figures: ReadonlySet<number> | undefined;
}

/** Parses `--figures`: figure numbers of the table, comma-separated. */
function figureList(value: string): Set<number> {
  const figures = value.split(',').map((part) => Number(part.trim()));
  const bad = figures.filter((n) => !Number.isInteger(n) || n < 1 || n > 8);
  if (bad.length > 0 || figures.length === 0) {
    throw new InvalidArgumentError('expected figure numbers from 1 to 8, comma-separated, e.g. 4,5');
  }
  return new Set(figures);
}

function parseArgs(argv: string[]): BenchArgs {
  const options = new Command('npm run bench --')
    .option('--quick', 'fewer and shorter blocks (a few minutes)')
    .addOption(
      new Option('--target <target>', 'dev (the Temporal dev server) or cluster (PostgreSQL, npm run cluster)')
        .choices(['dev', 'cluster'])
        .default('dev'),
    )
    .option('--workers <n>', 'in-process workers on the task queue', intOption(1, 8), 1)
    .option('--accepted', 'figures 7 and 8 (the accepted contract, the pause check) alone')
    .option('--figures <list>', 'only these figures, e.g. 4,5 (2 and 4 are measured together)', figureList)
    .option('--fleet', 'the fleet section instead (10,000 runs in flight; 1,000 with --quick)')
    .option('--fleet-runs <n>', 'fleet: runs in flight', intOption(1, 100_000))
    .option('--fleet-poll-interval <ms>', 'fleet: their poll interval', intOption(1_000))
    .addOption(new Option('--fleet-poll-mode <mode>', 'fleet: their poll mode').choices(['local', 'activity']))
    .option('--fleet-window <ms>', 'fleet: how long the request rate is counted', intOption(5_000))
    .option('--fleet-burst <n>', "fairness: the large tenant's burst", intOption(1, 100_000))
    .option('--fleet-small-runs <n>', "fairness: the small tenant's runs", intOption(1, 10_000))
    .option('--fleet-bulk-items <n>', 'bulk: items of one bulk (0: no bulk)', intOption(0, 10_000))
    .option(
      '--fleet-budget <n>',
      'fleet and fairness: NSE request budget per second (runs in activity mode)',
      intOption(1),
    )
    .option(
      '--fleet-fairness-budget <n>',
      'fairness alone: its NSE request budget (default: --fleet-budget)',
      intOption(1),
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' })
    .opts<BenchOptions>();
  return {
    profile: options.quick ? QUICK : FULL,
    target: options.target,
    workers: options.workers,
    fleet: options.fleet ? fleetProfile(options) : undefined,
    acceptedOnly: options.accepted === true,
    figures: options.figures,
  };
}

interface BenchOptions {
  quick?: boolean;
  accepted?: boolean;
  figures?: Set<number>;
  target: BenchTarget;
  workers: number;
  fleet?: boolean;
  fleetRuns?: number;
  fleetPollInterval?: number;
  fleetPollMode?: 'local' | 'activity';
  fleetWindow?: number;
  fleetBurst?: number;
  fleetSmallRuns?: number;
  fleetBulkItems?: number;
  fleetBudget?: number;
  fleetFairnessBudget?: number;
}

function fleetProfile(options: BenchOptions): FleetProfile {
  const base = options.quick ? FLEET_QUICK : FLEET_FULL;
  return {
    ...base,
    runs: options.fleetRuns ?? base.runs,
    pollIntervalMs: options.fleetPollInterval ?? base.pollIntervalMs,
    pollMode: options.fleetPollMode ?? base.pollMode,
    windowMs: options.fleetWindow ?? base.windowMs,
    burst: options.fleetBurst ?? base.burst,
    smallRuns: options.fleetSmallRuns ?? base.smallRuns,
    bulkItems: options.fleetBulkItems ?? base.bulkItems,
    ...(options.fleetBudget === undefined ? {} : { budget: options.fleetBudget, pollMode: 'activity' as const }),
    ...(options.fleetFairnessBudget === undefined ? {} : { fairnessBudget: options.fleetFairnessBudget }),
  };
}

function writeResults(name: string, json: object): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, name);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  return path.relative(process.cwd(), file);
}

async function runFleet(
  args: BenchArgs,
  fleet: FleetProfile,
  startedAt: Date,
  log: (line: string) => void,
): Promise<void> {
  const { target, workers } = args;
  log(`fleet section (${fleet.name}); target ${target}; ${workers} worker(s)`);
  const output = await withBench(
    log,
    async (bench) => ({ results: await measureFleetSection(bench, fleet), machine: bench.machine }),
    { target, workers },
  );
  const table = fleetTable(output.results);
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const command = `npm run bench -- --fleet ${process.argv
    .slice(2)
    .filter((a) => a !== '--fleet')
    .join(' ')}`.trim();
  const file = writeResults(`fleet-${target}.json`, {
    command,
    date: startedAt.toISOString(),
    durationSeconds,
    fleet,
    machine: output.machine,
    results: output.results,
    table,
  });
  const m = output.machine;
  process.stdout.write(
    `\n## nse-flow fleet (${fleet.name}, ${target}), ${startedAt.toISOString()}\n\n` +
      `\`${command}\`. Machine: ${m.nproc} cores, ${m.memoryGiB} GiB, ${m.cpuModel}; Node ${m.node}. ` +
      `Took ${durationSeconds.toFixed(0)} s.\n\n${table}\n\nJSON: ${file}\n`,
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { profile, target, workers } = args;
  const startedAt = new Date();
  const log = (line: string): void =>
    void process.stderr.write(
      `[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  if (args.fleet) {
    await runFleet(args, args.fleet, startedAt, log);
    return;
  }
  log(`profile ${profile.name}; target ${target}; ${workers} worker(s); poll interval ${POLL_INTERVAL_MS} ms`);
  if (args.acceptedOnly) {
    const results = await withBench(
      log,
      async (bench) => ({
        accepted: await measureAccepted(bench, profile),
        pauseCheck: await measurePauseCheck(bench, profile.accepted.samples),
      }),
      { target, workers },
    );
    const file = writeResults(`accepted-${target}-${workers}w.json`, { date: startedAt.toISOString(), results });
    process.stdout.write(
      `\n${[...acceptedRows(results.accepted), ...pauseCheckRows(results.pauseCheck)]
        .map((row) => `| ${row.join(' | ')} |`)
        .join('\n')}\n\nJSON: ${file}\n`,
    );
    return;
  }
  const want = (...figures: number[]): boolean =>
    args.figures === undefined || figures.some((figure) => args.figures?.has(figure));
  const output = await withBench(
    log,
    async (bench) => {
      const results: Partial<BenchResults> = {};
      if (want(1)) {
        log('1. history events per poll cycle');
        results.events = await measureEvents(bench, profile);
      }
      // Memory first after the warm-up above: later scenarios grow heaps whose free space would hide new growth.
      if (want(5)) {
        log(`5. memory with ${profile.memory.runs} runs`);
        results.memory = await measureMemory(bench, profile);
      }
      if (want(2, 4)) {
        log('2+4. throughput and CPU at saturation (operation vs baseline)');
        results.throughput = await measureThroughput(bench, profile);
      }
      if (want(3)) {
        log('3. reaction delay');
        results.reaction = await measureReaction(bench, profile);
      }
      if (want(6)) {
        log('6. against a plain Node poller');
        results.naive = await measureNaive(bench, profile);
      }
      if (want(3)) {
        log('3b. timer lateness');
        results.timers = await measureTimers(bench, profile);
      }
      if (want(7)) {
        log('7. the accepted contract against a bare NSE POST');
        results.accepted = await measureAccepted(bench, profile);
      }
      if (want(8)) {
        log('8. the pause check: Temporal requests per NSE request');
        results.pauseCheck = await measurePauseCheck(bench, profile.accepted.samples);
      }
      return { results, machine: bench.machine, setupSeconds: bench.setupSeconds };
    },
    { target, workers },
  );
  const serverLabel = target === 'cluster' ? 'server + PostgreSQL' : 'dev server';
  const table = markdownTable(output.results, profile, output.machine, serverLabel);
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const json = {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    target,
    workers,
    date: startedAt.toISOString(),
    durationSeconds,
    profile,
    pollIntervalMs: POLL_INTERVAL_MS,
    machine: output.machine,
    setupSeconds: output.setupSeconds,
    results: output.results,
    table,
  };
  const file = writeResults(
    args.figures === undefined ? `${target}-${workers}w.json` : `figures-${[...args.figures].join('-')}-${target}.json`,
    json,
  );
  const m = output.machine;
  process.stdout.write(
    `\n## nse-flow benchmark (${profile.name}, ${target}, ${workers} worker(s)), ${startedAt.toISOString()}\n\n` +
      `Machine: ${m.nproc} cores, ${m.memoryGiB} GiB, ${m.cpuModel}; Node ${m.node}. Poll interval ${POLL_INTERVAL_MS} ms. ` +
      `Took ${durationSeconds.toFixed(0)} s.\n\n${table}\n\nJSON: ${file}\n`,
  );
}

// Exit explicitly: everything was stopped, but the SDK runtime may keep the event loop alive.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    if (interrupted()) process.exit(130);
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
