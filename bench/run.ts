/**
 * `npm run bench [-- --quick]`: measures nse-flow on the real
 * Temporal dev server and the NSE simulator, prints a Markdown table and writes bench-results/latest.json.
 * See docs/benchmarks.md for what each figure means and the last recorded run.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { interrupted, withBench } from './harness';
import { POLL_INTERVAL_MS } from './inputs';
import { FULL, QUICK, type Profile } from './profile';
import { markdownTable, type BenchResults } from './report';
import { measureEvents } from './scenarios/events';
import { measureMemory } from './scenarios/memory';
import { measureNaive } from './scenarios/naive';
import { measureReaction } from './scenarios/reaction';
import { measureThroughput } from './scenarios/throughput';

const RESULTS_DIR = path.resolve(__dirname, '..', 'bench-results');

function parseArgs(argv: string[]): { profile: Profile } {
  let profile = FULL;
  for (const arg of argv) {
    if (arg === '--quick') profile = QUICK;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run bench [-- --quick]\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${arg} (usage: npm run bench [-- --quick])\n`);
      process.exit(2);
    }
  }
  return { profile };
}

async function main(): Promise<void> {
  const { profile } = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const log = (line: string): void =>
    void process.stderr.write(
      `[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}\n`,
    );
  log(`profile ${profile.name}; poll interval ${POLL_INTERVAL_MS} ms`);
  const output = await withBench(log, async (bench) => {
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
    const results: BenchResults = { events, throughput, reaction, memory, naive };
    return { results, machine: bench.machine, setupSeconds: bench.setupSeconds };
  });
  const table = markdownTable(output.results, profile, output.machine);
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const json = {
    command: `npm run bench${profile.name === 'quick' ? ' -- --quick' : ''}`,
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
  const file = path.join(RESULTS_DIR, 'latest.json');
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  const m = output.machine;
  process.stdout.write(
    `\n## nse-flow benchmark (${profile.name}), ${startedAt.toISOString()}\n\n` +
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
