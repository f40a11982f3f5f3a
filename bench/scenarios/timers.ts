/**
 * 3b. Timer lateness: runs that only wait on one timer of 20 ms, 200 ms or 1 s (`baselineTimerWorkflow`), started
 * together; from each history, the time from TimerStarted to TimerFired. The dev server fires user timers with about
 * 1 s of granularity; this shows whether a server on PostgreSQL does too.
 * @module
 */
import type { Bench } from '../harness';
import { eventMs, readRuns } from '../history';
import type { Profile } from '../profile';
import { percentile, spread } from '../stats';

export const TIMER_MS = [20, 200, 1000] as const;

export interface TimerLateness {
  timerMs: number;
  runs: number;
  /** TimerStarted → TimerFired, ms. */
  medianFiredAfterMs: number;
  p90FiredAfterMs: number;
  maxFiredAfterMs: number;
}

export async function measureTimers(bench: Bench, profile: Profile): Promise<TimerLateness[]> {
  const runs = profile.reaction.runsPerMode;
  const results: TimerLateness[] = [];
  for (const timerMs of TIMER_MS) {
    const ids = Array.from({ length: runs }, (_, i) => `bench-timer-${bench.runTag}-${timerMs}-${i}`);
    const outcomes = await bench.starter.run(
      ids.map((workflowId) => ({ workflowType: 'baselineTimerWorkflow', workflowId, args: [timerMs] })),
    );
    const failed = outcomes.filter((o) => o.failure);
    if (failed.length > 0) throw new Error(`timer scenario: ${failed.length} runs failed: ${failed[0]?.failure}`);
    const firedAfter = (await readRuns(bench.client, ids)).map((record) => {
      const started = record.events.find((e) => e.timerStartedEventAttributes);
      const fired = record.events.find((e) => e.timerFiredEventAttributes);
      if (!started || !fired) throw new Error(`timer scenario: ${record.workflowId} has no timer events`);
      return eventMs(fired) - eventMs(started);
    });
    results.push({
      timerMs,
      runs,
      medianFiredAfterMs: spread(firedAfter).median,
      p90FiredAfterMs: percentile(firedAfter, 90),
      maxFiredAfterMs: Math.max(...firedAfter),
    });
    bench.log(`  timer ${timerMs} ms: fired after ${spread(firedAfter).median.toFixed(0)} ms (median of ${runs})`);
  }
  return results;
}
