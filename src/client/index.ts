/**
 * Client library for services that start and follow nse-flow runs. It connects by Temporal's environment
 * conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles) and exposes typed calls.
 * @module
 */
import { runBuild, type RunBuild } from '../deployment';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { temporal } from '@temporalio/proto';
import { ApplicationFailure, type DataConverter, type Workflow } from '@temporalio/common';
import { dataConverterFor } from '../codec';
import type { PausedScopes, PauseScope } from '../shared/pause';
import { pauseNseCalls, resumeNseCalls, type ResumeOutcome } from './pause';
import { loadCodecConfig } from '../codec/config';
import {
  decideUpdate,
  acceptedUpdate,
  DEFAULT_TASK_QUEUE,
  type Acceptance,
  operationStatusQuery,
  type Decision,
  SearchAttributes,
  type OperationInput,
  type OperationResult,
  type OperationStatus,
  type ProvisionResult,
  type ProvisionStatus,
  type StepReport,
} from '../shared/workflow-api';
import { setBulkLimitsUpdate, type BulkInput, type BulkLimits, type BulkResult, type BulkStatus } from '../shared/bulk';
import type { ProvisionPlan } from '../shared/plans';
import type { bulkWorkflow, nseOperationWorkflow, provisionWorkflow } from '../workflows';
import { readRunWaits, type RunWaits } from './pending';
import { bulkRedriveInput, planRedriveInput, readRedrivableRun } from './redrive';
import { bulkStartMetadata, operationStartMetadata, planStartMetadata } from './start-metadata';
import { flushTracing, startTracing, tracingClientInterceptors } from '../tracing';
import type { SweepInput } from '../shared/sweep';
import { newSweepId, scheduleSweep, sweepNow, undoSweptObject, type SweepRun } from './sweep';

export { NotRedrivableError } from './redrive';
export { NotSweptError, type SweepRun } from './sweep';
export type { SweepFinding, SweepInput, SweepReport } from '../shared/sweep';
export {
  dryRun,
  type DryRun,
  type DryRunCall,
  type DryRunInput,
  type DryRunReference,
  type DryRunRequest,
} from './dry-run';
export { bulkStartMetadata, operationStartMetadata, planStartMetadata, type StartMetadata } from './start-metadata';
export type { ResumeOutcome } from './pause';
export type { PendingCall, RunWaits } from './pending';
export type { PausedScopes, PauseScope } from '../shared/pause';

/** Temporal could not be reached or refused the call. */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/** The run ended in failure; `failureType` is one of {@link FailureType}, `details` what the workflow attached. */
export class RunFailedError extends Error {
  override name = 'RunFailedError';
  constructor(
    readonly workflowId: string,
    readonly failureType: string | undefined,
    message: string,
    readonly details: unknown[],
  ) {
    super(message);
  }
}

/** A started run: its handle and what `accepted` answered (`nseJobId` once NSE accepted the call). */
type StartedRun<W extends Workflow> = WorkflowHandle<W> & Acceptance & { firstExecutionRunId: string };

export interface StartOptions {
  /**
   * Same key, same run: the workflow id derives from it (`nse-flow-op-<key>`, `nse-flow-plan-<key>`,
   * `nse-flow-bulk-<key>`). A second start returns that run, open or closed, and starts nothing new (read a closed
   * one's outcome with `result`); only with `waitForAcceptance: false` does a closed run's key throw
   * `WorkflowExecutionAlreadyStartedError`.
   */
  idempotencyKey?: string;
  workflowId?: string;
  taskQueue?: string;
  /** False: return once the run started, before NSE accepted its (first) call. Default true. */
  waitForAcceptance?: boolean;
}

/** One line of `nse-flow list`. */
export interface RunSummary {
  workflowId: string;
  type: string;
  status: string;
  startTime: string;
  phase?: string;
  jobId?: string;
  jobState?: string;
  objectType?: string;
}

export interface ConnectOptions {
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** Environment to read (defaults to process.env); lets tests and the CLI pass their own. */
  env?: Record<string, string | undefined>;
  /** Overrides the data converter; by default payloads are encrypted when NSE_FLOW_CODEC_KEYS(_FILE) is set, as on the worker. */
  dataConverter?: DataConverter;
}

/**
 * Connects with `@temporalio/envconfig` rules; explicit options win over the environment. Throws `ConfigError` for
 * bad codec keys, {@link TemporalUnavailableError} when Temporal cannot be reached.
 */
export async function connect(options: ConnectOptions = {}): Promise<NseFlowClient> {
  const env = options.env ?? process.env;
  const dataConverter = options.dataConverter ?? dataConverterFor(loadCodecConfig(env));
  const definedEnv = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: definedEnv });
  const address = options.address ?? connectionOptions.address ?? 'localhost:7233';
  try {
    const connection = await Connection.connect({ ...connectionOptions, address, connectTimeout: 5_000 });
    // With OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT set, every start is a span and the run joins its trace.
    startTracing('nse-flow-client', env);
    const interceptors = tracingClientInterceptors();
    const client = new Client({
      connection,
      namespace: options.namespace ?? namespace ?? 'default',
      dataConverter,
      ...(interceptors ? { interceptors } : {}),
    });
    return new NseFlowClient(client, options.taskQueue ?? env.NSE_FLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE);
  } catch (err) {
    throw new TemporalUnavailableError(`cannot reach Temporal at ${address}: ${(err as Error).message}`);
  }
}

/** Workflow id for an idempotency key: stable, readable, and never longer than Temporal allows. */
export function workflowIdFor(kind: string, idempotencyKey: string): string {
  return `nse-flow-${kind}-${idempotencyKey}`.slice(0, 900);
}

/** The id of a new run: the caller's, its idempotency key's, or a fresh one naming what it runs. */
export function newRunId(kind: 'op' | 'plan' | 'bulk', name: string, options: StartOptions): string {
  if (options.workflowId !== undefined) return options.workflowId;
  return options.idempotencyKey
    ? workflowIdFor(kind, options.idempotencyKey)
    : `nse-flow-${kind}-${name}-${crypto.randomUUID()}`;
}

/** Typed access to nse-flow runs. */
export class NseFlowClient {
  constructor(
    readonly temporal: Client,
    readonly taskQueue: string,
  ) {}

  /**
   * Starts one operation run and returns once NSE accepted its call, with the NSE job id (the `accepted` update,
   * sent with the start as update-with-start). Invalid input throws {@link RunFailedError} `InvalidInput` at once, and
   * NSE is not called; a submit that fails throws its failure. With an idempotency key, the same key returns the same
   * run and job id, whether that run is still open or has closed: never a second NSE call for one key. With
   * `waitForAcceptance: false` it returns once the run started, as a plain start does.
   */
  async startOperation(
    input: OperationInput,
    options: StartOptions = {},
  ): Promise<StartedRun<typeof nseOperationWorkflow>> {
    const workflowId = newRunId('op', input.operation, options);
    const start = {
      ...this.startPolicies(workflowId, options),
      args: [input] as [OperationInput],
      ...operationStartMetadata(input),
    };
    return await this.startAccepted<typeof nseOperationWorkflow>('nseOperationWorkflow', start, options, () =>
      this.acceptedBefore(workflowId),
    );
  }

  /**
   * Starts a provisioning plan and returns once NSE accepted its first step's call, with that step and its NSE job id
   * (the `accepted` update, sent with the start). An invalid plan throws {@link RunFailedError} `InvalidInput` at
   * once, and NSE is not called; a first step that fails throws the plan's failure (`ProvisioningFailed`). With an
   * idempotency key, the same key returns the same run, step and job id, whether that run is still open or has
   * closed: never a second provisioning. With `waitForAcceptance: false` it returns once the run started.
   */
  async startProvisioning(
    plan: ProvisionPlan,
    options: StartOptions = {},
  ): Promise<StartedRun<typeof provisionWorkflow>> {
    const workflowId = newRunId('plan', plan.name, options);
    const start = {
      ...this.startPolicies(workflowId, options),
      args: [plan] as [ProvisionPlan],
      ...planStartMetadata(plan),
    };
    const firstStep = Array.isArray(plan.steps) ? (plan.steps[0] as { id?: unknown } | undefined)?.id : undefined;
    return await this.startAccepted<typeof provisionWorkflow>('provisionWorkflow', start, options, () =>
      this.acceptedBefore(workflowId, typeof firstStep === 'string' ? firstStep : undefined),
    );
  }

  /** Task queue, id and the idempotency policies of a start (docs/contract.md, Workflow ids and idempotency). */
  private startPolicies(workflowId: string, options: StartOptions) {
    return {
      taskQueue: options.taskQueue ?? this.taskQueue,
      workflowId,
      workflowIdConflictPolicy: options.idempotencyKey ? ('USE_EXISTING' as const) : ('FAIL' as const),
      workflowIdReusePolicy: options.idempotencyKey ? ('REJECT_DUPLICATE' as const) : ('ALLOW_DUPLICATE' as const),
    };
  }

  /** Update-with-start of `accepted`; a keyed run that has closed answers from what it left (`closed`). */
  private async startAccepted<W extends typeof nseOperationWorkflow | typeof provisionWorkflow>(
    workflowType: 'nseOperationWorkflow' | 'provisionWorkflow',
    start: WorkflowStartOptions<W> & { workflowId: string; workflowIdConflictPolicy: 'USE_EXISTING' | 'FAIL' },
    options: StartOptions,
    closed: () => Promise<StartedRun<W>>,
  ): Promise<StartedRun<W>> {
    if (options.waitForAcceptance === false) {
      const handle = await this.temporal.workflow.start<W>(workflowType, start);
      return Object.assign(handle, { runId: handle.firstExecutionRunId });
    }
    const startWorkflowOperation = new WithStartWorkflowOperation<W>(workflowType, start);
    try {
      const accepted = await this.temporal.workflow.executeUpdateWithStart(acceptedUpdate, { startWorkflowOperation });
      const handle = await startWorkflowOperation.workflowHandle();
      return Object.assign(handle, accepted, { firstExecutionRunId: accepted.runId });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && options.idempotencyKey) return await closed();
      throw toRunFailedError(start.workflowId, err);
    }
  }

  /**
   * The acceptance of a closed run, from what it left: its first run id and the `NseJobId` it published (for a plan,
   * the one its first step's run published). A closed run that got no job throws its failure (or, having answered
   * synchronously, returns without a job id).
   */
  private async acceptedBefore<W extends Workflow>(workflowId: string, firstStep?: string): Promise<StartedRun<W>> {
    const handle = this.temporal.workflow.getHandle<W>(workflowId);
    const description = await handle.describe();
    const stepWorkflowId = firstStep === undefined ? undefined : `${workflowId}/${firstStep}`;
    const carrier = stepWorkflowId === undefined ? description : await this.describeIfAny(stepWorkflowId);
    const nseJobId = carrier?.typedSearchAttributes.get(SearchAttributes.NseJobId);
    if (!nseJobId) await this.result(workflowId);
    const runId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
    const step = stepWorkflowId && carrier ? { step: firstStep, stepWorkflowId } : {};
    return Object.assign(handle, { runId, firstExecutionRunId: runId, ...step, ...(nseJobId ? { nseJobId } : {}) });
  }

  /** Describes a run, or answers undefined when there is none (a plan's step that never started). */
  private async describeIfAny(workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
    try {
      return await this.temporal.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Starts a bulk: one operation run per item (docs/contract.md, Bulks). With an idempotency key the workflow id
   * derives from it (`nse-flow-bulk-<key>`), with the same guarantees as {@link startProvisioning}: the same key
   * answers the bulk it started, open or closed, and starts nothing new.
   */
  async startBulk(
    bulk: BulkInput,
    options: StartOptions = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof bulkWorkflow>> {
    const workflowId = newRunId('bulk', bulk.name, options);
    try {
      return await this.temporal.workflow.start<typeof bulkWorkflow>('bulkWorkflow', {
        ...this.startPolicies(workflowId, options),
        args: [bulk],
        ...bulkStartMetadata(bulk),
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError && options.idempotencyKey)) throw err;
      // The key is spent on a bulk that has closed: answer that bulk, as a keyed plan or operation does.
      const handle = this.temporal.workflow.getHandle<typeof bulkWorkflow>(workflowId);
      const description = await handle.describe();
      const firstExecutionRunId = description.raw.workflowExecutionInfo?.firstRunId || description.runId;
      return Object.assign(handle, { firstExecutionRunId });
    }
  }

  /** Changes a running bulk's limits; answers those now in force. Rejected (`InvalidInput`) for bad values. */
  async setBulkLimits(workflowId: string, change: Partial<BulkLimits>): Promise<BulkLimits> {
    try {
      return await this.temporal.workflow.getHandle(workflowId).executeUpdate(setBulkLimitsUpdate, { args: [change] });
    } catch (err) {
      throw toRunFailedError(workflowId, err);
    }
  }

  /**
   * Starts a new run (`<workflowId>-redrive-<first 8 of the earlier run's id>`) of a failed bulk or plan, or of a bulk
   * that completed with failed items (within its tolerance), that reuses what the earlier run left done and reruns the
   * rest. The new run names the original in its static details (a link in the Web UI), its `redriveOf` input and the
   * `NseRedriveOf` search attribute. Throws {@link NotRedrivableError} when the run has nothing to redrive (open, a
   * plan that succeeded, a bulk with no failed item) or is neither a bulk nor a plan.
   */
  async redrive(
    workflowId: string,
    options: Pick<StartOptions, 'taskQueue'> = {},
  ): Promise<WorkflowHandleWithFirstExecutionRunId<typeof bulkWorkflow | typeof provisionWorkflow>> {
    const { source, firstInput, details } = await readRedrivableRun(this.temporal, workflowId);
    // One redrive per run redriven: a second one of the same run finds this id taken (WorkflowExecutionAlreadyStarted).
    const redriveId = `${workflowId.replace(/-redrive-[0-9a-f]{8}$/, '')}-redrive-${source.runId.slice(0, 8)}`;
    const once = {
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      ...linkTo(this.temporal.options.namespace, source),
    } as const;
    if (source.type === 'bulkWorkflow') {
      const input = bulkRedriveInput(source, firstInput as BulkInput, details as BulkResult | undefined);
      return await this.temporal.workflow.start<typeof bulkWorkflow>('bulkWorkflow', {
        taskQueue: options.taskQueue ?? this.taskQueue,
        workflowId: redriveId,
        args: [input],
        ...bulkStartMetadata(input),
        ...once,
      });
    }
    const plan = planRedriveInput(source, firstInput as ProvisionPlan, details as { steps?: StepReport[] });
    const metadata = planStartMetadata(plan);
    return await this.temporal.workflow.start<typeof provisionWorkflow>('provisionWorkflow', {
      taskQueue: options.taskQueue ?? this.taskQueue,
      workflowId: redriveId,
      args: [plan],
      ...metadata,
      staticDetails: `Redrive of [${workflowId}](../${encodeURIComponent(workflowId)}/${source.runId})\n\n${metadata.staticDetails}`,
      typedSearchAttributes: [
        ...metadata.typedSearchAttributes,
        { key: SearchAttributes.NseRedriveOf, value: workflowId },
      ],
      ...once,
    });
  }

  /** The run's status query (needs a live worker): an operation's, a plan's or a bulk's progress. */
  async getStatus(workflowId: string): Promise<OperationStatus | ProvisionStatus | BulkStatus> {
    return await this.temporal.workflow
      .getHandle(workflowId)
      .query<OperationStatus | ProvisionStatus | BulkStatus>(operationStatusQuery.name);
  }

  /**
   * The worker build a run is on (Worker Deployment Versioning, src/deployment.ts) and whether it stays there
   * (`PINNED`) or moves to the current build (`AUTO_UPGRADE`); undefined for a run of an unversioned worker.
   */
  async getBuild(workflowId: string): Promise<RunBuild | undefined> {
    const description = await this.temporal.workflow.getHandle(workflowId).describe();
    return runBuild(description.raw.workflowExecutionInfo);
  }

  /**
   * What the server knows the run waits on: its pending activities, each with its attempt and last failure (an NSE
   * that refuses the credentials, cannot be reached, is rate-limiting). Needs no worker, unlike {@link getStatus}.
   */
  async getWaits(workflowId: string): Promise<RunWaits> {
    return await readRunWaits(this.temporal, workflowId);
  }

  /**
   * Runs one sweep now and answers its report once it has read everything: the objects NSE still holds whose create
   * job (of the worker's NSE user, in the window) no completed run owns. The sweep stays open `holdMs` for undos.
   */
  async sweep(input: SweepInput = {}): Promise<SweepRun> {
    const workflowId = newSweepId();
    try {
      return await sweepNow(this.temporal, this.taskQueue, workflowId, input);
    } catch (err) {
      throw toRunFailedError(workflowId, err);
    }
  }

  /** Creates the `nse-flow-sweep` Schedule (a sweep every `everyMs`), or updates it when it exists. */
  async scheduleSweep(everyMs: number, input: Omit<SweepInput, 'holdMs'> = {}): ReturnType<typeof scheduleSweep> {
    return await scheduleSweep(this.temporal, this.taskQueue, everyMs, input);
  }

  /** Starts the catalogue's undo of one object an open sweep reported, as a run of its own; answers that run. */
  async undoSweptObject(objectId: string): ReturnType<typeof undoSweptObject> {
    return await undoSweptObject(this.temporal, objectId);
  }

  /** Runs whose search attributes match a visibility query, newest first. */
  async list(query: string, limit = 50): Promise<RunSummary[]> {
    const runs: RunSummary[] = [];
    for await (const execution of this.temporal.workflow.list({ query })) {
      const attributes = execution.typedSearchAttributes;
      runs.push({
        workflowId: execution.workflowId,
        type: execution.type,
        status: execution.status.name,
        startTime: execution.startTime.toISOString(),
        phase: attributes.get(SearchAttributes.NsePhase),
        jobId: attributes.get(SearchAttributes.NseJobId),
        jobState: attributes.get(SearchAttributes.NseJobState),
        objectType: attributes.get(SearchAttributes.NseObjectType),
      });
      if (runs.length >= limit) break;
    }
    return runs;
  }

  /**
   * Pauses new NSE calls (submits, reads, undo calls) of one tenant (`{ tenantId }`) or all (`{}`), for runs running
   * and runs started later; calls already at NSE finish. Paused runs show phase `paused`. Answers what is paused.
   */
  async pause(scope: PauseScope = {}): Promise<PausedScopes> {
    return await pauseNseCalls(this.temporal, this.taskQueue, scope);
  }

  /** Resumes what {@link pause} paused (all: every tenant too) and wakes the waiting runs of that scope. */
  async resume(scope: PauseScope = {}): Promise<ResumeOutcome> {
    return await resumeNseCalls(this.temporal, this.taskQueue, scope);
  }

  /** Requests cancellation: the run stops polling, undoes what it created and ends cancelled. */
  async cancel(workflowId: string): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).cancel();
  }

  /**
   * Decides what a held run (`onFailure: "hold"`, phase `awaiting-decision`) does with its failed job: `compensate`
   * undoes it, `keep` leaves what it made (and reports it). Rejected when the run is not awaiting a decision.
   */
  async decide(workflowId: string, decision: Decision): Promise<{ decision: Decision }> {
    return await this.temporal.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [decision] });
  }

  /** Waits for the run's result; a failed run throws {@link RunFailedError} with the failure type. */
  async result(workflowId: string): Promise<OperationResult | ProvisionResult | BulkResult> {
    try {
      return (await this.temporal.workflow.getHandle(workflowId).result()) as
        OperationResult | ProvisionResult | BulkResult;
    } catch (err) {
      throw toRunFailedError(workflowId, err);
    }
  }

  async close(): Promise<void> {
    await flushTracing();
    await this.temporal.connection.close();
  }
}

/**
 * Start options that link the new run to the failed one: a link on the new run's WorkflowExecutionStarted event to
 * the failed run's first event, which `temporal workflow show` and the Web UI show. SDK 1.24 takes start links only
 * through its internal start options (its Nexus helpers use them; the symbol is registered globally), and server
 * 1.29.1 stores them (test/integration/bulk.test.ts reads the link back from history).
 */
function linkTo(namespace: string, source: { workflowId: string; runId: string }): Record<symbol, unknown> {
  const link = {
    workflowEvent: {
      namespace,
      workflowId: source.workflowId,
      runId: source.runId,
      eventRef: { eventId: 1, eventType: temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED },
    },
  };
  return { [Symbol.for('__temporal_internal_client_workflow_start_options')]: { links: [link] } };
}

/** Unwraps a workflow failure to its application failure type, message and details. */
function toRunFailedError(workflowId: string, err: unknown): unknown {
  if (err instanceof WorkflowNotFoundError) return new RunFailedError(workflowId, 'NotFound', err.message, []);
  if (!(err instanceof WorkflowFailedError) && !(err instanceof WorkflowUpdateFailedError)) return err;
  let cause: unknown = err.cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure) && cause.cause) cause = cause.cause;
  if (cause instanceof ApplicationFailure) {
    return new RunFailedError(
      workflowId,
      cause.type ?? undefined,
      cause.message,
      cause.details ? [...cause.details] : [],
    );
  }
  const message = err.cause?.message ?? err.message;
  return new RunFailedError(workflowId, err.cause?.name, message, []);
}
