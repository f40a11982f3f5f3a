/**
 * `npm run fuzz -- --runs N [--seed S] [--only TEXT]`: runs the fuzzing properties of test/fuzz/properties.ts for
 * longer than `npm test` does. Prints each property's outcome; a failure prints fast-check's counterexample and the
 * seed and path that replay it, and the exit code is 1.
 * @module
 */
import { Command } from 'commander';
import fc from 'fast-check';
import { intOption, positiveInt } from '../src/cli/int-option';
import { PROPERTIES } from '../test/fuzz/properties';

async function main(): Promise<void> {
  const options = new Command('fuzz')
    .option('--runs <n>', 'runs per property', positiveInt, 10_000)
    .option('--seed <n>', 'seed (default: a fresh one, printed)', intOption(-(2 ** 31), 2 ** 31 - 1))
    .option('--only <text>', 'only the properties whose name contains this text')
    .parse()
    .opts<{ runs: number; seed?: number; only?: string }>();
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
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

void main();
