/**
 * `npm run bench [-- --quick] [--target dev|cluster] [--workers N]`: measures nse-flow on a real Temporal server (the
 * dev server, or the PostgreSQL cluster of `npm run cluster`) and the NSE simulator, with N in-process workers on one
 * task queue; prints a Markdown table and writes bench-results/latest.json and bench-results/<target>-<N>w.json.
 * See docs/benchmarks.md for what each figure means and the last recorded runs.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { intOption } from '../src/cli/int-option';
import { interrupted, withBench, type BenchTarget } from './harness';
import { POLL_INTERVAL_MS } from './inputs';
import { FULL, QUICK, type Profile } from './profile';
import { markdownTable, type BenchResults } from './report';
import { measureAccepted } from './scenarios/accepted';
import { measureEvents } from './scenarios/events';
import { measureMemory } from './scenarios/memory';
import { measureNaive } from './scenarios/naive';
import { measureReaction } from './scenarios/reaction';
import { measureThroughput } from './scenarios/throughput';
import { measureTimers } from './scenarios/timers';

const RESULTS_DIR = path.resolve(__dirname, '..', 'bench-results');

interface BenchArgs {
  profile: Profile;
  target: BenchTarget;
  workers: number;
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
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' })
    .opts<{ quick?: boolean; target: BenchTarget; workers: number }>();
  return { profile: options.quick ? QUICK : FULL, target: options.target, workers: options.workers };
}

async function main(): Promise<void> {
  const { profile, target, workers } = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const log = (line: string): void =>
    void process.stderr.write(
      `[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  log(`profile ${profile.name}; target ${target}; ${workers} worker(s); poll interval ${POLL_INTERVAL_MS} ms`);
  const output = await withBench(
    log,
    async (bench) => {
      log('1. history events per poll cycle');
      const events = await measureEvents(bench, profile);
      // Memory first after the warm-up above: later scenarios grow heaps whose free space would hide new growth.
      log(`5. memory with ${profile.memory.runs} runs`);
      const memory = await measureMemory(bench, profile);
      log('2+4. throughput and CPU at saturation (operation vs baseline)');
      const throughput = await measureThroughput(bench, profile);
      log('3. reaction delay');
      const reaction = await measureReaction(bench, profile);
      log('6. against a plain Node poller');
      const naive = await measureNaive(bench, profile);
      log('3b. timer lateness');
      const timers = await measureTimers(bench, profile);
      log('7. the accepted contract against a bare NSE POST');
      const accepted = await measureAccepted(bench, profile);
      const results: BenchResults = { events, throughput, reaction, memory, naive, timers, accepted };
      return { results, machine: bench.machine, setupSeconds: bench.setupSeconds };
    },
    { target, workers },
  );
  const serverLabel = target === 'cluster' ? 'server + PostgreSQL' : 'dev server';
  const table = markdownTable(output.results, profile, output.machine, serverLabel);
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const json = {
    command: `npm run bench -- ${profile.name === 'quick' ? '--quick ' : ''}--target ${target} --workers ${workers}`,
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
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${target}-${workers}w.json`);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(json, null, 2)}\n`);
  const m = output.machine;
  process.stdout.write(
    `\n## nse-flow benchmark (${profile.name}, ${target}, ${workers} worker(s)), ${startedAt.toISOString()}\n\n` +
      `Machine: ${m.nproc} cores, ${m.memoryGiB} GiB, ${m.cpuModel}; Node ${m.node}. Poll interval ${POLL_INTERVAL_MS} ms. ` +
      `Took ${durationSeconds.toFixed(0)} s.\n\n${table}\n\nJSON: ${path.relative(process.cwd(), file)}\n`,
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
