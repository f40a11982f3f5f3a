/**
 * `npm run chaos -- --workflows N --seed S [--concurrency C] [--json FILE] [--keep] [--plan] [--adversarial]`: runs the chaos suite
 * and prints its figures (`--plan` only prints the seeded scenarios, faults and kill moments; `--adversarial` also
 * draws every NSE job shape, the read faults from in front of NSE, inline host groups and cancelled jobs). Exit code 0 when every
 * invariant held, 1 when one broke, 2 for bad usage. Ctrl-C stops every process the run started.
 * @module
 */
import { writeFileSync } from 'node:fs';
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

function parseArgs(argv: string[]): Args {
  const args: Args = { workflows: 20, seed: 1, keep: false, plan: false, adversarial: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (name: string, min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer of at least ${min}`);
      return v;
    };
    switch (flag) {
      case '--workflows':
        args.workflows = count('--workflows', 1);
        break;
      case '--seed':
        args.seed = count('--seed', 0);
        break;
      case '--concurrency':
        args.concurrency = count('--concurrency', 1);
        break;
      case '--json':
        args.json = value();
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--plan':
        args.plan = true;
        break;
      case '--adversarial':
        args.adversarial = true;
        break;
      default:
        throw new Error(`unknown option ${flag}`);
    }
  }
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(
      `${(err as Error).message}\nusage: npm run chaos -- --workflows N --seed S [--concurrency C] [--json FILE] [--keep] [--plan] [--adversarial]\n`,
    );
    return 2;
  }
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
