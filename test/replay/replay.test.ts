/**
 * Recorded histories are the compatibility contract: a DeterminismViolationError here means a change would break
 * runs already in flight on the same build. `npm run record-histories` records the current shape in `histories/`.
 * The corpus is a fresh baseline recorded on 2026-12-07 (issue #23), before the first release: the patch stack and
 * its `before-*` recordings were retired then. From here a change of history shape ships as a new worker build
 * (Worker Deployment Versioning: a run finishes on the build that started it) and the corpus is re-recorded with it;
 * `patched()` is only for a run that must change mid-run, listed in src/workflows/patches.ts, and its older
 * recordings then stay in a subfolder named after the patch until the patch goes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Runtime, Worker } from '@temporalio/worker';
import { HISTORY_DIR } from '../helpers/scenario';

const files = readdirSync(HISTORY_DIR, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.json'));

beforeAll(() => {
  const ignore = (): void => undefined;
  Runtime.install({ logger: { log: ignore, trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore } });
});

it('has recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(8);
});

it.each(files)('current code replays %s', async (file) => {
  const { workflowId, ...history } = JSON.parse(readFileSync(path.join(HISTORY_DIR, file), 'utf8')) as {
    workflowId: string;
  };
  const workflowBundle = { codePath: process.env.TEMPORAL_TEST_BUNDLE as string };
  await Worker.runReplayHistory({ workflowBundle }, history, workflowId);
});
