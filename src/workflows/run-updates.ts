/**
 * What callers can change on a running operation (docs/contract.md, Updates): `setPollPolicy` and `extendDeadline`
 * change how it waits for its job, `decide` answers a run held after its job failed. Each validator refuses, with
 * `InvalidInput`, a change the run cannot take now.
 * @module
 */
import { setHandler } from '@temporalio/workflow';
import { invalidInput } from '../shared/failures';
import { assertWithinLimits, formatIssues, pollPolicySchema } from '../shared/validation';
import {
  decideUpdate,
  extendDeadlineUpdate,
  Phase,
  setPollPolicyUpdate,
  type Decision,
  type PollPolicy,
} from '../shared/workflow-api';
import { safeParse } from '../shared/zod-kit';
import type { OperationRun } from './run';

/** Longest a run may wait for its job in all, as `poll.timeoutMs` allows. */
const MAX_WAIT_MS = 365 * 86_400_000;

/** Registers `decide`, `setPollPolicy` and `extendDeadline` for a running operation. */
export function handleRunUpdates(run: OperationRun): void {
  setHandler(
    decideUpdate,
    (decision) => {
      run.decision = decision;
      return { decision };
    },
    { validator: (decision) => checkDecision(run, decision) },
  );
  setHandler(
    setPollPolicyUpdate,
    (change) => {
      run.policy = mergedPolicy(run, change);
      run.intervalMs = Math.min(Math.max(run.intervalMs, run.policy.initialIntervalMs), run.policy.maxIntervalMs);
      run.progress.changed();
      return run.policy;
    },
    { validator: (change) => void mergedPolicy(run, change) },
  );
  setHandler(
    extendDeadlineUpdate,
    ({ byMs }) => {
      run.deadline += byMs;
      run.progress.changed();
      return { deadline: new Date(run.deadline).toISOString() };
    },
    {
      validator: (extension) => {
        assertWaiting(run, 'extendDeadline');
        assertWithinLimits(extension, 'extendDeadline');
        const byMs = (extension as { byMs?: unknown } | undefined)?.byMs;
        if (typeof byMs !== 'number' || !Number.isInteger(byMs) || byMs < 1)
          throw invalidInput('byMs: must be a whole number of milliseconds, at least 1');
        if (run.deadline + byMs - run.startedAt > MAX_WAIT_MS)
          throw invalidInput(`byMs: the wait would pass ${MAX_WAIT_MS} ms in all`);
      },
    },
  );
}

/** The `decide` validator: only a known decision, only while the run awaits one, only once. */
function checkDecision(run: OperationRun, decision: Decision): void {
  assertWithinLimits(decision, 'decision');
  if (decision !== 'compensate' && decision !== 'keep')
    throw invalidInput(`decision: must be 'compensate' or 'keep', not ${JSON.stringify(decision)}`);
  if (run.phase !== Phase.AwaitingDecision || run.decision !== undefined)
    throw invalidInput(`decide: the run is ${run.phase}, not awaiting a decision`);
}

function assertWaiting(run: OperationRun, update: string): void {
  const waiting: Phase[] = [Phase.Validating, Phase.Submitting, Phase.Polling];
  if (!waiting.includes(run.phase))
    throw invalidInput(`${update}: the run is ${run.phase}, no longer waiting for its job`);
}

/** The policy after `change`; throws `InvalidInput` for a change the running run cannot take. */
function mergedPolicy(run: OperationRun, change: unknown): PollPolicy {
  assertWaiting(run, 'setPollPolicy');
  assertWithinLimits(change, 'poll');
  const parsed = safeParse(pollPolicySchema(), change);
  if (!parsed.success) throw invalidInput(`setPollPolicy: ${formatIssues(parsed.error, 'poll')}`);
  const { mode, timeoutMs, ...rest } = parsed.data;
  if (mode !== undefined && mode !== run.policy.mode)
    throw invalidInput('poll.mode: a running run keeps its poll mode');
  if (timeoutMs !== undefined) throw invalidInput('poll.timeoutMs: use the extendDeadline update on a running run');
  const policy: PollPolicy = { ...run.policy, ...rest };
  if (policy.maxIntervalMs < policy.initialIntervalMs)
    throw invalidInput('poll.maxIntervalMs: must be at least initialIntervalMs');
  return policy;
}
