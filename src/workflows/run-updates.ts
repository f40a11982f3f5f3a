/**
 * What callers can change on a running operation (docs/contract.md, Updates): `setPollPolicy` and `extendDeadline`
 * change how it waits for its job, `decide` answers a run held after its job failed. Each validator refuses, with
 * `InvalidInput`, a change the run cannot take now.
 * @module
 */
import { MAX_WAIT_MS } from '../shared/entries';
import { invalidInput } from '../shared/failures';
import {
  decideUpdate,
  extendDeadlineUpdate,
  Phase,
  setPollPolicyUpdate,
  type PollPolicy,
} from '../shared/workflow-api';
import { onUpdate } from './entries';
import type { OperationRun } from './run';

/** Registers `decide`, `setPollPolicy` and `extendDeadline` for a running operation. */
export function handleRunUpdates(run: OperationRun): void {
  onUpdate(
    decideUpdate,
    (decision) => {
      run.decision = decision;
      return { decision };
    },
    () => checkDecision(run),
  );
  onUpdate(
    setPollPolicyUpdate,
    (change) => {
      run.policy = mergedPolicy(run, change);
      run.intervalMs = Math.min(Math.max(run.intervalMs, run.policy.initialIntervalMs), run.policy.maxIntervalMs);
      run.progress.changed();
      return run.policy;
    },
    (change) => void mergedPolicy(run, change),
  );
  onUpdate(
    extendDeadlineUpdate,
    ({ byMs }) => {
      run.deadline += byMs;
      run.progress.changed();
      return { deadline: new Date(run.deadline).toISOString() };
    },
    ({ byMs }) => {
      assertWaiting(run, 'extendDeadline');
      if (run.deadline + byMs - run.startedAt > MAX_WAIT_MS)
        throw invalidInput(`byMs: the wait would pass ${MAX_WAIT_MS} ms in all`);
    },
  );
}

/** The `decide` validator (the gate admitted a known decision): only while the run awaits one, only once. */
function checkDecision(run: OperationRun): void {
  if (run.phase !== Phase.AwaitingDecision || run.decision !== undefined)
    throw invalidInput(`decide: the run is ${run.phase}, not awaiting a decision`);
}

function assertWaiting(run: OperationRun, update: string): void {
  const waiting: Phase[] = [Phase.Validating, Phase.Submitting, Phase.Polling];
  if (!waiting.includes(run.phase))
    throw invalidInput(`${update}: the run is ${run.phase}, no longer waiting for its job`);
}

/** The policy after `change` (admitted by the gate); throws `InvalidInput` for one the running run cannot take. */
function mergedPolicy(run: OperationRun, change: Partial<PollPolicy>): PollPolicy {
  assertWaiting(run, 'setPollPolicy');
  const { mode, timeoutMs, ...rest } = change;
  if (mode !== undefined && mode !== run.policy.mode)
    throw invalidInput('poll.mode: a running run keeps its poll mode');
  if (timeoutMs !== undefined) throw invalidInput('poll.timeoutMs: use the extendDeadline update on a running run');
  const policy: PollPolicy = { ...run.policy, ...rest };
  if (policy.maxIntervalMs < policy.initialIntervalMs)
    throw invalidInput('poll.maxIntervalMs: must be at least initialIntervalMs');
  return policy;
}
