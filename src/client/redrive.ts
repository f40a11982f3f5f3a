/**
 * Redrive: the input of a new run of a failed bulk or plan, or of a bulk that completed with failed items, that reuses
 * what the earlier run left done and reruns the rest. Reads the earlier run's first input from its history (through
 * the client's data converter, so encrypted payloads work) and its outcomes from its failure details or its result.
 * @module
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { decodeArrayFromPayloads } from '@temporalio/common/lib/internal-non-workflow';
import type { BulkInput, BulkResult, ItemOutcome } from '../shared/bulk';
import type { ProvisionPlan } from '../shared/plans';
import type { StepReport } from '../shared/workflow-api';

/** The run a redrive reruns. */
interface RedriveSource {
  workflowId: string;
  /** The run that failed or completed (the last one, after continue-as-new). */
  runId: string;
  type: 'bulkWorkflow' | 'provisionWorkflow';
}

/**
 * A redrive was asked of a run that cannot be redriven: still open, a plan that succeeded, a bulk that completed with
 * no failed item, or neither a bulk nor a plan.
 */
export class NotRedrivableError extends Error {
  override name = 'NotRedrivableError';
}

/**
 * The run's type, last run id, first input and outcomes (a failure's details, or a completed bulk's result); throws
 * {@link NotRedrivableError} when it has nothing to redrive.
 */
export async function readRedrivableRun(
  temporal: Client,
  workflowId: string,
): Promise<{ source: RedriveSource; firstInput: unknown; details: unknown }> {
  const handle = temporal.workflow.getHandle(workflowId);
  const description = await handle.describe();
  if (description.type !== 'bulkWorkflow' && description.type !== 'provisionWorkflow')
    throw new NotRedrivableError(`${workflowId} is a ${description.type}: only bulks and plans can be redriven`);
  const status = description.status.name;
  const completedBulk = status === 'COMPLETED' && description.type === 'bulkWorkflow';
  if (status !== 'FAILED' && !completedBulk)
    throw new NotRedrivableError(
      `${workflowId} is ${status}: only a failed run, or a bulk that completed with failed items, can be redriven`,
    );
  let details: unknown;
  if (completedBulk) {
    details = await handle.result();
    const failed = (details as BulkResult | undefined)?.failed ?? 0;
    if (failed === 0)
      throw new NotRedrivableError(`${workflowId} completed with every item done: there is nothing to redrive`);
  } else {
    try {
      await handle.result();
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
    }
  }
  const firstRunId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
  const history = await temporal.workflow.getHandle(workflowId, firstRunId).fetchHistory();
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  const [firstInput] = await decodeArrayFromPayloads(
    temporal.workflow.options.loadedDataConverter,
    started?.input?.payloads,
  );
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
