/**
 * Changes of history shape, by patch id. A run started before a change replays the earlier path: `patched(id)` is
 * false there. Remove an entry (and its old path) only once no run started before it can still be open.
 * @module
 */
export const Patches = {
  /** Search attributes are upserted once per workflow task (before waiting), not after every change. */
  OneUpsertPerTask: 'one-search-attribute-upsert-per-task',
  /** A job read answered 400/403/3xx (NseRejected) or 404 before the job was seen no longer ends the run. */
  ReadErrorsRetried: 'job-read-errors-never-end-the-run',
  /** Undo planned from the job's tasks (inline objects, partial updates and deletes), not from its object alone. */
  TaskLevelUndo: 'task-level-undo',
  /** A cancelled run whose clean-up failed or left objects ends FAILED (CancelCleanUpIncomplete), not CANCELLED. */
  CancelTellsTheTruth: 'cancel-tells-the-truth',
  /** An invalid run upserts `NsePhase = failed` and what its input tells of object type and tenant. */
  InvalidRunPublished: 'invalid-run-published',
  /** A plan's steps signal it once NSE accepted their call, so `accepted` answers before the first step ends. */
  PlanAccepted: 'plan-steps-signal-acceptance',
  /**
   * NSE activities run on the NSE task queue (the request budget) with a priority and the tenant as fairness key,
   * and a run whose input names no poll mode reads in `activity` mode (it was `local`, which bypasses the budget).
   */
  NseTaskQueue: 'nse-calls-on-budgeted-queue',
  /** An NSE call held by `nse-flow pause` (NsePaused) waits for `resume` (or a re-check timer) and is made again. */
  PauseWait: 'nse-calls-wait-while-paused',
  /** A bulk starts each item's run with the item's tenant as its fairness key (runs inherited the bulk's before). */
  BulkItemFairnessKey: 'bulk-item-fairness-key',
  /** A plan starts its undo runs at undo priority, so their NSE calls go first like a run's own undo. */
  PlanUndoFirst: 'plan-undo-calls-first',
  /** Time a run spent paused moves its wait's deadline (it counted against it before). */
  PauseExtendsDeadline: 'pause-extends-deadline',
} as const;
