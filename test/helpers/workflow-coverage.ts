/**
 * Coverage of the code that runs in the workflow sandbox (src/workflows and the shared modules it loads), counted by
 * `npm test` (jest --coverage) with the rest of src/. Global setup builds one more test bundle, whose modules of src/
 * are transformed and instrumented by Jest's own transformer (workflow-coverage-loader.js) and which carries the
 * interceptor test/workflows/coverage-interceptor.ts; the test workers of createTestWorker (test/helpers/temporal.ts)
 * run it and add what each activation counted to the test file's coverage, which Jest merges like any other.
 * Identical instrumentation is what makes the sum right: the same file instrumented twice (Jest's and another
 * instrumenter's) would have two statement maps that istanbul cannot merge.
 * @module
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProjectConfig } from 'jest';
import type { BundleOptions, InjectedSinks } from '@temporalio/worker';
import { workflowBundlerOptions } from '../../src/bundler-options';
import type { CoverageSinks, FileCounts } from '../workflows/coverage-interceptor';

const SRC = path.resolve(__dirname, '..', '..', 'src');
const LOADER = path.join(__dirname, 'workflow-coverage-loader.js');
const INTERCEPTOR = path.resolve(__dirname, '..', 'workflows', 'coverage-interceptor.ts');

/**
 * Modules the worker preloads are deep-frozen once loaded (src/bundler-options.ts): their counters could not move,
 * so they stay out of the instrumented bundle (Node-side tests still count them).
 */
const PRELOADED = new Set(workflowBundlerOptions.preloadModules ?? []);

/** A module of src/ that the coverage bundle instruments. */
function instrumented(file: string): boolean {
  return file.startsWith(`${SRC}${path.sep}`) && file.endsWith('.ts') && !PRELOADED.has(file);
}

/** istanbul's coverage of one file, as Jest keeps it in `globalThis.__coverage__`. */
interface FileCoverageData extends FileCounts {
  path: string;
  hash: string;
}

type WebpackConfig = ReturnType<NonNullable<BundleOptions['webpackConfigHook']>>;

/**
 * Bundler options of the coverage bundle for the Jest project `projectConfig`; `done` writes the files' initial
 * coverage to `templatesFile` once the bundle is built.
 */
export function coverageBundlerOptions(
  projectConfig: ProjectConfig,
  templatesFile: string,
): { bundlerOptions: Pick<BundleOptions, 'webpackConfigHook' | 'workflowInterceptorModules'>; done(): void } {
  const templatesDir = mkdtempSync(`${templatesFile}-`);
  const webpackConfigHook = (config: WebpackConfig): WebpackConfig => {
    const rules = (config.module?.rules ?? []).map((rule) =>
      // The SDK's swc rule for .ts files leaves src/ to the instrumenting loader.
      rule && typeof rule === 'object' && String(rule.test) === String(/\.ts$/)
        ? {
            ...rule,
            exclude: (file: string) => file.includes(`${path.sep}node_modules${path.sep}`) || instrumented(file),
          }
        : rule,
    );
    rules.push({ test: instrumented, use: { loader: LOADER, options: { projectConfig, templatesDir } } });
    return { ...config, module: { ...config.module, rules } };
  };
  return {
    bundlerOptions: { webpackConfigHook, workflowInterceptorModules: [INTERCEPTOR] },
    done() {
      const templates: Record<string, FileCoverageData> = {};
      for (const name of readdirSync(templatesDir)) {
        const data = JSON.parse(readFileSync(path.join(templatesDir, name), 'utf8')) as FileCoverageData;
        templates[data.path] = data;
      }
      writeFileSync(templatesFile, JSON.stringify(templates));
      rmSync(templatesDir, { recursive: true, force: true });
    },
  };
}

/**
 * The `coverage` sink of a worker running the coverage bundle: adds each activation's counts to this test file's
 * `globalThis.__coverage__` (a file no test loaded in Node starts from its initial coverage in `templatesFile`).
 */
export function workflowCoverageSinks(templatesFile: string): InjectedSinks<CoverageSinks> {
  let templates: Record<string, FileCoverageData> | undefined;
  const add = (counts: Record<string, FileCounts>): void => {
    templates ??= JSON.parse(readFileSync(templatesFile, 'utf8')) as Record<string, FileCoverageData>;
    const jest = globalThis as { __coverage__?: Record<string, FileCoverageData> };
    jest.__coverage__ ??= {};
    for (const [file, hits] of Object.entries(counts)) {
      const template = templates[file];
      if (!template) throw new Error(`workflow coverage: no initial coverage of ${file}`);
      const target = (jest.__coverage__[file] ??= structuredClone(template));
      // Another instrumentation of the file (not Jest's) would make these counts meaningless there.
      if (target.hash !== template.hash) throw new Error(`workflow coverage: ${file} was instrumented differently`);
      for (const [id, n] of Object.entries(hits.s)) target.s[id] = (target.s[id] ?? 0) + n;
      for (const [id, n] of Object.entries(hits.f)) target.f[id] = (target.f[id] ?? 0) + n;
      for (const [id, ns] of Object.entries(hits.b)) {
        const branch = (target.b[id] ??= ns.map(() => 0));
        ns.forEach((n, i) => (branch[i] = (branch[i] ?? 0) + n));
      }
    }
  };
  return { coverage: { add: { fn: (_info, counts) => add(counts), callDuringReplay: false } } };
}
