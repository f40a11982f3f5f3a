/**
 * Recorded histories are the compatibility contract: a DeterminismViolationError here means a change would break
 * runs already in flight. `npm run record-histories` records the current shape at the top of `histories/`; when a
 * deliberate change (behind `patched()`) alters the shape, the earlier recordings move to a subfolder named after
 * the patch and keep replaying, until the patch is removed.
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
