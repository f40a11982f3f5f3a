/**
 * The control workflow of a task queue (one per queue, id {@link controlWorkflowId}): keeps the paused scopes
 * durably. `pause` and `resume` are updates; the scopes are also kept in the memo, where NSE activities read them with
 * `describe()` without asking a worker. Continues as new when the server suggests it, carrying the scopes.
 * @module
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import {
  changeScopes,
  NOTHING_PAUSED,
  PAUSED_MEMO,
  pauseUpdate,
  resumeUpdate,
  type PausedScopes,
  type PauseScope,
} from '../shared/pause';
import { invalidInput } from '../shared/validation';

/** Runs until the server suggests continuing as new; `scopes` are what the previous run left paused. */
export async function nseFlowControlWorkflow(scopes: PausedScopes = NOTHING_PAUSED): Promise<void> {
  let current = scopes;
  const change = (scope: PauseScope, paused: boolean): PausedScopes => {
    current = changeScopes(current, scope, paused);
    upsertMemo({ [PAUSED_MEMO]: current });
    return current;
  };
  const validator = (scope: PauseScope): void => {
    const tenantId: unknown = scope?.tenantId;
    if (tenantId !== undefined && (typeof tenantId !== 'string' || tenantId.length === 0 || tenantId.length > 256))
      throw invalidInput('tenantId must be a non-empty string of at most 256 characters');
  };
  setHandler(pauseUpdate, (scope) => change(scope, true), { validator });
  setHandler(resumeUpdate, (scope) => change(scope, false), { validator });
  upsertMemo({ [PAUSED_MEMO]: current });
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof nseFlowControlWorkflow>(current);
}
