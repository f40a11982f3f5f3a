/**
 * `npx ts-node --transpile-only bench/module-eval.ts [workflowsPath ...]`: what evaluating a workflow bundle's
 * modules costs, without a worker or a server (seconds instead of minutes; `bench/module-cost.ts` is the end-to-end
 * measure).
 *
 * It does what the SDK's reusable V8 context does for every run it instantiates: the bundle is evaluated once in a
 * `vm` context whose `__webpack_module_cache__` starts empty for each run, then the workflows module is imported, so
 * every module it needs (src/workflows, src/shared, zod, most of @temporalio/workflow) is evaluated afresh. Each copy
 * is kept, as a cached run keeps its own; the script reports the time per import and the V8 heap each copy retains.
 * Without arguments it compares the bench bundle with the baselines alone.
 * @module
 */
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { Command } from 'commander';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger } from './harness';
import { median } from './stats';

const COPIES = 200;
const BLOCKS = 5;
const KiB = 1024;

setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

interface Loaded {
  importWorkflows(): unknown;
  setCache(cache: Map<string | symbol, unknown> | undefined): void;
}

/** Freezes what the SDK freezes after preloading (its own deepFreeze is private to reusable-vm.js). */
function deepFreeze(value: unknown, seen = new WeakSet<object>()): void {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  if (Object.isFrozen(value)) return;
  if (typeof value === 'object') {
    for (const key of [...Object.getOwnPropertyNames(value), ...Object.getOwnPropertySymbols(value)]) {
      try {
        deepFreeze((value as Record<string | symbol, unknown>)[key], seen);
      } catch {
        // as the SDK: some objects cannot be frozen
      }
    }
  }
  Object.freeze(value);
}

/** Evaluates the bundle in a new context, as the SDK does once per worker thread; later imports use `setCache`. */
function load(code: string): Loaded {
  const shared = new Map<string | symbol, unknown>();
  let current: Map<string | symbol, unknown> | undefined;
  const moduleCache = new Proxy(
    {},
    {
      get: (_, key) => shared.get(key) ?? current?.get(key),
      set: (_, key, value) => {
        (current ?? shared).set(key, value);
        return true;
      },
    },
  );
  const context = vm.createContext({});
  Object.defineProperty(context, '__webpack_module_cache__', { value: moduleCache });
  vm.runInContext(code, context);
  const temporal = vm.runInContext('__TEMPORAL__', context) as { importWorkflows(): unknown; preloadModules?(): void };
  temporal.preloadModules?.();
  for (const value of shared.values()) deepFreeze(value);
  return {
    importWorkflows: () => temporal.importWorkflows(),
    setCache: (cache) => (current = cache),
  };
}

async function measure(
  workflowsPath: string,
  preloadModules: string[],
): Promise<{ kib: number; ms: number; heapKiB: number }> {
  const { code } = await bundleWorkflowCode({ workflowsPath, preloadModules, logger: quietBundlerLogger });
  const loaded = load(code);
  const importOnce = (keep: unknown[]): number => {
    const cache = new Map<string | symbol, unknown>();
    loaded.setCache(cache);
    const start = process.hrtime.bigint();
    loaded.importWorkflows();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    keep.push(cache);
    return ms;
  };
  for (let i = 0; i < 50; i++) importOnce([]); // JIT warm-up
  const ms: number[] = [];
  const heap: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    const keep: unknown[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    const times: number[] = [];
    for (let i = 0; i < COPIES; i++) times.push(importOnce(keep));
    gc();
    heap.push((process.memoryUsage().heapUsed - before) / COPIES / KiB);
    ms.push(median(times));
    keep.length = 0;
  }
  loaded.setCache(undefined);
  return { kib: code.length / KiB, ms: median(ms), heapKiB: median(heap) };
}

async function main(): Promise<void> {
  const program = new Command('bench/module-eval.ts')
    .argument('[workflowsPath...]', 'workflow modules to bundle (default: the bench bundle and the baselines)')
    .option(
      '--preload <module>',
      'preload this module in the bundle (repeatable)',
      (v, all: string[]) => [...all, v],
      [],
    )
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .parse();
  const preload = program.opts<{ preload: string[] }>().preload;
  const args = program.args;
  const targets =
    args.length > 0
      ? args.map((p) => path.resolve(p))
      : [require.resolve('./workflows'), require.resolve('./baseline-workflows')];
  process.stdout.write(
    '| Bundle | Size | Module evaluation per run | Heap kept per run |\n| --- | --- | --- | --- |\n',
  );
  for (const target of targets) {
    const r = await measure(target, preload);
    process.stdout.write(
      `| ${path.relative(process.cwd(), target)}${preload.length > 0 ? ` (preloaded: ${preload.join(', ')})` : ''} | ${r.kib.toFixed(0)} KiB | ${r.ms.toFixed(2)} ms | ${r.heapKiB.toFixed(0)} KiB |\n`,
    );
  }
  process.stdout.write(`\n${COPIES} fresh imports per block, ${BLOCKS} blocks, medians; each import's modules kept.\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`module-eval failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
