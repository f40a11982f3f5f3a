/**
 * How every workflow bundle of nse-flow is built: the worker's own bundling at start, `npm run build`, the tests and
 * the benchmarks pass these options to `bundleWorkflowCode` (or `Worker.create`'s `bundlerOptions`).
 *
 * `preloadModules`: with `reuseV8Context` (the SDK default) each run the worker instantiates evaluates the bundle's
 * modules afresh and keeps its own copy while cached. Preloaded modules are evaluated once per worker thread and
 * shared, deep-frozen, by every run. Only `src/shared/zod-kit.ts` is preloaded: it brings zod's own modules, which
 * keep no per-run state, and it leaves no write for later. A bundle built without these options works the same,
 * only each run pays for evaluating zod (about 0.5 MB and 1-2 ms per run; docs/benchmarks.md).
 * @module
 */
import type { BundleOptions } from '@temporalio/worker';

/** Options for `bundleWorkflowCode` besides `workflowsPath` and `logger`. */
export const workflowBundlerOptions: Pick<BundleOptions, 'preloadModules'> = {
  // zod's packages declare no side effects, so naming `zod/mini` here would be tree-shaken to nothing.
  preloadModules: [require.resolve('./shared/zod-kit')],
};
