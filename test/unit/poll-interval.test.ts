/**
 * The poll loop's intervals: the same backoff for the workflow's timers and the `activity` mode's retry delays.
 */
import { intervalAfter, jittered } from '../../src/shared/poll-interval';

const policy = { maxIntervalMs: 30_000, backoffCoefficient: 1.5, jitterRatio: 0.2 };

it('grows the interval by the backoff per wait, up to the cap', () => {
  expect(intervalAfter(1_000, 0, policy)).toBe(1_000);
  expect(intervalAfter(1_000, 1, policy)).toBe(1_500);
  expect(intervalAfter(1_000, 2, policy)).toBe(2_250);
  expect(intervalAfter(1_000, 100, policy)).toBe(30_000);
  expect(intervalAfter(1_000, 100_000, policy)).toBe(30_000); // past what a double holds
  expect(intervalAfter(1_000, 5, { ...policy, backoffCoefficient: 1 })).toBe(1_000);
});

it('spreads an interval by the jitter ratio, never below 1 ms', () => {
  expect(jittered(1_000, 0.2, 0)).toBe(800);
  expect(jittered(1_000, 0.2, 0.5)).toBe(1_000);
  expect(jittered(1_000, 0.2, 0.999_999)).toBe(1_200);
  expect(jittered(1_000, 0, 0.7)).toBe(1_000);
  expect(jittered(1, 1, 0)).toBe(1);
});
