/**
 * The check an NSE activity makes before it calls NSE: are all calls, or its tenant's (its fairness key), paused?
 * The scopes come from the control workflow's memo (`describe()`, answered by the server without a worker), read
 * afresh for each call: no cache, so once `pause` answered no new call starts, and once `resume` answered the next
 * attempt goes through. It costs one Temporal request per NSE call, which the NSE budget already bounds.
 * @module
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { FailureType } from '../shared/failures';
import { controlWorkflowId, isPaused, NOTHING_PAUSED, PAUSED_MEMO, type PausedScopes } from '../shared/pause';
import { workflowTaskQueueOf } from '../shared/workflow-api';

async function pausedScopes(taskQueue: string): Promise<PausedScopes> {
  try {
    const handle = Context.current().client.workflow.getHandle(controlWorkflowId(taskQueue));
    const { memo } = await handle.describe();
    return (memo?.[PAUSED_MEMO] as PausedScopes | undefined) ?? NOTHING_PAUSED;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return NOTHING_PAUSED; // never paused on this queue
    throw err;
  }
}

/**
 * Throws a non-retryable `NsePaused` failure when this activity's NSE call is paused; the workflow then waits for
 * `resume`. A local activity (a `local` mode read) is never paused: it bypasses the NSE task queue and its budget.
 */
export async function assertNotPaused(): Promise<void> {
  const { taskQueue, priority, isLocal } = Context.current().info;
  if (isLocal) return;
  const scopes = await pausedScopes(workflowTaskQueueOf(taskQueue));
  const fairnessKey = priority?.fairnessKey;
  if (!isPaused(scopes, fairnessKey)) return;
  const what = scopes.all ? 'all NSE calls are' : `NSE calls of tenant ${fairnessKey ?? ''} are`;
  throw ApplicationFailure.create({ type: FailureType.NsePaused, message: `${what} paused`, nonRetryable: true });
}
