/**
 * The workflow bundle preloads src/shared/zod-kit.ts and the pure modules of src/shared (src/bundler-options.ts): they
 * are then evaluated once per worker thread and deep-frozen, instead of once per run. The bundle must really contain the preload (zod's
 * packages declare no side effects, so a preload webpack can drop would silently do nothing), and runs on it must
 * validate and replay exactly as before: every recorded history replays on the SDK's own reusable V8 context. The
 * bundle under test is built as `npm run build` writes it (tools/bundle-workflows.ts), which the Docker image runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, Worker } from '@temporalio/worker';
import { PRELOADED_SHARED_MODULES, workflowBundlerOptions } from '../../src/bundler-options';
import { workflowSource } from '../../src/worker';
import { HISTORY_DIR } from '../helpers/scenario';

const ignore = (): void => undefined;
const quiet = { log: ignore, trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };
const histories = readdirSync(HISTORY_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));

let bundle: { code: string };
beforeAll(() => {
  Runtime.install({ logger: quiet });
  // Jest's global setup (test/helpers/global-setup.ts) built it with bundleWorkflows' defaults, as `npm run build` does.
  const file = process.env.TEMPORAL_TEST_BUNDLE;
  if (!file) throw new Error('TEMPORAL_TEST_BUNDLE is not set: run the tests through jest (global-setup.ts)');
  bundle = { code: readFileSync(file, 'utf8') };
});

it('the built bundle preloads the zod kit and the pure shared modules, and the worker bundles the sources with the same options', () => {
  const preload = /function preloadModules\(\) \{([\s\S]*?)\n\}/.exec(bundle.code)?.[1] ?? '';
  for (const name of PRELOADED_SHARED_MODULES) expect(preload).toContain(`src/shared/${name}.ts`);
  expect(preload).toContain('src/workflows/stack-depth.ts'); // before the SDK freezes the sandbox's `Error`
  expect(workflowSource(undefined)).toMatchObject({ bundlerOptions: workflowBundlerOptions });
});

it('names source files relative to the project, so workflow stack traces carry no machine path', () => {
  const inlineMap = /\/\/# sourceMappingURL=data:application\/json;[^,]*base64,(\S+)\s*$/.exec(bundle.code)?.[1];
  expect(inlineMap).toBeDefined();
  const { sources } = JSON.parse(Buffer.from(inlineMap ?? '', 'base64').toString('utf8')) as { sources: string[] };
  expect(sources).toEqual(expect.arrayContaining(['src/workflows/index.ts']));
  expect(sources.filter((source) => path.isAbsolute(source) || source.includes(process.cwd()))).toEqual([]);
});

it.each(histories)('a preloaded bundle replays %s', async (file) => {
  const { workflowId, ...history } = JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as {
    workflowId: string;
  };
  await Worker.runReplayHistory({ workflowBundle: { code: bundle.code } }, history, workflowId);
});
