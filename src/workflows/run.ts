/**
 * The state of one operation run, in one place: the submit, the poll loop, compensation, the run's view and any
 * update handler read and change this object. Everything a continued run needs is copied into `resume`.
 * @module
 */
import { boundedText, isWellFormed } from '../shared/entry-gate';
import { JobState, type Job } from '../shared/nse-types';
import { describeOperation, type OperationSpec } from '../shared/operations';
import type { ValidOperation } from '../shared/validation';
import {
  Phase,
  type CompensationReport,
  type Decision,
  type OnFailure,
  type OperationInput,
  type PollPolicy,
  type ResumeState,
} from '../shared/workflow-api';
import { NsePriority, type NseCall } from './nse-calls';
import { NO_PROGRESS, type Progress } from './progress';

/** Mutable state of one run (or of an undo run nested inside it). */
export class OperationRun {
  readonly spec: OperationSpec;
  readonly fields: Record<string, unknown>;
  readonly tenantId: string | undefined;
  /** The poll policy; an update may change it while the run waits. */
  policy: PollPolicy;
  /**
   * What the run shows as its call (activity summaries, details, the status query, failure messages): the operation
   * alone (`create disk`) until the worker scrubbed the full one of its secrets (./scrub `scrubRunSummary`).
   */
  summary: string;
  phase: Phase = Phase.Validating;
  jobId: string | undefined;
  lastJob: Job | undefined;
  /** Reads of the job across continue-as-new, and in this run alone. */
  polls = 0;
  pollsThisRun = 0;
  warnings = 0;
  intervalMs: number;
  /** When the wait for the job gives up (workflow clock, ms); an update may move it. */
  deadline: number;
  readonly startedAt: number;
  nextPollAt: number | undefined;
  /** Values read before an update, for its undo. */
  before: Record<string, unknown> | undefined;
  compensation: CompensationReport | undefined;
  /** A cancel arrived: the run waits for its job to end, then undoes it. */
  cancelRequested = false;
  adopted = false;
  /** Job reads that got no job (any answer but the job; the loop goes on), and the last such answer. */
  readErrors = 0;
  lastReadError: string | undefined;
  /** State words the table did not know, each logged once. */
  readonly unknownStateWords = new Set<string>();
  /** What a failed job gets; for `hold`, how long to wait and what to decide then. */
  readonly onFailure: OnFailure;
  readonly holdTimeoutMs: number;
  readonly holdDefault: Decision;
  /** Set by the `decide` update (or the hold's default) while the run awaits a decision. */
  decision: Decision | undefined;
  decisionDueAt: number | undefined;
  /** While `nse-flow pause` holds the run's next NSE call: since when (workflow clock, ms), and the phase it left. */
  pausedSince: number | undefined;
  private phaseBeforePause: Phase = Phase.Validating;
  /** An undo run (nested in its owning run, or a plan's step undo): all its NSE calls go first. */
  undoRun = false;
  /** The undo run nested in this one while it waits for its job (a pause of its calls shows on this run). */
  undoInFlight: OperationRun | undefined;
  /** Publishes this state; {@link NO_PROGRESS} until the workflow attaches its publisher. */
  progress: Progress = NO_PROGRESS;

  constructor(
    valid: ValidOperation,
    /** The input as the caller gave it; continue-as-new passes it on. */
    readonly input: OperationInput,
  ) {
    this.spec = valid.spec;
    this.fields = valid.fields;
    this.tenantId = valid.tenantId;
    this.policy = valid.policy;
    this.onFailure = valid.onFailure;
    this.holdTimeoutMs = valid.holdTimeoutMs;
    this.holdDefault = valid.holdDefault;
    this.summary = describeOperation(this.spec, {});
    const resume: ResumeState | undefined = valid.resume;
    this.startedAt = resume?.startedAt ?? Date.now(); // Date.now() is the deterministic workflow clock
    this.deadline = resume?.deadline ?? this.startedAt + this.policy.timeoutMs;
    this.intervalMs = resume?.intervalMs ?? this.policy.initialIntervalMs;
    if (resume) {
      this.jobId = resume.jobId;
      this.phase = resume.phase;
      this.polls = resume.polls;
      this.warnings = resume.warnings;
      this.before = resume.before;
      this.lastJob = resumedJob(resume);
      this.readErrors = resume.readErrors ?? 0;
      this.lastReadError = resume.lastReadError;
      for (const word of resume.unknownStateWords ?? []) this.unknownStateWords.add(word);
    }
  }

  /** What a continued run carries over (see {@link ResumeState}). */
  resumeState(): ResumeState {
    return {
      jobId: this.jobId as string,
      phase: this.phase,
      polls: this.polls,
      intervalMs: this.intervalMs,
      deadline: this.deadline,
      startedAt: this.startedAt,
      warnings: this.warnings,
      lastState: this.lastJob?.state ?? JobState.Pending,
      // NSE's record stays behind: the next run reads the job again. What it needs before then fits the schema.
      ...fitting('lastUpdated', this.lastJob?.updated, 64),
      ...fitting('objectId', this.lastJob?.objectId, 255),
      before: this.before,
      readErrors: this.readErrors,
      lastReadError: this.lastReadError === undefined ? undefined : boundedText(this.lastReadError, 2048),
      unknownStateWords: [...this.unknownStateWords].slice(0, 16).map((word) => boundedText(word, 128)),
    };
  }

  /** Who this run's NSE calls are for, and at which priority (an undo run's at the undo's). */
  nseCall(): NseCall {
    return { tenantId: this.tenantId, priority: this.undoRun ? NsePriority.Compensation : NsePriority.Call };
  }

  setPhase(phase: Phase): void {
    this.phase = phase;
    this.progress.changed();
  }

  /** Shows `paused` while an NSE call of this run (or of its undo) waits for `resume`, then the phase it left. */
  showPaused(paused: boolean): void {
    if (paused === (this.pausedSince !== undefined)) return;
    if (paused) {
      this.phaseBeforePause = this.phase;
      this.pausedSince = Date.now();
      this.setPhase(Phase.Paused);
    } else {
      // Time held by a pause is not the job's: the deadline of the wait it held (this run's, or its undo's) moves by it.
      const heldMs = Date.now() - (this.pausedSince as number); // set: the guard above returned otherwise
      this.deadline += heldMs;
      if (this.undoInFlight) this.undoInFlight.deadline += heldMs;
      this.pausedSince = undefined;
      this.setPhase(this.phaseBeforePause);
    }
    this.progress.publish(); // before the wait: the UI shows it while the run waits
  }
}

/** `{ [key]: text }` when NSE's `text` fits the continue-as-new schema (at most `max` well-formed characters). */
function fitting<K extends string>(key: K, text: string | undefined, max: number): Partial<Record<K, string>> {
  return text && text.length <= max && isWellFormed(text) ? ({ [key]: text } as Record<K, string>) : {};
}

/** The job as a continued run knows it until its first read: id, state, when it last changed and its object. */
function resumedJob(resume: ResumeState): Job {
  return {
    id: resume.jobId,
    action: '',
    summary: '',
    objectId: resume.objectId ?? '',
    objectType: '',
    objectName: '',
    state: resume.lastState,
    stateKnown: true,
    status: '',
    statusDetail: '',
    lastError: '',
    userId: '',
    created: '',
    updated: resume.lastUpdated ?? '',
    tasks: [],
    raw: {},
  };
}
