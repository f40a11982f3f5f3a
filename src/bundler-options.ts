/**
 * How workflow bundles of nse-flow are built: the worker's own bundling at start (`Worker.create`'s `bundlerOptions`),
 * `bundleWorkflows` (src/scripts/bundle-workflows.ts: `npm run build`, the test and chaos set-ups) and the
 * benchmarks pass these options.
 *
 * `preloadModules`: with `reuseV8Context` (the SDK default) each run the worker instantiates evaluates the bundle's
 * modules afresh and keeps its own copy while cached. Preloaded modules are evaluated once per worker thread and
 * shared, deep-frozen, by every run. Only `src/shared/zod-kit.ts` is preloaded: it brings zod's own modules, which
 * keep no per-run state, and it leaves no write for later. A bundle built without these options works the same,
 * only each run pays for evaluating zod (about 0.4 MiB and 2 ms of CPU per run; docs/benchmarks.md).
 * @module
 */
import type { BundleOptions } from '@temporalio/worker';

/** Options for `bundleWorkflowCode` besides `workflowsPath` and `logger`. */
export const workflowBundlerOptions: Pick<BundleOptions, 'preloadModules'> = {
  // zod's packages declare no side effects, so naming `zod/mini` here would be tree-shaken to nothing.
  preloadModules: [require.resolve('./shared/zod-kit')],
};
