/**
 * The workflow side of `nse-flow pause`: an NSE activity that finds its call paused fails with `NsePaused`; the run
 * shows `paused`, waits durably for the `resume` signal (or a re-check timer, so a missed signal cannot strand it)
 * and makes the call again. Resumed calls queue on the NSE task queue, so a resumed fleet stays within the budget.
 * Module state is per workflow run (the SDK gives each run its own module instances).
 * @module
 */
import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import type { NseActivities } from '../activities';
import { FailureType } from '../shared/failures';
import { PAUSE_RECHECK_MS, resumeSignal } from '../shared/pause';
import { onSignal } from './entries';

/** What the run shows while one of its calls is paused (`true`) and once it goes on (`false`). */
type PauseObserver = (paused: boolean) => void;

let resumeSignals = 0;
let observer: PauseObserver | undefined;

/** Installs the `resume` signal handler and what the run shows while paused; called once by a workflow. */
export function handlePauses(show: PauseObserver): void {
  observer = show;
  onSignal(resumeSignal, () => {
    resumeSignals++;
  });
}

/**
 * Makes `call`, and while NSE calls are paused for it, waits for `resume` (or the re-check) and makes it again: `call`
 * runs afresh each time, so options it computes (a deadline moved by the pause) are current.
 */
export async function unlessPaused<T>(call: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!isPausedFailure(err)) throw err;
      const seen = resumeSignals;
      observer?.(true);
      await condition(() => resumeSignals !== seen, PAUSE_RECHECK_MS);
      observer?.(false);
    }
  }
}

function isPausedFailure(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === FailureType.NsePaused
  );
}

/** The same activities, each waiting while paused. */
export function pausable(activities: NseActivities): NseActivities {
  return {
    submitOperation: async (request) => await unlessPaused(() => activities.submitOperation(request)),
    findSubmittedJob: async (request) => await unlessPaused(() => activities.findSubmittedJob(request)),
    getJob: async (request) => await unlessPaused(() => activities.getJob(request)),
    awaitJobChange: async (request) => await unlessPaused(() => activities.awaitJobChange(request)),
    readResource: async (path, keep) => await unlessPaused(() => activities.readResource(path, keep)),
    scrubTexts: activities.scrubTexts, // calls no NSE: never paused
  };
}
