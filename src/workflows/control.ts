/**
 * The control workflow of a task queue (one per queue, id {@link controlWorkflowId}): keeps the paused scopes
 * durably. `pause` and `resume` are updates; the scopes are also kept in the memo, where each worker reads them with
 * `describe()` at most every {@link PAUSE_VIEW_MAX_AGE_MS} (src/activities/pause-check.ts). So `pause` answers only
 * once that long has passed since the change (every view a worker still uses was read after it), and `resume` wakes
 * the runs that wait (an activity signals them), whoever sent it. Continues as new when the server suggests it.
 * @module
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  sleep,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { ControlActivities } from '../activities';
import { parsePausedScopes } from '../shared/entries';
import {
  changeScopes,
  PAUSE_VIEW_MAX_AGE_MS,
  PAUSED_MEMO,
  pauseUpdate,
  resumeUpdate,
  type PausedScopes,
  type PauseScope,
  type ResumeAnswer,
} from '../shared/pause';
import { onUpdate } from './entries';

const { wakePausedRuns } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
  summary: 'wake the runs that wait for resume',
});

/** Signals the runs a resume released; a run it misses calls again on its own re-check timer. */
async function wakeRuns(scope: PauseScope): Promise<number> {
  try {
    return await wakePausedRuns({ taskQueue: workflowInfo().taskQueue, tenantId: scope.tenantId });
  } catch (err) {
    log.warn('could not wake the paused runs; they call again on their re-check timer', { error: String(err) });
    return 0;
  }
}

/**
 * Runs until the server suggests continuing as new; `scopes` are what the previous run left paused (none when
 * absent). Scopes the gate refuses end the run with `InvalidInput`.
 */
export async function nseFlowControlWorkflow(scopes?: PausedScopes): Promise<void> {
  let current = parsePausedScopes(scopes);
  const change = (scope: PauseScope, paused: boolean): PausedScopes => {
    current = changeScopes(current, scope, paused);
    upsertMemo({ [PAUSED_MEMO]: current });
    return current;
  };
  const pause = async (scope: PauseScope): Promise<PausedScopes> => {
    const paused = change(scope, true);
    await sleep(PAUSE_VIEW_MAX_AGE_MS + 1_000); // a second more for the server's timer granularity
    return paused;
  };
  const resume = async (scope: PauseScope): Promise<ResumeAnswer> => {
    const paused = change(scope, false);
    return { ...paused, woken: await wakeRuns(scope) };
  };
  onUpdate(pauseUpdate, pause);
  onUpdate(resumeUpdate, resume);
  upsertMemo({ [PAUSED_MEMO]: current });
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof nseFlowControlWorkflow>(current);
}
