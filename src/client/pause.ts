/**
 * `pause` and `resume` of NSE calls, for one tenant or all, on one task queue's fleet: the control workflow's updates
 * (update-with-start, so the first pause starts it), and the `resume` signal to the runs that wait.
 * @module
 */
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  controlWorkflowId,
  NOTHING_PAUSED,
  pauseUpdate,
  resumeSignal,
  resumeUpdate,
  type PausedScopes,
  type PauseScope,
} from '../shared/pause';
import { Phase } from '../shared/workflow-api';
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

/** A visibility query string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * Resumes `scope`, then signals the runs of the scope that show `paused`, so they call NSE again at once (through the
 * NSE task queue, within the budget). A run the search does not list yet tries again on its own re-check timer.
 */
export async function resumeNseCalls(temporal: Client, taskQueue: string, scope: PauseScope): Promise<ResumeOutcome> {
  const paused = await temporal.workflow.executeUpdateWithStart(resumeUpdate, {
    args: [scope],
    startWorkflowOperation: controlStart(taskQueue),
  });
  const query = [
    `TaskQueue = ${quote(taskQueue)}`,
    `ExecutionStatus = 'Running'`,
    `NsePhase = ${quote(Phase.Paused)}`,
    ...(scope.tenantId === undefined ? [] : [`NseTenantId = ${quote(scope.tenantId)}`]),
  ].join(' AND ');
  let signalled = 0;
  for await (const run of temporal.workflow.list({ query })) {
    try {
      await temporal.workflow.getHandle(run.workflowId, run.runId).signal(resumeSignal);
      signalled++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // ended since it was listed
    }
  }
  return { paused, signalled };
}
