/**
 * The sweep from the caller's side: one sweep now (started, then its report once it has read everything), the
 * `nse-flow-sweep` Schedule (created, or updated when it exists), and the undo of one reported object through the
 * open sweep that reported it.
 * @module
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowUpdateFailedError,
  type Client,
  type ScheduleDescription,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { parseSweepInput } from '../shared/entries';
import {
  DEFAULT_SWEEP_WINDOW_MS,
  MAX_SWEEP_HOLD_MS,
  MAX_SWEEP_WINDOW_MS,
  SWEEP_SCHEDULE_ID,
  sweepFindingsUpdate,
  sweepStatusQuery,
  undoSweptObjectUpdate,
  type SweepInput,
  type SweepReport,
} from '../shared/sweep';

/** No open sweep reported the object asked to undo (or none is open). */
export class NotSweptError extends Error {
  override name = 'NotSweptError';
}

/** A sweep's report with the run that made it. */
export interface SweepRun {
  workflowId: string;
  report: SweepReport;
}

/** A one-off sweep's id: when it started, and a random part. */
export function newSweepId(): string {
  return `nse-flow-sweep-${new Date().toISOString().replace(/[:.]/g, '-')}-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Starts sweep `workflowId` on `taskQueue` and answers its report once it has read everything; throws the sweep's
 * failure (`WorkflowFailedError`) when it ended before it reported.
 */
export async function sweepNow(
  temporal: Client,
  taskQueue: string,
  workflowId: string,
  input: SweepInput,
): Promise<SweepRun> {
  parseSweepInput(input); // a bad input is refused here, as the sweep would, before anything starts
  const handle = await temporal.workflow.start('nseSweepWorkflow', {
    taskQueue,
    workflowId,
    args: [input],
    staticSummary: `sweep of ${input.tenantIds?.join(', ') ?? "every tenant of the worker's NSE user"}`,
  });
  try {
    return { workflowId, report: await handle.executeUpdate(sweepFindingsUpdate) };
  } catch (err) {
    // The sweep ended before it reported: its failure says why (a bad input, NSE refusing the worker).
    if ((await handle.describe()).status.name !== 'RUNNING') await handle.result();
    throw err;
  }
}

/**
 * Creates the `nse-flow-sweep` Schedule, a sweep every `everyMs` (each open for undos until the next starts, which
 * cancels it, and at most {@link MAX_SWEEP_HOLD_MS}; without `windowMs` each reads back at least `everyMs`), or
 * updates its interval and input when it exists. Answers what
 * the server then holds. A bad input is refused (`InvalidInput`) before the Schedule is touched.
 */
export async function scheduleSweep(
  temporal: Client,
  taskQueue: string,
  everyMs: number,
  input: SweepInput,
): Promise<{ created: boolean; description: ScheduleDescription }> {
  // Without a window, each sweep reads at least back to the one before it.
  const windowMs = input.windowMs ?? Math.min(Math.max(everyMs, DEFAULT_SWEEP_WINDOW_MS), MAX_SWEEP_WINDOW_MS);
  const args = [{ ...input, windowMs, holdMs: Math.min(everyMs, MAX_SWEEP_HOLD_MS) }];
  parseSweepInput(args[0]);
  const spec = { intervals: [{ every: everyMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'nseSweepWorkflow',
    taskQueue,
    workflowId: SWEEP_SCHEDULE_ID,
    args,
  };
  let created = true;
  try {
    await temporal.schedule.create({
      scheduleId: SWEEP_SCHEDULE_ID,
      spec,
      action,
      // The next sweep ends the last one's hold (it returns its report); the two never overlap.
      policies: { overlap: ScheduleOverlapPolicy.CANCEL_OTHER },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    created = false;
    await temporal.schedule.getHandle(SWEEP_SCHEDULE_ID).update((previous) => ({ ...previous, spec, action }));
  }
  return { created, description: await temporal.schedule.getHandle(SWEEP_SCHEDULE_ID).describe() };
}

/**
 * Starts the undo of `objectId` through the newest open sweep that reported it (asked by its `sweepReport` query);
 * answers that sweep and the undo run. Throws {@link NotSweptError} when no open sweep reported it, or why the sweep
 * refused (the object cannot be undone by nse-flow, the sweep is closing...).
 */
export async function undoSweptObject(
  temporal: Client,
  objectId: string,
): Promise<{ sweepId: string; undo: { workflowId: string; runId: string } }> {
  const query = "WorkflowType = 'nseSweepWorkflow' AND ExecutionStatus = 'Running'";
  for await (const sweep of temporal.workflow.list({ query })) {
    const handle = temporal.workflow.getHandle(sweep.workflowId, sweep.runId);
    const report = await handle.query(sweepStatusQuery).catch(() => undefined); // a sweep too new to answer
    if (!report?.findings.some((finding) => finding.objectId === objectId)) continue;
    try {
      return {
        sweepId: sweep.workflowId,
        undo: await handle.executeUpdate(undoSweptObjectUpdate, { args: [objectId] }),
      };
    } catch (err) {
      const reason = err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause;
      if (reason) throw new NotSweptError(`${sweep.workflowId} refused: ${reason.message}`);
      throw err;
    }
  }
  throw new NotSweptError(
    `no open sweep reported ${objectId}: run \`nse-flow sweep\` first, then undo what it reports`,
  );
}
