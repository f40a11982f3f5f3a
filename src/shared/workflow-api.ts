/**
 * Names and types shared by workflows, the worker, the client library and the CLI: task queue, search
 * attributes, queries and workflow I/O. Pure and workflow-safe.
 * @module
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { boundedText } from './entry-gate';
import type { Job, JobState } from './nse-types';

/** Task queue used when `NSE_FLOW_TASK_QUEUE` is not set. */
export const DEFAULT_TASK_QUEUE = 'nse-flow';

/** Custom search attributes (all Keyword); the dev server and docker-compose register them by these names. */
export const SearchAttributes = {
  NseJobId: defineSearchAttributeKey('NseJobId', SearchAttributeType.KEYWORD),
  NseJobState: defineSearchAttributeKey('NseJobState', SearchAttributeType.KEYWORD),
  NseObjectType: defineSearchAttributeKey('NseObjectType', SearchAttributeType.KEYWORD),
  NseTenantId: defineSearchAttributeKey('NseTenantId', SearchAttributeType.KEYWORD),
  NsePhase: defineSearchAttributeKey('NsePhase', SearchAttributeType.KEYWORD),
  /** A redriven run: the workflow id of the failed run it reruns. */
  NseRedriveOf: defineSearchAttributeKey('NseRedriveOf', SearchAttributeType.KEYWORD),
} as const;

/** A bulk's progress (Int): items done, failed and in flight, across continue-as-new. */
export const BulkSearchAttributes = {
  NseItemsDone: defineSearchAttributeKey('NseItemsDone', SearchAttributeType.INT),
  NseItemsFailed: defineSearchAttributeKey('NseItemsFailed', SearchAttributeType.INT),
  NseItemsRunning: defineSearchAttributeKey('NseItemsRunning', SearchAttributeType.INT),
} as const;

/**
 * A sweep's counts: create jobs of the worker's user it read, objects it reported, undo runs it started. Double, not
 * Int: the dev server's SQLite visibility takes at most 3 custom attributes of each type, and the bulk has the Ints.
 */
export const SweepSearchAttributes = {
  NseSweepJobs: defineSearchAttributeKey('NseSweepJobs', SearchAttributeType.DOUBLE),
  NseSweepReported: defineSearchAttributeKey('NseSweepReported', SearchAttributeType.DOUBLE),
  NseSweepUndone: defineSearchAttributeKey('NseSweepUndone', SearchAttributeType.DOUBLE),
} as const;

/** Every custom search attribute key, for registration. */
export const SEARCH_ATTRIBUTE_KEYS = [
  ...Object.values(SearchAttributes),
  ...Object.values(BulkSearchAttributes),
  ...Object.values(SweepSearchAttributes),
];

/** A key's type as `temporal operator search-attribute create --type` and `start-dev --search-attribute` name it. */
export function searchAttributeTypeName(key: (typeof SEARCH_ATTRIBUTE_KEYS)[number]): 'Keyword' | 'Int' | 'Double' {
  if (key.type === SearchAttributeType.INT) return 'Int';
  return key.type === SearchAttributeType.DOUBLE ? 'Double' : 'Keyword';
}

/**
 * The task queue of the activities that call NSE, next to the workflows' queue `taskQueue`: its worker's
 * `maxTaskQueueActivitiesPerSecond` (or `temporal task-queue config set --queue-rps-limit`) is the NSE request budget.
 */
export function nseTaskQueue(taskQueue: string): string {
  return `${taskQueue}-nse`;
}

/** The workflows' queue of an activity's task queue: the inverse of {@link nseTaskQueue} (a local activity's is it). */
export function workflowTaskQueueOf(activityTaskQueue: string): string {
  return activityTaskQueue.endsWith('-nse') ? activityTaskQueue.slice(0, -'-nse'.length) : activityTaskQueue;
}

/** Calls without a tenant share this fairness key. */
const NO_TENANT_FAIRNESS_KEY = 'no-tenant';

/**
 * The fairness key of a tenant's NSE calls. Temporal takes at most 64 bytes: an id of up to 64 printable ASCII
 * characters (NSE's are 24 hex digits) is the key; any other is cut to 16 characters (at most 48 bytes) plus its length.
 */
export function nseFairnessKey(tenantId: string | undefined): string {
  if (!tenantId) return NO_TENANT_FAIRNESS_KEY;
  return /^[\x20-\x7e]{1,64}$/.test(tenantId) ? tenantId : `${boundedText(tenantId, 16)}~${tenantId.length}`;
}

/** How the workflow reads the job: see design.md "What to poll with". */
export const PollMode = { Local: 'local', Activity: 'activity', LongPoll: 'long-poll' } as const;
export type PollMode = (typeof PollMode)[keyof typeof PollMode];

/** Timing of the poll loop. All durations in milliseconds. */
export interface PollPolicy {
  mode: PollMode;
  initialIntervalMs: number;
  maxIntervalMs: number;
  backoffCoefficient: number;
  /** Fraction of each interval drawn at random (0.2 → ±20%), so many runs do not poll NSE in lockstep. */
  jitterRatio: number;
  /** Overall deadline of one wait, across continue-as-new. */
  timeoutMs: number;
  /**
   * Continue-as-new after this many reads that reached the workflow in one run, even if the server has not suggested
   * it yet: in `activity` mode one per change of the job (its unchanged reads are retries that add no history event),
   * in the other modes one per read.
   */
  maxPollsPerRun: number;
  /** Long-poll mode: how long NSE may hold one read (the simulator's `poll_timeout` extension), in seconds. */
  longPollSeconds: number;
  /** How long the submit keeps retrying while NSE is unavailable, before the run fails. */
  submitTimeoutMs: number;
}

/** Defaults for a job that usually ends within minutes. */
export const DEFAULT_POLL_POLICY: PollPolicy = {
  // Activity reads go through the NSE task queue, whose rate limit is the NSE request budget; local reads bypass it.
  mode: PollMode.Activity,
  initialIntervalMs: 1_000,
  maxIntervalMs: 30_000,
  backoffCoefficient: 1.5,
  jitterRatio: 0.2,
  timeoutMs: 2 * 60 * 60 * 1000,
  maxPollsPerRun: 500,
  longPollSeconds: 30,
  submitTimeoutMs: 10 * 60 * 1000,
};

/** The phases a run goes through; also the `NsePhase` search attribute. */
export const Phase = {
  Validating: 'validating',
  Submitting: 'submitting',
  Polling: 'polling',
  /** The job failed and the run (input `onFailure: "hold"`) waits for the `decide` update. */
  AwaitingDecision: 'awaiting-decision',
  Compensating: 'compensating',
  /** `nse-flow pause` holds the run's next NSE call; it waits for `nse-flow resume`. */
  Paused: 'paused',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** Input of {@link nseOperationWorkflow}: one object, so fields can be added without breaking histories. */
export interface OperationInput {
  /** Catalogue name, e.g. `create-disk` (`nse-flow operations` lists them). */
  operation: string;
  /** The call's fields: body fields and path fields (`id`, `disk_id`, ...) together. */
  input: Record<string, unknown>;
  /** Tenant that owns the job; used to find a job a lost submit created, and shown as `NseTenantId`. */
  tenantId?: string;
  poll?: Partial<PollPolicy>;
  /**
   * What a job that ends ERROR or PARTIAL_FAILURES gets: `compensate` (default) undoes it at once; `hold` waits for
   * the `decide` update (`compensate` or `keep`), or `holdDefault` after `holdTimeoutMs`.
   */
  onFailure?: OnFailure;
  /** With `onFailure: "hold"`: how long to wait for a decision (default {@link DEFAULT_HOLD_TIMEOUT_MS}). */
  holdTimeoutMs?: number;
  /** With `onFailure: "hold"`: the decision taken when none came in time (default `compensate`). */
  holdDefault?: Decision;
  /**
   * Set by provisionWorkflow on its steps: once NSE accepted the call, the run signals its parent
   * ({@link stepAcceptedSignal}), so the plan can answer `accepted` without waiting for the step to end.
   */
  signalParentWhenAccepted?: boolean;
  /** Set by the workflow itself when it continues as new; callers leave it out. */
  resume?: ResumeState;
}

/** What a failed job gets: undone at once, or held for a human decision. */
export type OnFailure = 'compensate' | 'hold';

/** A human decision on a held failed job: undo it, or keep what it made (and report it). */
export type Decision = 'compensate' | 'keep';

/** How long a held run waits for `decide` when the input does not say: one day. */
export const DEFAULT_HOLD_TIMEOUT_MS = 24 * 60 * 60 * 1000;

/**
 * What a continued run carries over from the previous one: ids and what the next run needs, never NSE's whole record
 * (its schema, `resumeSchema` in ./validation, bounds each field).
 */
export interface ResumeState {
  jobId: string;
  phase: Phase;
  polls: number;
  intervalMs: number;
  deadline: number;
  startedAt: number;
  warnings: number;
  lastState: JobState;
  /** The job's `updated` as last read (a long poll asks for changes after it). */
  lastUpdated?: string;
  /** The object the job acts on, as last read. */
  objectId?: string;
  /** Values read before an update, for its undo: only the fields the update changes. */
  before?: Record<string, unknown>;
  /** Job reads that got no job (any answer but the job), and the last such answer. */
  readErrors?: number;
  lastReadError?: string;
  /** State words the table did not know (already logged). */
  unknownStateWords?: string[];
}

/** Result of a successful {@link nseOperationWorkflow}. */
/** The operation workflow's signature (for `continueAsNew` and callers that name it without importing it). */
export type NseOperationWorkflow = (input: OperationInput) => Promise<OperationResult>;

export interface OperationResult {
  operation: string;
  /** The finished job, secrets removed; absent when NSE answered synchronously. */
  job?: Job;
  objectId?: string;
  /** Times the job was read. */
  polls: number;
  /** True when the job was recovered after an ambiguous submit instead of being created again. */
  adopted: boolean;
  /** How to undo this operation later (a provisioning plan uses it when a later step fails). */
  undo?: UndoStep;
  /** Every undo step, newest object last undone, when undoing takes more than `undo` (inline host groups). */
  undoSteps?: UndoStep[];
}

/** How to undo a completed operation: run another operation, or only report (nothing to do, or manual clean-up). */
export type UndoStep =
  | { kind: 'run'; operation: string; input: Record<string, unknown>; objectId?: string; objectType?: string }
  | { kind: 'report'; report: CompensationReport };

/** What the `status` query returns. */
export interface OperationStatus {
  operation: string;
  summary: string;
  phase: Phase;
  jobId?: string;
  jobState?: JobState;
  objectId?: string;
  polls: number;
  warnings: number;
  nextPollAt?: string;
  compensation?: CompensationReport;
  /** Job reads that got no job (the run goes on until its deadline), and the last such answer. */
  readErrors?: number;
  lastReadError?: string;
  /** State words the job used that nse-flow does not know: it treats them as running. */
  unknownStateWords?: string[];
  /** In phase `awaiting-decision`: when the default decision is taken. */
  decisionDueAt?: string;
  /** A cancel arrived: the run waits for its job to end, then undoes what it made and ends cancelled. */
  cancelRequested?: boolean;
}

/** How undoing went: `kept` when a human decided to keep what a failed job made. */
type CompensationOutcome = 'compensated' | 'not-needed' | 'manual-cleanup-needed' | 'failed' | 'kept';

/** What compensation did for a failed run; with task-level undo, `steps` reports each object. */
export interface CompensationReport {
  outcome: CompensationOutcome;
  /** The undo operation that ran, if any (the first, when there were several). */
  operation?: string;
  jobId?: string;
  /** The object an operator must clean up by hand (the first, when there were several). */
  objectId?: string;
  objectType?: string;
  message: string;
  /** One entry per object undone (or left), in the order they were undone. */
  steps?: UndoOutcome[];
}

/** What happened to one object when its run was undone. */
export interface UndoOutcome {
  outcome: CompensationOutcome;
  objectId?: string;
  objectType?: string;
  operation?: string;
  jobId?: string;
  message: string;
}

/** Current progress of an operation run, as data (the Web UI's current details show the same as markdown). */
export const operationStatusQuery = defineQuery<OperationStatus>('status');

/** What `decide` answers: the decision the run took. */
interface DecideResult {
  decision: Decision;
}

/**
 * Decides what a held run does with its failed job (`compensate` or `keep`); accepted only in phase
 * `awaiting-decision`, rejected (validator) otherwise, so a late or mistyped decision changes nothing.
 */
export const decideUpdate = defineUpdate<DecideResult, [Decision]>('decide');

/** What happened to one step of a plan. */
export interface StepReport {
  id: string;
  operation: string;
  outcome: 'pending' | 'running' | 'done' | 'failed' | 'cancelled' | 'compensated' | 'manual-cleanup-needed';
  workflowId?: string;
  objectId?: string;
  jobId?: string;
  message?: string;
}

/** Result of a successful {@link provisionWorkflow}: every step done. */
export interface ProvisionResult {
  plan: string;
  steps: StepReport[];
}

/** What the provisioning run's `status` query returns. */
export interface ProvisionStatus {
  plan: string;
  phase: Phase;
  steps: StepReport[];
}

/** Progress of a provisioning run, step by step. */
export const provisionStatusQuery = defineQuery<ProvisionStatus>('status');

/** What the `accepted` update answers once NSE accepted the call (or the plan's first call). */
export interface Acceptance {
  workflowId: string;
  /** The first run of the workflow id (continue-as-new keeps the id, not the run id). */
  runId: string;
  /** The job NSE accepted; absent when NSE answered synchronously, without a job. */
  nseJobId?: string;
  /** For a plan: the id of its first step, whose call NSE accepted. */
  step?: string;
  /** For a plan: the workflow id of that step's run (`<plan workflow id>/<step id>`). */
  stepWorkflowId?: string;
}

/**
 * Answers as soon as NSE accepted the run's call (for a plan: its first step's call); fails with the run's failure
 * (`InvalidInput` at once, before any NSE call, or what the submit ended with; for a plan `ProvisioningFailed`).
 * Sent with update-with-start, it makes starting and acceptance one call.
 */
export const acceptedUpdate = defineUpdate<Acceptance>('accepted');

/** Changes the poll policy of a running operation from its next wait on; answers the policy now in force. */
export const setPollPolicyUpdate = defineUpdate<PollPolicy, [Partial<PollPolicy>]>('setPollPolicy');

/** Moves a running operation's deadline `byMs` later; answers the new deadline (ISO time). */
export const extendDeadlineUpdate = defineUpdate<{ deadline: string }, [{ byMs: number }]>('extendDeadline');

/** What a step's run tells its plan once NSE accepted its call. */
interface StepAccepted {
  /** The step run's workflow id. */
  workflowId: string;
  nseJobId: string;
}

/** Sent by an operation run started with `signalParentWhenAccepted` to its parent, once NSE accepted its call. */
export const stepAcceptedSignal = defineSignal<[StepAccepted]>('stepAccepted');
