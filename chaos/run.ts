/**
 * `npm run chaos -- --workflows N --seed S [--concurrency C] [--json FILE] [--keep] [--plan] [--adversarial]`: runs the chaos suite
 * and prints its figures (`--plan` only prints the seeded scenarios, faults and kill moments; `--adversarial` also
 * draws every NSE job shape, the read faults from in front of NSE, inline host groups and cancelled jobs). Exit code 0 when every
 * invariant held, 1 when one broke, 2 for bad usage. Ctrl-C stops every process the run started.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { intOption, positiveInt } from '../src/cli/int-option';
import { chaosPlan, runChaos, stopAllChaosStacks } from './chaos';
import { formatReport } from './report';

interface Args {
  workflows: number;
  seed: number;
  concurrency?: number;
  json?: string;
  keep: boolean;
  plan: boolean;
  adversarial: boolean;
}

/** Parses the command line; bad usage prints commander's message and the usage, and exits 2. */
function parseArgs(argv: string[]): Args {
  const options = new Command('npm run chaos --')
    .option('--workflows <n>', 'scenarios to run', positiveInt, 20)
    .option('--seed <n>', 'seed of every draw', intOption(0), 1)
    .option('--concurrency <n>', 'scenarios in flight at once', positiveInt)
    .option('--json <file>', 'also write the report as JSON to this file')
    .option('--keep', 'keep the work directory (logs, SQLite file)', false)
    .option('--plan', 'only print the seeded scenarios, faults and kill moments', false)
    .option('--adversarial', 'also draw every job shape, read faults, inline host groups, cancelled jobs', false)
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse(argv, { from: 'user' })
    .opts<Args>();
  return options;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.plan) {
    for (const s of chaosPlan(args.workflows, args.seed, undefined, args.adversarial)) {
      const kill = s.kill
        ? ` kill@${s.kill.moment}${s.kill.at === 'read' && s.kill.moment === 'compensation' ? '(read)' : ''}`
        : '';
      const cancel = s.cancelAfterReads ? ` cancel after ${s.cancelAfterReads} reads` : '';
      process.stdout.write(
        `${s.workflowId} ${s.story} ${s.pollMode} expect ${s.expected} faults [${s.faults.join(', ')}]${kill}${cancel}\n`,
      );
    }
    return 0;
  }
  const interrupt = (): void => {
    process.stderr.write('chaos: interrupted; stopping every process it started\n');
    void stopAllChaosStacks().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const report = await runChaos({
    workflows: args.workflows,
    seed: args.seed,
    concurrency: args.concurrency,
    keepWorkDir: args.keep,
    adversarial: args.adversarial,
  });
  const flags = args.adversarial ? ' --adversarial' : '';
  process.stdout.write(
    `\nnpm run chaos -- --workflows ${args.workflows} --seed ${args.seed}${flags}\n${formatReport(report)}`,
  );
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  return report.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void stopAllChaosStacks().finally(() => process.exit(1));
  },
);
