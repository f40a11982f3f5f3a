/**
 * `npm run fuzz -- --runs N [--seed S] [--only TEXT]`: runs the fuzzing properties of test/fuzz/properties.ts for
 * longer than `npm test` does. Prints each property's outcome; a failure prints fast-check's counterexample and the
 * seed and path that replay it, and the exit code is 1.
 *
 * `npm run fuzz -- --entries --runs N [--seed S]`: runs N cases of the entry property test (test/fuzz/entries.ts)
 * against a dev server, simulator and worker of its own; prints its progress after each set of targets, then the cases
 * per entry, the time they took and every case that broke a property (with the seed that draws them again).
 * @module
 */
import { Command } from 'commander';
import fc from 'fast-check';
import { intOption, positiveInt } from '../src/cli/int-option';
import { runEntryFuzz } from '../test/fuzz/entries-stack';
import { PROPERTIES } from '../test/fuzz/properties';

async function main(): Promise<void> {
  const options = new Command('fuzz')
    .option('--runs <n>', 'runs per property', positiveInt, 10_000)
    .option('--seed <n>', 'seed (default: a fresh one, printed)', intOption(-(2 ** 31), 2 ** 31 - 1))
    .option('--only <text>', 'only the properties whose name contains this text')
    .option('--entries', 'the entry property test on a stack of its own: --runs cases in all')
    .parse()
    .opts<{ runs: number; seed?: number; only?: string; entries?: boolean }>();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (options.entries) {
    await fuzzEntries(options.runs, seed);
    return;
  }
  process.stdout.write(`fuzz: ${options.runs} runs per property, seed ${seed}\n`);
  let failed = 0;
  for (const { name, property } of PROPERTIES) {
    if (options.only && !name.includes(options.only)) continue;
    const started = Date.now();
    const details = await fc.check(property, { seed, numRuns: options.runs });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (details.failed) {
      failed += 1;
      process.stdout.write(`FAIL ${name} (${seconds} s)\n${fc.defaultReportMessage(details) ?? ''}\n`);
    } else {
      process.stdout.write(`ok   ${name}: ${details.numRuns} runs (${seconds} s)\n`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

async function fuzzEntries(runs: number, seed: number): Promise<void> {
  process.stdout.write(`fuzz --entries: ${runs} cases, seed ${seed} (starting a dev server, simulator and worker)\n`);
  const started = Date.now();
  const { report, seconds } = await runEntryFuzz(runs, seed, ({ done, problems }) => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    process.stdout.write(`  ${done}/${runs} cases, ${problems} problems so far (${elapsed} s since the start)\n`);
  });
  for (const [entry, count] of Object.entries(report.byKind).sort()) process.stdout.write(`  ${count}\t${entry}\n`);
  for (const problem of report.problems) process.stdout.write(`FAIL ${problem}\n`);
  const verdict = report.problems.length === 0 ? 'ok  ' : 'FAIL';
  process.stdout.write(
    `${verdict} ${report.cases} cases in ${seconds.toFixed(1)} s, ${report.problems.length} broke a property\n`,
  );
  process.exitCode = report.problems.length === 0 ? 0 : 1;
}

void main();
