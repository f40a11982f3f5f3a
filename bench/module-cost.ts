/**
 * `npx ts-node --transpile-only bench/module-cost.ts`: what the workflow bundle's modules cost every run.
 *
 * With `reuseV8Context` (the SDK default) each workflow run the worker instantiates (a new run, or a cache miss that
 * replays) evaluates the bundle's modules afresh, and keeps its own copy of them while cached. This runs the same
 * trivial workflows on two workers of the same process: one with the real bundle (src/workflows plus the
 * baselines, as `npm run bench` uses) and one with a bundle of the baselines alone, alternating in blocks, and
 * prints per run: workflow-thread CPU, V8 helper-thread CPU (garbage collection), and RSS per cached sleeping run.
 * The difference is the price of what src/workflows imports (the operations catalogue, zod). `bench/module-eval.ts`
 * measures the module evaluation alone, without a worker, in seconds.
 * @module
 */
import path from 'node:path';
import { Command } from 'commander';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
import { quietBundlerLogger, withBench, type Bench, type RunningWorker } from './harness';
import { collectGarbage, nodeThreadsNow, rssBytes, threadCpuMs } from './proc';
import { median } from './stats';

const BLOCKS = 4;
const RUNS = 100;
const SLEEPERS = 300;
const MiB = 2 ** 20;

interface Side {
  key: string;
  name: string;
  code: string;
}

async function startTracked(
  bench: Bench,
  queue: string,
  code: string,
): Promise<{ running: RunningWorker; threads: Set<string> }> {
  const before = nodeThreadsNow();
  const running = await bench.startWorker(queue, code);
  return { running, threads: new Set([...nodeThreadsNow()].filter((tid) => !before.has(tid))) };
}

async function cpuPerRun(bench: Bench, side: Side, block: number): Promise<{ workflowMs: number; helpersMs: number }> {
  const { running, threads } = await startTracked(
    bench,
    `bench-modcost-${bench.runTag}-${block}-${side.key}`,
    side.code,
  );
  try {
    const runs = (round: string): Parameters<Bench['starter']['run']>[0] =>
      Array.from({ length: RUNS }, (_, i) => ({
        workflowType: 'baselineWorkflow',
        workflowId: `bench-modcost-${bench.runTag}-${block}-${side.key}-${round}-${i}`,
        args: [],
      }));
    await bench.starter.run(runs('warm'), { taskQueue: running.taskQueue }); // JIT and context set-up
    collectGarbage();
    const from = threadCpuMs(threads);
    await bench.starter.run(runs('measured'), { taskQueue: running.taskQueue });
    const to = threadCpuMs(threads);
    return { workflowMs: (to.workflow - from.workflow) / RUNS, helpersMs: (to.v8AndLibuv - from.v8AndLibuv) / RUNS };
  } finally {
    await running.stop();
  }
}

async function rssPerSleeper(bench: Bench, side: Side): Promise<number> {
  const { running } = await startTracked(bench, `bench-modcost-mem-${bench.runTag}-${side.key}`, side.code);
  const ids = Array.from({ length: SLEEPERS }, (_, i) => `bench-modcost-sleep-${bench.runTag}-${side.key}-${i}`);
  try {
    await bench.starter.run([{ workflowType: 'baselineWorkflow', workflowId: `${ids[0]}-warm`, args: [] }], {
      taskQueue: running.taskQueue,
    });
    collectGarbage();
    const idle = rssBytes();
    await bench.starter.run(
      ids.map((workflowId) => ({ workflowType: 'baselineSleepWorkflow', workflowId, args: [] })),
      { wait: false, taskQueue: running.taskQueue },
    );
    for (let i = 0; i < 600 && running.worker.main.getStatus().numCachedWorkflows < SLEEPERS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // re-check interval of a condition
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the last tasks finish
    collectGarbage();
    return (rssBytes() - idle) / MiB / running.worker.main.getStatus().numCachedWorkflows;
  } finally {
    await bench.starter.terminate(ids);
    await running.stop();
  }
}

/**
 * Options: `--no-preload-row` adds the deployed sources bundled without the preload; `--before DIR` adds the bundle of
 * an earlier checkout (e.g. `git archive <commit> | tar -x -C DIR`, with `node_modules` linked into it).
 */
const options = new Command('bench/module-cost.ts')
  // commander reads `--no-X` as "X is false": the flag asks for the extra row, so the row is added when it is false.
  .option('--no-preload-row', 'add the deployed sources bundled without the zod preload')
  .option('--before <dir>', 'add the bundle of an earlier checkout in this directory')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse()
  .opts<{ preloadRow: boolean; before?: string }>();
const compareWithoutPreload = !options.preloadRow;
const before = options.before;

async function main(): Promise<void> {
  const log = (line: string): void => void process.stderr.write(`[module-cost] ${line}\n`);
  const rows = await withBench(log, async (bench) => {
    const bundle = async (workflowsPath: string, options: BundleOptions['preloadModules'] = []): Promise<string> =>
      (await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger, preloadModules: options })).code;
    const sides: Side[] = [{ key: 'full', name: 'src/workflows + baselines (as deployed)', code: bench.bundleCode }];
    if (compareWithoutPreload) {
      const code = await bundle(require.resolve('./workflows'));
      sides.push({ key: 'no-preload', name: 'same, zod not preloaded', code });
    }
    if (before) {
      const code = await bundle(path.join(before, 'bench', 'workflows.ts'));
      sides.push({ key: 'before', name: `src/workflows + baselines of ${path.basename(before)}`, code });
    }
    sides.push({ key: 'bare', name: 'baselines only', code: await bundle(require.resolve('./baseline-workflows')) });
    const cpu = new Map<Side['key'], Array<{ workflowMs: number; helpersMs: number }>>(sides.map((s) => [s.key, []]));
    for (let block = 0; block < BLOCKS; block++) {
      // Each block starts with a different side, and every other block runs them in reverse order.
      const rotated = [...sides.slice(block % sides.length), ...sides.slice(0, block % sides.length)];
      for (const side of block % 2 === 0 ? rotated : rotated.reverse()) {
        const result = await cpuPerRun(bench, side, block);
        cpu.get(side.key)?.push(result);
        log(
          `block ${block + 1}/${BLOCKS} ${side.name}: workflow thread ${result.workflowMs.toFixed(2)} ms/run, V8 helpers ${result.helpersMs.toFixed(2)} ms/run`,
        );
      }
    }
    const memory = new Map<Side['key'], number>();
    for (const side of sides) memory.set(side.key, await rssPerSleeper(bench, side));
    return sides.map((side) => {
      const samples = cpu.get(side.key) ?? [];
      return {
        side: side.name,
        bundleKiB: side.code.length / 1024,
        workflowMs: median(samples.map((s) => s.workflowMs)),
        helpersMs: median(samples.map((s) => s.helpersMs)),
        rssPerCachedMiB: memory.get(side.key) ?? Number.NaN,
      };
    });
  });
  process.stdout.write(
    `\n| Bundle | Size | Workflow thread CPU per run | V8 helper CPU per run | RSS per cached sleeping run |\n| --- | --- | --- | --- | --- |\n` +
      rows
        .map(
          (r) =>
            `| ${r.side} | ${r.bundleKiB.toFixed(0)} KiB | ${r.workflowMs.toFixed(2)} ms | ${r.helpersMs.toFixed(2)} ms | ${r.rssPerCachedMiB.toFixed(2)} MiB |`,
        )
        .join('\n') +
      `\n\n${RUNS} baseline runs per block, ${BLOCKS} blocks alternating, medians; ${SLEEPERS} sleeping runs for memory.\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`module-cost failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
