/**
 * Durable execution of one NSE asynchronous call. The run validates its input, submits the call once (a retry
 * adopts the job an ambiguous earlier attempt created), then reads the job and sleeps on a server-side timer
 * between reads, with capped, jittered backoff, until the job is terminal. A worker that dies resumes the loop
 * where it stopped; a long wait continues as new with its job id, backoff and deadline. A job that ends ERROR
 * or PARTIAL_FAILURES is undone (cancellation cannot interrupt the undo) and the run fails with `NseJobFailed`.
 * A cancelled run stops polling, waits for an accepted job to end, undoes it and ends cancelled.
 * @module
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  patched,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { GetJobInput, NseActivities, SubmitOperationInput, SubmitOutcome } from '../activities';
import { countCompensation, countJobEnded, countJobPoll } from '../metrics/workflow-metrics';
import { FailureType, rootMessage } from '../shared/failures';
import { isFailed, isTerminal, JobState, type Job } from '../shared/nse-types';
import { describeOperation, fillPath, findOperation, type OperationSpec } from '../shared/operations';
import { parseOperationFields, parseOperationInput } from '../shared/validation';
import {
  DEFAULT_POLL_POLICY,
  Phase,
  PollMode,
  SearchAttributes,
  operationStatusQuery,
  type CompensationReport,
  type OperationInput,
  type OperationResult,
  type OperationStatus,
  type PollPolicy,
  type UndoStep,
} from '../shared/workflow-api';

/** Changes of history shape; replay of a run started before one takes the earlier path. */
const Patches = {
  /** Search attributes are upserted once per workflow task (before waiting), not after every change. */
  OneUpsertPerTask: 'one-search-attribute-upsert-per-task',
} as const;

const READ_RETRY = { initialInterval: '1 second', maximumInterval: '10 seconds', backoffCoefficient: 2 } as const;
// Failures that another attempt cannot fix; everything else is retried by the server.
const PERMANENT = [FailureType.NseRejected, FailureType.NseNotFound, FailureType.InvalidInput];

/**
 * Submits one call and returns its job (or synchronous answer); it cannot be cancelled half-way, since that would
 * lose the id of a job NSE may have accepted. Attempts are bounded by time (`policy.submitTimeoutMs`), not by count,
 * so attempts lost to worker crashes do not use up the budget of an NSE outage. When the last attempt failed in a
 * way that leaves open whether NSE acted (no answer, a timeout), NSE is asked for the job once more (for at most the
 * same time), and a job found is adopted: a resource NSE created is never left behind unreported.
 */
async function submitOperation(
  summary: string,
  request: SubmitOperationInput,
  policy: PollPolicy,
): Promise<SubmitOutcome> {
  const activities = proxyActivities<NseActivities>({
    scheduleToCloseTimeout: policy.submitTimeoutMs,
    // Covers an adoption look-up and the call; a lost worker is noticed through the heartbeat within 15 s.
    startToCloseTimeout: '2 minutes',
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '2 seconds', maximumInterval: '30 seconds', nonRetryableErrorTypes: PERMANENT },
    summary,
  });
  return await CancellationScope.nonCancellable(async () => {
    try {
      return await activities.submitOperation(request);
    } catch (submitError) {
      if (PERMANENT.some((type) => type === failureType(submitError))) throw submitError;
      let job: Job | null;
      try {
        job = await proxyActivities<NseActivities>({
          scheduleToCloseTimeout: policy.submitTimeoutMs,
          startToCloseTimeout: '2 minutes',
          heartbeatTimeout: '15 seconds',
          retry: { ...READ_RETRY, maximumInterval: '30 seconds', nonRetryableErrorTypes: PERMANENT },
          summary: `look for the job of: ${summary}`,
        }).findSubmittedJob(request);
      } catch (lookupError) {
        throw failure(
          (failureType(submitError) as FailureType | undefined) ?? FailureType.NseUnavailable,
          `${summary}: the submit failed (${rootMessage(submitError)}) and NSE could not be asked whether its last ` +
            `attempt was acted on (${rootMessage(lookupError)}): check NSE for it before retrying or cleaning up`,
          { operation: request.operation },
        );
      }
      if (!job) throw submitError;
      return { kind: 'job', httpStatus: 202, job, adopted: true };
    }
  });
}

function readResourceActivity(summary: string): NseActivities['readResource'] {
  return proxyActivities<NseActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { ...READ_RETRY, maximumAttempts: 10, nonRetryableErrorTypes: PERMANENT },
    summary,
  }).readResource;
}

/** The read used by the poll loop, by mode: one local activity, one activity, or one heartbeating long read. */
function getJobActivity(policy: PollPolicy, summary: string): NseActivities['getJob'] {
  const retry = { ...READ_RETRY, nonRetryableErrorTypes: PERMANENT };
  if (policy.mode === PollMode.Local) {
    const options: LocalActivityOptions = {
      startToCloseTimeout: '30 seconds',
      scheduleToCloseTimeout: '2 minutes',
      // Longer back-offs wait on a server timer instead of holding the workflow task open.
      localRetryThreshold: '2 seconds',
      retry,
      summary,
    };
    return proxyLocalActivities<NseActivities>(options).getJob;
  }
  const options: ActivityOptions =
    policy.mode === PollMode.LongPoll
      ? {
          startToCloseTimeout: (policy.longPollSeconds + 30) * 1000,
          heartbeatTimeout: '10 seconds',
          scheduleToCloseTimeout: '10 minutes',
          retry,
          summary,
        }
      : { startToCloseTimeout: '30 seconds', scheduleToCloseTimeout: '2 minutes', retry, summary };
  return proxyActivities<NseActivities>(options).getJob;
}

function failure(type: FailureType, message: string, ...details: unknown[]): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details });
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** What one wait for a job ended with. */
interface WaitOutcome {
  job: Job;
  /** The job answered 404 after being seen; `job` is the last version read. */
  vanished: boolean;
}

/** Mutable state of one run; everything a continued run needs is in {@link ResumeState}. */
class OperationRun {
  readonly summary: string;
  phase: Phase = Phase.Validating;
  jobId: string | undefined;
  lastJob: Job | undefined;
  polls = 0;
  pollsThisRun = 0;
  warnings = 0;
  intervalMs: number;
  readonly deadline: number;
  readonly startedAt: number;
  nextPollAt: number | undefined;
  before: Record<string, unknown> | undefined;
  compensation: CompensationReport | undefined;
  adopted = false;
  private readonly published = new Map<string, string>();
  private readonly upsertEveryChange: boolean;

  constructor(
    readonly spec: OperationSpec,
    readonly fields: Record<string, unknown>,
    readonly tenantId: string | undefined,
    readonly policy: PollPolicy,
    readonly input: OperationInput,
    /** False for nested undo runs, which must not overwrite the owning run's search attributes. */
    private readonly options: { publishes: boolean } = { publishes: true },
  ) {
    this.summary = describeOperation(spec, fields);
    this.upsertEveryChange = options.publishes && !patched(Patches.OneUpsertPerTask);
    const resume = input.resume;
    this.startedAt = resume?.startedAt ?? Date.now(); // Date.now() is the deterministic workflow clock
    this.deadline = resume?.deadline ?? this.startedAt + policy.timeoutMs;
    this.intervalMs = resume?.intervalMs ?? policy.initialIntervalMs;
    if (resume) {
      this.jobId = resume.jobId;
      this.phase = resume.phase;
      this.polls = resume.polls;
      this.warnings = resume.warnings;
      this.before = resume.before;
    }
    // Search attributes survive continue-as-new: start from what the run already carries.
    for (const key of Object.values(SearchAttributes)) {
      const value = workflowInfo().typedSearchAttributes.get(key);
      if (typeof value === 'string') this.published.set(key.name, value);
    }
  }

  status(): OperationStatus {
    return {
      operation: this.spec.name,
      summary: this.summary,
      phase: this.phase,
      jobId: this.jobId,
      jobState: this.lastJob?.state,
      objectId: this.lastJob?.objectId || undefined,
      polls: this.polls,
      warnings: this.warnings,
      nextPollAt: this.nextPollAt === undefined ? undefined : new Date(this.nextPollAt).toISOString(),
      compensation: this.compensation,
    };
  }

  /**
   * Upserts the search attributes that changed since the last call, in one history event. Called only when the run
   * is about to wait beyond the current workflow task (an activity, a timer, a nested run) and when it ends, so a
   * workflow task records at most one upsert however many changes it makes.
   */
  publish(): void {
    if (!this.options.publishes) return;
    const wanted: Record<string, string | undefined> = {
      NsePhase: this.phase,
      NseObjectType: this.spec.resource,
      NseTenantId: this.tenantId,
      NseJobId: this.jobId,
      NseJobState: this.lastJob?.state,
    };
    const changes = Object.entries(wanted).filter(
      (entry): entry is [keyof typeof SearchAttributes, string] =>
        entry[1] !== undefined && this.published.get(entry[0]) !== entry[1],
    );
    if (changes.length > 0) {
      upsertSearchAttributes(changes.map(([name, value]) => ({ key: SearchAttributes[name], value })));
      for (const [name, value] of changes) this.published.set(name, value);
    }
    this.refreshDetails();
  }

  /** Current details are not history events: they follow every change at once. */
  private refreshDetails(): void {
    if (this.options.publishes) setCurrentDetails(this.details());
  }

  /** After a change of state: runs started before the one-upsert-per-task patch upsert at once, as they did. */
  private changed(): void {
    if (this.upsertEveryChange) this.publish();
    else this.refreshDetails();
  }

  private details(): string {
    const status = this.status();
    const rows: [string, string | number | undefined][] = [
      ['Phase', status.phase],
      ['NSE job', status.jobId && `${status.jobId} (${status.jobState ?? 'submitted'})`],
      ['Object', status.objectId],
      ['Polls', status.polls],
      ['Warnings seen', status.warnings || undefined],
      ['Next poll', status.nextPollAt],
      ['Compensation', status.compensation && `${status.compensation.outcome}: ${status.compensation.message}`],
    ];
    const table = rows.filter(([, value]) => value !== undefined).map(([label, value]) => `| ${label} | ${value} |`);
    // The trailing blank line keeps the last row readable: the Web UI sizes this frame a little short.
    return [`**${this.summary}**`, '', '| | |', '|---|---|', ...table, '', '&nbsp;'].join('\n');
  }

  setPhase(phase: Phase): void {
    this.phase = phase;
    this.changed();
  }

  async execute(): Promise<OperationResult> {
    this.changed();
    try {
      if (!this.jobId) {
        const submitted = await this.submit();
        if (submitted.kind === 'sync') {
          this.setPhase(Phase.Succeeded);
          return { operation: this.spec.name, polls: 0, adopted: false };
        }
      }
      this.setPhase(Phase.Polling);
      const { job, vanished } = await this.waitForJob({ canContinueAsNew: true });
      if (vanished) throw this.vanishedFailure(job);
      if (job.state === JobState.Normal) {
        this.setPhase(Phase.Succeeded);
        return {
          operation: this.spec.name,
          job,
          objectId: job.objectId || undefined,
          polls: this.polls,
          adopted: this.adopted,
          undo: this.undoStep(job),
        };
      }
      throw await this.compensateFailedJob(job);
    } catch (err) {
      if (isCancellation(err)) await CancellationScope.nonCancellable(() => this.cleanUpAfterCancel());
      else if (this.phase !== Phase.Succeeded && failureType(err) !== undefined) this.setPhase(Phase.Failed);
      throw err;
    } finally {
      this.publish();
    }
  }

  /** Reads the values an update will change (for its undo), then submits; the call itself cannot be cancelled. */
  private async submit(): Promise<SubmitOutcome> {
    this.setPhase(Phase.Submitting);
    const undo = this.spec.undo;
    this.publish();
    if (undo.kind === 'restore' && !this.before) {
      const { path } = fillPath(undo.readPath, this.fields);
      this.before = await readResourceActivity(`read ${path} before update`)(path);
    }
    const request = {
      operation: this.spec.name,
      input: this.fields,
      tenantId: this.tenantId,
      notBefore: workflowInfo().runStartTime.getTime() - 60_000, // NSE's clock may lag ours a little
    };
    const outcome = await submitOperation(this.summary, request, this.policy);
    if (outcome.kind === 'job') {
      this.jobId = outcome.job.id;
      this.lastJob = outcome.job;
      this.adopted = outcome.adopted;
    }
    return outcome;
  }

  /**
   * Polls until the job is terminal. Read failures the retry policy gave up on are counted and the loop goes on
   * until the deadline; a 404 after the job was seen ends the wait with `vanished`.
   */
  async waitForJob({ canContinueAsNew }: { canContinueAsNew: boolean }): Promise<WaitOutcome> {
    const jobId = this.jobId as string;
    const read = getJobActivity(this.policy, `read NSE job ${jobId}`);
    for (;;) {
      let job: Job | undefined;
      try {
        const request: GetJobInput = { jobId };
        if (this.policy.mode === PollMode.LongPoll) {
          request.longPollSeconds = this.policy.longPollSeconds;
          request.lastModified = this.lastJob?.updated || undefined;
        }
        if (this.policy.mode !== PollMode.Local) this.publish(); // a local read ends inside this workflow task
        job = await read(request);
      } catch (err) {
        if (isCancellation(err)) throw err;
        const type = failureType(err);
        if (type === FailureType.NseNotFound && this.lastJob) {
          // Like ONTAP, NSE may forget finished jobs: the object itself then tells how the job ended.
          const settled = await this.outcomeFromObject(this.lastJob);
          if (settled) this.lastJob = settled;
          this.changed();
          return settled ? { job: settled, vanished: false } : { job: this.lastJob, vanished: true };
        }
        if (type === FailureType.NseRejected || type === FailureType.NseNotFound) throw err;
        log.warn('NSE job read failed; polling goes on', { jobId, error: rootMessage(err) });
      }
      this.polls++;
      this.pollsThisRun++;
      countJobPoll(this.spec.name, this.policy.mode); // replay-aware: not re-emitted, no history event
      if (job) {
        const changed = job.updated !== this.lastJob?.updated || job.state !== this.lastJob?.state;
        if (!job.stateKnown && changed)
          log.warn('NSE job reports an unknown state; treated as running', { jobId, status: job.status });
        if (job.state === JobState.Warning && this.lastJob?.state !== JobState.Warning) this.warnings++;
        this.lastJob = job;
        if (isTerminal(job.state)) {
          countJobEnded(this.spec.name, job.state, Date.now() - this.startedAt);
          this.nextPollAt = undefined;
          this.changed();
          return { job, vanished: false };
        }
        // A long read that saw a change can read again at once; an unchanged one means NSE ignored the extension.
        if (this.policy.mode === PollMode.LongPoll && changed) {
          this.changed();
          continue;
        }
      }
      if (Date.now() + this.intervalMs > this.deadline) {
        throw failure(
          FailureType.PollDeadlineExceeded,
          `NSE job ${jobId} was still ${this.lastJob?.state ?? 'unknown'} after ${this.policy.timeoutMs} ms; ` +
            'it may still be running: check it in NSE before retrying or cleaning up',
          { jobId, objectId: this.lastJob?.objectId, state: this.lastJob?.state },
        );
      }
      if (
        canContinueAsNew &&
        (this.pollsThisRun >= this.policy.maxPollsPerRun || workflowInfo().continueAsNewSuggested)
      ) {
        await this.continueAsNew();
      }
      const delay = this.jittered(this.intervalMs);
      this.nextPollAt = Date.now() + delay;
      this.publish();
      await sleep(delay, { summary: `wait before reading NSE job ${jobId}` });
      this.intervalMs = Math.min(this.intervalMs * this.policy.backoffCoefficient, this.policy.maxIntervalMs);
    }
  }

  /** Spreads polls of many runs apart; Math.random is seeded per run, so replay draws the same numbers. */
  private jittered(intervalMs: number): number {
    const spread = intervalMs * this.policy.jitterRatio;
    return Math.max(1, Math.round(intervalMs - spread + Math.random() * 2 * spread));
  }

  private async continueAsNew(): Promise<never> {
    this.publish(); // the next run starts from the search attributes this one carries
    log.info('continuing as new', { jobId: this.jobId, polls: this.polls });
    return await continueAsNew<typeof nseOperationWorkflow>({
      ...this.input,
      resume: {
        jobId: this.jobId as string,
        phase: this.phase,
        polls: this.polls,
        intervalMs: this.intervalMs,
        deadline: this.deadline,
        startedAt: this.startedAt,
        warnings: this.warnings,
        lastState: this.lastJob?.state ?? JobState.Pending,
        before: this.before,
      },
    });
  }

  /**
   * For a job NSE no longer keeps, reads the object it acted on: a created object that is `Operational` (or a
   * deleted one that is gone) means the job succeeded, `Contact support` means it failed. Anything else, or an
   * operation whose object cannot be read back, is left undecided (undefined).
   */
  private async outcomeFromObject(job: Job): Promise<Job | undefined> {
    let path: string;
    if (this.spec.verb === 'create' && job.objectId && !this.spec.path.includes('{'))
      path = `${this.spec.path}/${encodeURIComponent(job.objectId)}`;
    else if (this.spec.verb === 'delete' && !this.spec.path.includes('/snapshot/'))
      path = fillPath(this.spec.path, this.fields).path;
    else return undefined;
    let objectState: unknown;
    this.publish();
    try {
      objectState = (await readResourceActivity(`read ${path} after its job vanished`)(path)).state;
    } catch (err) {
      if (isCancellation(err) || failureType(err) !== FailureType.NseNotFound) throw err;
      objectState = 'gone';
    }
    const outcomes: Record<string, JobState | undefined> =
      this.spec.verb === 'create'
        ? { Operational: JobState.Normal, 'Contact support': JobState.Error }
        : { gone: JobState.Normal, Operational: JobState.Error, 'Contact support': JobState.Error };
    const state = typeof objectState === 'string' ? outcomes[objectState] : undefined;
    if (!state) return undefined;
    log.warn('NSE job vanished; outcome taken from its object', { jobId: job.id, objectState });
    const statusDetail = `job no longer kept by NSE; object ${path} is ${String(objectState)}`;
    return { ...job, state, stateKnown: true, statusDetail, lastError: state === JobState.Error ? statusDetail : '' };
  }

  private vanishedFailure(job: Job): ApplicationFailure {
    return failure(
      FailureType.JobVanished,
      `NSE job ${job.id} (${this.summary}) answered 404 after it was seen ${job.state}; NSE no longer keeps it: ` +
        `check object ${job.objectId || '(none)'} by hand`,
      { jobId: job.id, objectId: job.objectId, lastState: job.state },
    );
  }

  /** Undoes a job that ended ERROR or PARTIAL_FAILURES and returns the failure the run ends with. */
  private async compensateFailedJob(job: Job): Promise<ApplicationFailure> {
    const message = `NSE job ${job.id} (${this.summary}) ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
    try {
      this.compensation = await CancellationScope.nonCancellable(() => this.undo(job));
    } catch (err) {
      this.compensation = { outcome: 'failed', message: `undo failed: ${rootMessage(err)}` };
      countCompensation(this.spec.name, 'job-failed', 'failed');
      this.setPhase(Phase.Failed);
      return failure(FailureType.CompensationFailed, `${message}; then compensation failed: ${rootMessage(err)}`, {
        job,
        compensation: this.compensation,
      });
    }
    countCompensation(this.spec.name, 'job-failed', this.compensation.outcome);
    this.setPhase(Phase.Failed);
    const note =
      this.compensation.outcome === 'manual-cleanup-needed'
        ? `; manual clean-up needed: ${this.compensation.message}`
        : '';
    return failure(FailureType.NseJobFailed, `${message}${note}`, { job, compensation: this.compensation });
  }

  /**
   * What undoing this operation takes, from the catalogue: another operation to run, or only a report (nothing to
   * undo, or NSE has no undo and the object needs manual clean-up). For a partial failure the created object holds
   * what the successful tasks made, so deleting it undoes them too.
   */
  undoStep(job: Job): UndoStep {
    const undo = this.spec.undo;
    const objectId = job.objectId || undefined;
    if (undo.kind === 'none') {
      if (this.spec.verb !== 'create' || !objectId)
        return { kind: 'report', report: { outcome: 'not-needed', message: undo.reason } };
      const message = `${this.spec.resource} ${objectId}: ${undo.reason}`;
      return { kind: 'report', report: { outcome: 'manual-cleanup-needed', objectId, message } };
    }
    if (undo.kind === 'restore') {
      if (!this.before)
        return { kind: 'report', report: { outcome: 'not-needed', message: 'nothing was read before the update' } };
      return { kind: 'run', operation: undo.operation, input: undo.restoreInput(this.fields, this.before), objectId };
    }
    if (!objectId && !this.spec.path.includes('{')) {
      return { kind: 'report', report: { outcome: 'not-needed', message: 'NSE created no object' } };
    }
    return { kind: 'run', operation: undo.operation, input: undo.input(this.fields, objectId ?? ''), objectId };
  }

  /** Runs {@link undoStep} through the same submit-and-poll machinery. */
  private async undo(job: Job): Promise<CompensationReport> {
    const step = this.undoStep(job);
    if (step.kind === 'report') return step.report;
    this.compensation = { outcome: 'compensated', operation: step.operation, message: `running ${step.operation}` };
    this.setPhase(Phase.Compensating);
    this.publish();
    let undoJob: Job | undefined;
    try {
      undoJob = await runNestedOperation(step.operation, step.input, this.tenantId, this.policy);
    } catch (err) {
      // An undo that deletes something NSE no longer has has nothing left to do (a failed job may clean up itself).
      if (failureType(err) !== FailureType.NseNotFound || findOperation(step.operation)?.verb !== 'delete') throw err;
      return {
        outcome: 'not-needed',
        operation: step.operation,
        objectId: step.objectId,
        message: `${step.operation}: already gone (404)`,
      };
    }
    return {
      outcome: 'compensated',
      operation: step.operation,
      jobId: undoJob?.id,
      objectId: step.objectId,
      message: `${step.operation} ${undoJob ? `job ${undoJob.id} ended NORMAL` : 'answered synchronously'}`,
    };
  }

  /** After a cancel: let an accepted job finish (NSE cannot cancel jobs), then undo what it did. */
  private async cleanUpAfterCancel(): Promise<void> {
    if (this.jobId && this.phase !== Phase.Compensating && this.phase !== Phase.Failed) {
      this.setPhase(Phase.Polling);
      try {
        const { job, vanished } = await this.waitForJob({ canContinueAsNew: false });
        if (!vanished && (job.state === JobState.Normal || isFailed(job.state))) {
          this.compensation = await this.undo(job);
        }
      } catch (err) {
        this.compensation = { outcome: 'failed', message: `clean-up after cancel failed: ${rootMessage(err)}` };
        log.error('clean-up after cancel failed', { jobId: this.jobId, error: rootMessage(err) });
      }
    }
    if (this.compensation) countCompensation(this.spec.name, 'cancelled', this.compensation.outcome);
    this.nextPollAt = undefined;
    this.setPhase(Phase.Cancelled);
  }
}

/**
 * Submits one operation and waits for its job, for compensation inside another run. Throws when the job does
 * not end NORMAL, so the caller reports `CompensationFailed`. Returns undefined for a synchronous answer.
 */
export async function runNestedOperation(
  operation: string,
  input: Record<string, unknown>,
  tenantId: string | undefined,
  policy: PollPolicy,
): Promise<Job | undefined> {
  const { spec, fields } = parseOperationFields(operation, input);
  const nestedPolicy = { ...policy, timeoutMs: DEFAULT_POLL_POLICY.timeoutMs };
  const nested = new OperationRun(
    spec,
    fields,
    tenantId,
    nestedPolicy,
    { operation, input: fields },
    { publishes: false },
  );
  const request = { operation, input: fields, tenantId, notBefore: Date.now() - 60_000 };
  const outcome = await submitOperation(nested.summary, request, nestedPolicy);
  if (outcome.kind === 'sync') return undefined;
  nested.jobId = outcome.job.id;
  nested.lastJob = outcome.job;
  const { job, vanished } = await nested.waitForJob({ canContinueAsNew: false });
  if (vanished || job.state !== JobState.Normal) {
    const ending = vanished ? 'answered 404' : `ended ${job.state}${job.lastError ? `: ${job.lastError}` : ''}`;
    throw failure(FailureType.CompensationFailed, `${operation} job ${job.id} ${ending}`, { jobId: job.id });
  }
  return job;
}

/** Runs one NSE asynchronous call to its end; see the module comment for the durable behaviour. */
export async function nseOperationWorkflow(input: OperationInput): Promise<OperationResult> {
  const { spec, fields, tenantId, policy } = parseOperationInput(input);
  const run = new OperationRun(spec, fields, tenantId, policy, input);
  setHandler(operationStatusQuery, () => run.status());
  return await run.execute();
}
