/**
 * The `accepted` update, for an operation and for a plan (docs/contract.md, Updates): it answers once NSE accepted
 * the call (a plan: its first step's call), or with the run's failure when it ended without a job. The input is
 * validated before the handler exists (registering it runs an update sent with the start at once); an invalid run
 * refuses the update and shows why. A plan learns that a step was accepted from the step's `stepAccepted` signal.
 * @module
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  log,
  workflowInfo,
  type ApplicationFailure,
} from '@temporalio/workflow';
import { rootMessage } from '../shared/failures';
import {
  acceptedUpdate,
  stepAcceptedSignal,
  type Acceptance,
  type OperationInput,
  type StepReport,
} from '../shared/workflow-api';
import { onSignal, onUpdate } from './entries';
import { publishInvalidRun } from './invalid-run';

/** What the `accepted` update waits on: the run's job id, or the end of a run that got none. */
interface AcceptanceState {
  /** Set when the input is invalid: the update is refused with it (no NSE call was made). */
  invalid?: ApplicationFailure;
  /** The job NSE accepted (set by the run, or when it ended without one). */
  jobId?: () => string | undefined;
  /** Set when the run ended: the failure it ended with, or `null` when it succeeded. */
  ended?: unknown;
  /** For a plan: its first step, once NSE accepted that step's call (or the step ended without a job). */
  step?: () => { id: string; workflowId: string } | undefined;
}

/**
 * Validates the run's input with `parse`, then registers `accepted`. An invalid input is shown on the run
 * (./invalid-run) and thrown: the run fails before any NSE call.
 */
export function acceptInput<T>(
  input: unknown,
  parse: (raw: unknown) => T,
  kind: 'operation' | 'plan',
): { valid: T; acceptance: AcceptanceState } {
  const acceptance: AcceptanceState = {};
  let valid: T | undefined;
  try {
    valid = parse(input);
  } catch (err) {
    acceptance.invalid = err as ApplicationFailure;
  }
  handleAcceptance(acceptance);
  if (acceptance.invalid) {
    publishInvalidRun(input, acceptance.invalid, kind);
    throw acceptance.invalid;
  }
  return { valid: valid as T, acceptance };
}

function handleAcceptance(state: AcceptanceState): void {
  onUpdate(
    acceptedUpdate,
    async () => {
      const accepted = (): boolean => Boolean(state.jobId?.() ?? state.step?.());
      await condition(() => accepted() || state.ended !== undefined);
      if (!accepted() && state.ended) throw state.ended;
      return acceptance(state);
    },
    () => {
      if (state.invalid) throw state.invalid;
    },
  );
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

/**
 * Runs the workflow's `body`, then ends its part in `accepted`: a caller still waiting gets the run's failure (or its
 * synchronous success) before the run closes. Waiting costs no history event; a cancelled run waits too.
 */
export async function settlingAcceptance<T>(state: AcceptanceState, body: () => Promise<T>): Promise<T> {
  let failure: unknown = null;
  try {
    return await body();
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    state.ended = failure ?? null;
    await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  }
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

/**
 * The plan's side: a running step's `stepAccepted` signal records its job; a signal for no running step is ignored,
 * and one the gate refuses never reaches here (anyone may signal).
 */
export function handleStepAccepted(steps: StepReport[], onAccepted: (report: StepReport) => void): void {
  onSignal(stepAcceptedSignal, (accepted) => {
    const report = steps.find((s) => s.workflowId !== undefined && s.workflowId === accepted.workflowId);
    if (!report || report.outcome !== 'running') return;
    report.jobId = accepted.nseJobId;
    onAccepted(report);
  });
}
