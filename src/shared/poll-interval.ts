/**
 * The poll loop's waits between reads: capped exponential backoff, then jitter. One definition for the workflow's
 * timers (`local`, `long-poll`) and the `activity` mode's retry delays, which the activity computes itself.
 * Pure and workflow-safe.
 * @module
 */

/** The longest job `updated` value an `activity` mode read compares (its input's bound). */
export const MAX_UPDATED_LENGTH = 1024;

/** How the interval between reads grows: the `PollPolicy` fields it depends on. */
export interface IntervalPolicy {
  maxIntervalMs: number;
  backoffCoefficient: number;
  jitterRatio: number;
}

/** The interval after `waits` more waits, starting from `intervalMs`: each wait multiplies it, up to the cap. */
export function intervalAfter(intervalMs: number, waits: number, policy: IntervalPolicy): number {
  const grown = intervalMs * Math.pow(policy.backoffCoefficient, Math.max(0, waits));
  return Math.min(Number.isFinite(grown) ? grown : policy.maxIntervalMs, policy.maxIntervalMs);
}

/**
 * `intervalMs` spread by ±`jitterRatio` with `random` (in [0, 1)), so many runs do not poll NSE in lockstep; at least
 * 1 ms. Workflow code passes its seeded `Math.random()` (replay draws the same numbers), an activity its own.
 */
export function jittered(intervalMs: number, jitterRatio: number, random: number): number {
  const spread = intervalMs * jitterRatio;
  return Math.max(1, Math.round(intervalMs - spread + random * 2 * spread));
}
