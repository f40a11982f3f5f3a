/**
 * Redrive: the input of a new run of a failed bulk or plan that reuses what the failed run left done and reruns the
 * rest. Reads the failed run's first input from its history (through the client's data converter, so encrypted
 * payloads work) and its outcomes from its failure details.
 * @module
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { BulkInput, BulkResult, ItemOutcome } from '../shared/bulk';
import type { ProvisionPlan } from '../shared/plans';
import type { StepReport } from '../shared/workflow-api';

/** The failed run a redrive reruns. */
export interface RedriveSource {
  workflowId: string;
  /** The run that failed (the last one, after continue-as-new). */
  runId: string;
  type: 'bulkWorkflow' | 'provisionWorkflow';
}

/** A redrive was asked of a run that cannot be redriven (still open, succeeded, or neither a bulk nor a plan). */
export class NotRedrivableError extends Error {
  override name = 'NotRedrivableError';
}

/** The failed run's type, last run id and first input; throws {@link NotRedrivableError} when it did not fail. */
export async function readFailedRun(
  temporal: Client,
  workflowId: string,
): Promise<{ source: RedriveSource; firstInput: unknown; details: unknown }> {
  const description = await temporal.workflow.getHandle(workflowId).describe();
  if (description.type !== 'bulkWorkflow' && description.type !== 'provisionWorkflow')
    throw new NotRedrivableError(`${workflowId} is a ${description.type}: only bulks and plans can be redriven`);
  if (description.status.name !== 'FAILED')
    throw new NotRedrivableError(`${workflowId} is ${description.status.name}: only a failed run can be redriven`);
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  const history = await temporal.workflow.getHandle(workflowId, firstRunId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const [firstInput] = await decodeArrayFromPayloads(
    temporal.workflow.options.loadedDataConverter,
    started?.input?.payloads,
  );
  let details: unknown;
  try {
    await temporal.workflow.getHandle(workflowId).result();
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  }
  return { source: { workflowId, runId: description.runId, type: description.type }, firstInput, details };
}

/**
 * A bulk that reruns every item not done: the first input's items (and those it reused itself) whose outcome is not
 * `done`, the done ones carried as `reused` outcomes.
 */
export function bulkRedriveInput(source: RedriveSource, first: BulkInput, result: BulkResult | undefined): BulkInput {
  const done = new Map<string, ItemOutcome>();
  for (const outcome of result?.items ?? []) if (outcome.outcome === 'done') done.set(outcome.key, outcome);
  const items = first.items
    .map((item, index) => ({ ...item, key: item.key ?? `item-${index + 1}` }))
    .filter((item) => !done.has(item.key));
  const finished = [...done.values()].map(({ key, objectId }): ItemOutcome => ({
    key,
    outcome: 'done',
    ...(objectId ? { objectId } : {}),
    reused: true,
  }));
  const { items: _items, finished: _finished, redriveOf: _redriveOf, ...rest } = first;
  return {
    ...rest,
    items,
    finished,
    total: items.length + finished.length,
    redriveOf: { workflowId: source.workflowId, runId: source.runId },
  };
}

/**
 * A plan that reruns every step not left done: a step still `done` in the failed run's report (nothing undid it)
 * is reused with its object and job; a step compensated (undone), failed, cancelled or not started runs again.
 */
export function planRedriveInput(
  source: RedriveSource,
  first: ProvisionPlan,
  report: { steps?: StepReport[] } | undefined,
): ProvisionPlan {
  const reused = Object.fromEntries(
    (report?.steps ?? [])
      .filter((step) => step.outcome === 'done')
      .map((step) => [
        step.id,
        { ...(step.objectId ? { objectId: step.objectId } : {}), ...(step.jobId ? { jobId: step.jobId } : {}) },
      ]),
  );
  const { reused: _reused, redriveOf: _redriveOf, ...rest } = first;
  return { ...rest, reused, redriveOf: { workflowId: source.workflowId, runId: source.runId } };
}
