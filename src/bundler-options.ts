/**
 * How workflow bundles of nse-flow are built: the worker's own bundling at start (`Worker.create`'s `bundlerOptions`),
 * `bundleWorkflows` (tools/bundle-workflows.ts: `npm run build`, the test and chaos set-ups) and the
 * benchmarks pass these options.
 *
 * `preloadModules`: with `reuseV8Context` (the SDK default) each run the worker instantiates evaluates the bundle's
 * modules afresh and keeps its own copy while cached. Preloaded modules are evaluated once per worker thread and
 * shared, deep-frozen, by every run. Preloaded: `src/shared/zod-kit.ts` (zod's own modules, which keep no per-run
 * state; it leaves no write for later) and the pure modules of src/shared that workflow code imports (the operations
 * catalogue, the gate and its schemas, the definitions; they hold constants only, which no workflow changes, and
 * build schemas when a value is checked). Module state of src/workflows stays per run: none of those is preloaded but
 * `src/workflows/stack-depth.ts`, which keeps no state and sets the sandbox's stack-trace depth once, before the SDK
 * freezes the sandbox's globals. A bundle built without these options works the same, only each run pays for
 * evaluating them (about 0.5 MiB and 2 ms of CPU per run for zod, 70 KiB and 2 ms more for src/shared) and for deeper
 * stack traces (docs/benchmarks.md).
 *
 * OpenTelemetry's workflow interceptors are not in these options: a bundle carries them only when traces are on
 * ({@link tracedBundlerOptions}). With them, the replay of a run whose update ended a timer's wait (a held run's
 * `decide`) fails as nondeterministic in SDK 1.24 (test/integration/semantics.test.ts found it), so a worker without
 * traces must not load them.
 *
 * `payloadConverterPath`: src/workflows/payload-converter.ts, so that a run's own input, update or signal whose payload
 * does not convert is refused by the gate instead of failing every workflow task.
 *
 * `webpackConfigHook`: the bundle's source maps name files relative to the project (`src/workflows/...`), not by
 * the SDK's absolute path, so the stack traces of workflow failures (in history and the Web UI) carry no path of
 * the machine that ran the worker.
 * @module
 */
import path from 'node:path';
import type { BundleOptions } from '@temporalio/worker';
import { WORKFLOW_TRACING_MODULE } from './tracing';
import { PAYLOAD_CONVERTER_PATH } from './workflows/payload-converter';

/** The project root, from src/ (ts-node) and lib/ (compiled) alike. */
const PROJECT_ROOT = path.resolve(__dirname, '..');

/** A module's file relative to the project; webpack's ids of ignored modules embed the absolute path in a string. */
function relativeToProject(file: string): string {
  return path.isAbsolute(file) ? path.relative(PROJECT_ROOT, file) : file.replaceAll(`${PROJECT_ROOT}${path.sep}`, '');
}

/**
 * The modules of src/shared evaluated once per worker thread (see the module comment): pure, constants only, never
 * changed by a run. A module with state of its own must not be listed: every run would share it.
 */
export const PRELOADED_SHARED_MODULES = [
  'zod-kit',
  'failures',
  'nse-types',
  'job-states',
  'nse-paths',
  'entry-gate',
  'operations',
  'object-types',
  'undo-plan',
  'workflow-api',
  'pause',
  'metric-names',
  'validation',
  'bulk',
  'plans',
  'sweep',
  'entries',
] as const;

/** Sandbox set-up that must run before the SDK freezes the sandbox's globals: the stack-trace depth. */
export const SANDBOX_SETUP_MODULE = require.resolve('./workflows/stack-depth');

/** Options for `bundleWorkflowCode` besides `workflowsPath` and `logger`. */
export const workflowBundlerOptions: Pick<
  BundleOptions,
  'preloadModules' | 'webpackConfigHook' | 'payloadConverterPath'
> = {
  // A run's own entry that does not convert reaches the gate (see the module); the worker's data converter names it too.
  payloadConverterPath: PAYLOAD_CONVERTER_PATH,
  // zod's packages declare no side effects, so naming `zod/mini` here would be tree-shaken to nothing.
  preloadModules: [
    SANDBOX_SETUP_MODULE,
    ...PRELOADED_SHARED_MODULES.map((name) => require.resolve(`./shared/${name}`)),
  ],
  webpackConfigHook: (config) => ({
    ...config,
    output: {
      ...config.output,
      devtoolModuleFilenameTemplate: (info: { absoluteResourcePath: string }) =>
        relativeToProject(info.absoluteResourcePath),
    },
  }),
};

/** The options of a worker with traces on: OpenTelemetry's workflow interceptors too (spans leave by a sink). */
export function tracedBundlerOptions(): Pick<
  BundleOptions,
  'preloadModules' | 'webpackConfigHook' | 'payloadConverterPath' | 'workflowInterceptorModules'
> {
  return { ...workflowBundlerOptions, workflowInterceptorModules: [WORKFLOW_TRACING_MODULE] };
}
