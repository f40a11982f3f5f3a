/**
 * Bulk provisioning: one child `nseOperationWorkflow` per item (`<bulk id>/<key>`), at most `maxConcurrency` in
 * flight, stopping once more than `toleratedFailurePercent` of all items failed; both limits change on a running bulk
 * through the `setBulkLimits` update. After `itemsPerRun` children (or when the server suggests it) the run stops
 * starting items, lets those in flight finish and continues as new with the items left and the outcomes so far, so
 * no child outlives the run that started it and history stays bounded. Cancelling cancels every child in flight
 * (each undoes its own job) and reports each item.
 * @module
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  workflowInfo,
  type ApplicationFailure,
} from '@temporalio/workflow';
import {
  bulkStatusQuery,
  parseBulk,
  setBulkLimitsUpdate,
  itemMessage,
  toleranceExceeded,
  type BulkInput,
  type BulkLimits,
  type BulkResult,
  type BulkStatus,
  type ItemOutcome,
  type ValidBulk,
} from '../shared/bulk';
import { isWellFormed } from '../shared/entry-gate';
import { failure, FailureType, invalidInput, rootMessage } from '../shared/failures';
import { describeOperation, findOperation } from '../shared/operations';
import { nseFairnessKey, Phase } from '../shared/workflow-api';
import { onQuery, onUpdate } from './entries';
import { nseOperationWorkflow } from './operation';
import { publishInvalidRun } from './invalid-run';
import { detailsTable, progressPublisher, type ProgressView } from './progress';

/** Runs every item of a bulk; see the module comment. */
export async function bulkWorkflow(input: BulkInput): Promise<BulkResult> {
  let bulk: ValidBulk;
  try {
    bulk = parseBulk(input, { itemsChecked: workflowInfo().continuedFromExecutionRunId !== undefined });
  } catch (err) {
    publishInvalidRun(input, err as ApplicationFailure, 'bulk');
    throw err;
  }
  const state = new BulkRun(bulk);
  onQuery(bulkStatusQuery, () => state.status());
  onUpdate(
    setBulkLimitsUpdate,
    (change) => {
      state.limits = { ...state.limits, ...change };
      state.publish();
      return state.limits;
    },
    () => {
      if (state.phase !== Phase.Submitting)
        throw invalidInput(`setBulkLimits: the bulk is ${state.phase}, no longer starting items`);
    },
  );
  state.publish();
  let cancelled = false;
  try {
    await state.runItems();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }
  // Children in flight finish first: those of a cancelled bulk undo their jobs, and none outlives this run.
  await CancellationScope.nonCancellable(() => state.waitUntil(() => state.running.size === 0));
  // A cancel that came while the run only waited for its last items cancelled them without interrupting it.
  cancelled ||= CancellationScope.current().consideredCancelled;
  if (!cancelled && state.next < bulk.items.length && !state.stopped()) {
    await condition(allHandlersFinished);
    state.publish();
    return await continueAsNew<typeof bulkWorkflow>(state.carryOn());
  }
  return state.finish(cancelled);
}

/**
 * An item's object id as its outcome keeps it: NSE's id, when it fits the outcome schema (64 characters of
 * well-formed text), so that the outcomes a continued run carries always pass the gate again.
 */
function reportedObjectId(objectId: string | undefined): { objectId?: string } {
  return objectId && objectId.length <= 64 && isWellFormed(objectId) ? { objectId } : {};
}

/** The state of one run of a bulk. */
class BulkRun {
  limits: BulkLimits;
  phase: Phase = Phase.Submitting;
  next = 0;
  readonly running = new Map<string, number>();
  private readonly outcomes: ItemOutcome[];
  private done: number;
  private failed: number;
  private startedThisRun = 0;
  private readonly progress = progressPublisher(() => this.view());

  constructor(private readonly bulk: ValidBulk) {
    this.limits = bulk.limits;
    this.outcomes = [...(bulk.input.finished ?? [])];
    this.done = this.outcomes.filter((o) => o.outcome === 'done').length;
    this.failed = this.outcomes.filter((o) => o.outcome === 'failed').length;
  }

  /** True once the failures passed the tolerance: no further item starts. */
  stopped(): boolean {
    return toleranceExceeded(this.failed, this.bulk.total, this.limits);
  }

  /** Starts items while the limits allow; returns when this run should start no more. Throws when cancelled. */
  async runItems(): Promise<void> {
    const { items, itemsPerRun } = this.bulk;
    while (this.next < items.length && !this.stopped()) {
      if (this.startedThisRun >= itemsPerRun || workflowInfo().continueAsNewSuggested) return;
      await this.waitUntil(() => this.running.size < this.limits.maxConcurrency || this.stopped());
      if (this.stopped()) return;
      this.start(this.next++);
    }
  }

  /** Publishes progress (one upsert) only when the run is about to wait, then waits. */
  async waitUntil(ready: () => boolean): Promise<void> {
    if (ready()) return;
    this.publish();
    await condition(ready);
  }

  private start(index: number): void {
    const { item, request } = this.bulk.items[index] as ValidBulk['items'][number];
    const spec = findOperation(request.operation);
    this.startedThisRun += 1;
    this.running.set(item.key, index);
    const child = executeChild(nseOperationWorkflow, {
      workflowId: `${workflowInfo().workflowId}/${item.key}`,
      args: [request],
      staticSummary:
        // The operation without its values: the item's run shows them, scrubbed by the worker (./scrub).
        `${this.bulk.input.name} / ${item.key}: ${spec ? describeOperation(spec, {}) : ''}`.slice(0, 200),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      // An item's tenant may not be the bulk's: its run takes turns as that tenant.
      priority: { fairnessKey: nseFairnessKey(request.tenantId) },
    });
    child.then(
      (result) => this.record({ key: item.key, outcome: 'done', ...reportedObjectId(result.objectId) }),
      (err: unknown) => {
        const message = itemMessage(rootMessage(err), this.outcomes.length - this.done);
        this.record({ key: item.key, outcome: isCancellation(err) ? 'cancelled' : 'failed', message });
      },
    );
  }

  private record(outcome: ItemOutcome): void {
    this.running.delete(outcome.key);
    this.outcomes.push(outcome);
    if (outcome.outcome === 'done') this.done += 1;
    if (outcome.outcome === 'failed') this.failed += 1;
    this.progress.changed();
  }

  /** The next run's input: the items not started, the outcomes so far. */
  carryOn(): BulkInput {
    const { finished: _finished, items: _items, ...input } = this.bulk.input;
    return {
      ...input,
      ...this.limits,
      items: this.bulk.items.slice(this.next).map(({ item }) => item),
      finished: this.outcomes,
      total: this.bulk.total,
    };
  }

  /** Ends the bulk: its result, or a failure whose details hold the same report. */
  finish(cancelled: boolean): BulkResult {
    const notStarted = this.bulk.items
      .slice(this.next)
      .map(({ item }): ItemOutcome => ({ key: item.key, outcome: 'not-started' }));
    const result: BulkResult = {
      bulk: this.bulk.input.name,
      total: this.bulk.total,
      done: this.done,
      failed: this.failed,
      items: [...this.outcomes, ...notStarted],
    };
    const succeeded = !cancelled && notStarted.length === 0 && !this.stopped();
    this.phase = succeeded ? Phase.Succeeded : cancelled ? Phase.Cancelled : Phase.Failed;
    this.publish();
    if (succeeded) return result;
    const counts = `${this.done} done, ${this.failed} failed, ${notStarted.length} not started of ${this.bulk.total}`;
    const why = cancelled
      ? 'cancelled'
      : `${this.failed} failed ${this.failed === 1 ? 'item is' : 'items are'} more than the tolerated ` +
        `${this.limits.toleratedFailurePercent}%`;
    throw failure(
      cancelled ? FailureType.BulkCancelled : FailureType.BulkFailed,
      `bulk ${this.bulk.input.name}: ${why} (${counts})`,
      result,
    );
  }

  status(): BulkStatus {
    const failures = this.outcomes
      .filter((o) => o.outcome === 'failed')
      .slice(-50)
      .reverse();
    return {
      bulk: this.bulk.input.name,
      phase: this.phase,
      total: this.bulk.total,
      done: this.done,
      failed: this.failed,
      running: this.running.size,
      pending: this.bulk.items.length - this.next,
      ...this.limits,
      failures,
    };
  }

  /** Upserts the search attributes that changed (one event) and refreshes the details. */
  publish(): void {
    this.progress.publish();
  }

  private view(): ProgressView {
    const status = this.status();
    const searchAttributes = {
      NsePhase: this.phase,
      NseItemsDone: this.done,
      NseItemsFailed: this.failed,
      NseItemsRunning: this.running.size,
    };
    return { searchAttributes, details: this.details(status) };
  }

  private details(status: BulkStatus): string {
    return detailsTable(`bulk ${status.bulk}`, [
      ['Phase', status.phase],
      ['Items', status.total],
      ['Done', status.done],
      ['Failed', status.failed],
      ['Running', status.running],
      ['Not started', status.pending],
      ['Max concurrency', status.maxConcurrency],
      ['Tolerated failures', `${status.toleratedFailurePercent}%`],
      ['Redrive of', this.bulk.input.redriveOf?.workflowId],
    ]);
  }
}
