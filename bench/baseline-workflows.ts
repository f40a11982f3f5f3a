/**
 * Yardsticks bundled next to the real workflows (so they pay the same per-run module loading):
 * - `baselineWorkflow`, the cheapest useful workflow, one no-op activity (11 events, two workflow tasks); whatever
 *   rate of state transitions the server sustains for it is the server's limit;
 * - `baselineSleepWorkflow`, which only waits on a timer: what a cached run costs in memory with no state of its own;
 * - `acceptedFloorWorkflow`, which answers an update in its first workflow task: the least any `accepted` answer
 *   sent through Temporal can cost (update-with-start, one task, no activity).
 * @module
 */
import { condition, defineUpdate, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities';

const { benchNoop } = proxyActivities<BaselineActivities>({ startToCloseTimeout: '30 seconds' });

/** Runs one no-op activity and returns. */
export async function baselineWorkflow(): Promise<void> {
  await benchNoop();
}

/** Sleeps for an hour (the benchmark terminates it long before). */
export async function baselineSleepWorkflow(): Promise<void> {
  await sleep('1 hour');
}

/** Waits on one timer of `ms` and returns: how late the server fires a short timer. */
export async function baselineTimerWorkflow(ms: number): Promise<void> {
  await sleep(ms);
}

/** The floor's update: answered by the first workflow task, with no activity. */
export const floorAcceptedUpdate = defineUpdate<string>('floorAccepted');

/** Answers {@link floorAcceptedUpdate} at once, then ends. */
export async function acceptedFloorWorkflow(): Promise<void> {
  let answered = false;
  setHandler(floorAcceptedUpdate, () => {
    answered = true;
    return 'accepted';
  });
  await condition(() => answered);
}
