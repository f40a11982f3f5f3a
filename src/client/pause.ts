/**
 * `pause` and `resume` of NSE calls, for one tenant or all, on one task queue's fleet: the control workflow's updates
 * (update-with-start, so the first pause starts it). The control workflow wakes the runs that wait itself.
 * @module
 */
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import {
  controlWorkflowId,
  NOTHING_PAUSED,
  pauseUpdate,
  resumeUpdate,
  type PausedScopes,
  type PauseScope,
} from '../shared/pause';
import type { nseFlowControlWorkflow } from '../workflows/control';

/** What `resume` did: the scopes still paused, and how many waiting runs it woke. */
export interface ResumeOutcome {
  paused: PausedScopes;
  signalled: number;
}

function controlStart(taskQueue: string): WithStartWorkflowOperation<typeof nseFlowControlWorkflow> {
  return new WithStartWorkflowOperation<typeof nseFlowControlWorkflow>('nseFlowControlWorkflow', {
    workflowId: controlWorkflowId(taskQueue),
    taskQueue,
    args: [NOTHING_PAUSED],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

/** Pauses new NSE calls of `scope` on `taskQueue`'s fleet; answers the scopes now paused. */
export async function pauseNseCalls(temporal: Client, taskQueue: string, scope: PauseScope): Promise<PausedScopes> {
  return await temporal.workflow.executeUpdateWithStart(pauseUpdate, {
    args: [scope],
    startWorkflowOperation: controlStart(taskQueue),
  });
}

/**
 * Resumes `scope`; the control workflow then signals the runs of the scope that show `paused`, so they call NSE again
 * at once (through the NSE task queue, within the budget). A run the search does not list yet tries again on its own
 * re-check timer.
 */
export async function resumeNseCalls(temporal: Client, taskQueue: string, scope: PauseScope): Promise<ResumeOutcome> {
  const { woken, ...paused } = await temporal.workflow.executeUpdateWithStart(resumeUpdate, {
    args: [scope],
    startWorkflowOperation: controlStart(taskQueue),
  });
  return { paused, signalled: woken };
}
