/**
 * What callers can ask of a run while it goes on (docs/contract.md, Updates): `accepted` answers once NSE accepted the
 * call, `setPollPolicy` and `extendDeadline` change how a running operation waits. And what an invalid run shows:
 * the search attributes and details its input allows, so it looks the same whoever started it.
 * @module
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ApplicationFailure,
} from '@temporalio/workflow';
import { findOperation } from '../shared/operations';
import { assertWithinLimits, formatIssues, invalidInput, pollPolicySchema } from '../shared/validation';
import {
  acceptedUpdate,
  extendDeadlineUpdate,
  Phase,
  SearchAttributes,
  setPollPolicyUpdate,
  stepAcceptedSignal,
  type Acceptance,
  type OperationInput,
  type PollPolicy,
} from '../shared/workflow-api';
import { rootMessage } from '../shared/failures';
import { safeParse } from '../shared/zod-kit';
import { detailsTable } from './progress';
import type { OperationRun } from './run';

/** Longest a run may wait for its job in all, as `poll.timeoutMs` allows. */
const MAX_WAIT_MS = 365 * 86_400_000;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** What the `accepted` update waits on: the run's job id, or the end of a run that got none. */
export interface AcceptanceState {
  /** Set when the input is invalid: the update is refused with it (no NSE call was made). */
  invalid?: ApplicationFailure;
  /** The job NSE accepted (set by the run, or when it ended without one). */
  jobId?: () => string | undefined;
  /** Set when the run ended: the failure it ended with, or `null` when it succeeded. */
  ended?: unknown;
  /** For a plan: its first step, once NSE accepted that step's call (or the step ended without a job). */
  step?: () => { id: string; workflowId: string } | undefined;
}

function acceptance(state: AcceptanceState): Acceptance {
  const info = workflowInfo();
  const nseJobId = state.jobId?.();
  const step = state.step?.();
  return {
    workflowId: info.workflowId,
    runId: info.firstExecutionRunId,
    ...(nseJobId ? { nseJobId } : {}),
    ...(step ? { step: step.id, stepWorkflowId: step.workflowId } : {}),
  };
}

/** Registers the `accepted` update; call it first, before the input is validated. */
export function handleAcceptance(state: AcceptanceState): void {
  setHandler(
    acceptedUpdate,
    async () => {
      const accepted = (): boolean => Boolean(state.jobId?.() ?? state.step?.());
      await condition(() => accepted() || state.ended !== undefined);
      if (!accepted() && state.ended) throw state.ended;
      return acceptance(state);
    },
    {
      validator: () => {
        if (state.invalid) throw state.invalid;
      },
    },
  );
}

/**
 * Ends the run's part in `accepted`: a caller still waiting gets the run's failure (or its synchronous success)
 * before the run closes. Waiting costs no history event; a cancelled run waits too.
 */
export async function settleAcceptance(state: AcceptanceState, failure: unknown): Promise<void> {
  state.ended = failure ?? null;
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
}

/**
 * A plan's step (input `signalParentWhenAccepted`) tells its plan that NSE accepted its call. Not awaited: the run
 * goes on reading its job; a plan that has ended meanwhile cannot take the signal, which changes nothing here.
 */
export function signalParentWhenAccepted(input: OperationInput, nseJobId: string): void {
  const { parent, workflowId } = workflowInfo();
  if (!input.signalParentWhenAccepted || !parent) return;
  getExternalWorkflowHandle(parent.workflowId, parent.runId)
    .signal(stepAcceptedSignal, { workflowId, nseJobId })
    .catch((err: unknown) => log.warn('the plan could not be told its step was accepted', { error: rootMessage(err) }));
}

/** Registers `setPollPolicy` and `extendDeadline` for a running operation. */
export function handleRunUpdates(run: OperationRun): void {
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

/**
 * An invalid run shows what its input allows: `NsePhase = failed`, the object type of a known operation (or `plan`)
 * and a tenant id that is well formed, with details naming the failure.
 */
export function publishInvalidRun(
  input: unknown,
  failure: ApplicationFailure,
  kind: 'operation' | 'plan' | 'bulk',
): void {
  const raw = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const spec = typeof raw.operation === 'string' ? findOperation(raw.operation) : undefined;
  const objectType = kind === 'operation' ? spec?.resource : kind;
  const tenantId = typeof raw.tenantId === 'string' && ID_PATTERN.test(raw.tenantId) ? raw.tenantId : undefined;
  upsertSearchAttributes([
    { key: SearchAttributes.NsePhase, value: Phase.Failed },
    ...(objectType ? [{ key: SearchAttributes.NseObjectType, value: objectType }] : []),
    ...(tenantId ? [{ key: SearchAttributes.NseTenantId, value: tenantId }] : []),
  ]);
  const title =
    kind === 'operation'
      ? `invalid input for ${spec?.name ?? 'an unknown operation'}`
      : `invalid ${kind === 'plan' ? 'provisioning plan' : 'bulk'}`;
  setCurrentDetails(
    detailsTable(title, [
      ['Phase', Phase.Failed],
      ['InvalidInput', failure.message],
    ]),
  );
}
