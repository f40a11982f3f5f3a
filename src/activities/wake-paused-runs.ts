/**
 * The control workflow's one activity: after `resume`, signal the runs of the scope that show `paused`, so they call
 * NSE again at once (through the NSE task queue, within the budget) instead of on their re-check timer. It lives here,
 * not in the client, so that any caller's `resume` update (the CLI, the client library, another language's SDK, the
 * `temporal` CLI) wakes them in one call.
 * @module
 */
import { Context, heartbeat } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { resumeSignal } from '../shared/pause';
import { Phase } from '../shared/workflow-api';
import type { WakePausedRunsInput } from './types';

/** A visibility query string literal. */
function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Signals every running run of `taskQueue` (and `tenantId`) that shows `paused`; answers how many it reached. */
export async function wakePausedRuns({ taskQueue, tenantId }: WakePausedRunsInput): Promise<number> {
  const temporal = Context.current().client;
  const query = [
    `TaskQueue = ${quote(taskQueue)}`,
    `ExecutionStatus = 'Running'`,
    `NsePhase = ${quote(Phase.Paused)}`,
    ...(tenantId === undefined ? [] : [`NseTenantId = ${quote(tenantId)}`]),
  ].join(' AND ');
  let signalled = 0;
  for await (const run of temporal.workflow.list({ query })) {
    try {
      await temporal.workflow.getHandle(run.workflowId, run.runId).signal(resumeSignal);
      signalled++;
      heartbeat(signalled);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // ended since it was listed
    }
  }
  return signalled;
}
