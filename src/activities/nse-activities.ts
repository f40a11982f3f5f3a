/**
 * Activities: every NSE call the workflows make. They close over one long-lived {@link NseClient} and turn its
 * errors into Temporal failures the retry policy understands. What they return is already redacted.
 * @module
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { countJobPoll, countNseRequestError, countSubmitAdoption } from './metrics';
import type { NseClient } from '../nse/client';
import { NseError, NseHttpError, NseProtocolError, NseUnsafePathError } from '../nse/errors';
import { FailureType, rootMessage } from '../shared/failures';
import { collectSecrets, findSecretProperty, scrubText } from '../common/redact';
import {
  buildRequest,
  describeOperation,
  findOperation,
  type NseRequest,
  type OperationSpec,
} from '../shared/operations';
import { UnsafePathValueError } from '../shared/nse-paths';
import { ACTIVITY_INPUTS } from '../shared/activity-inputs';
import { isTerminal, type Job } from '../shared/nse-types';
import { intervalAfter, jittered } from '../shared/poll-interval';
import { findSubmittedJob, lookUpExisting, type ExistingObject } from './adoption';
import { assertNotPaused } from './pause-check';
import type {
  AwaitJobChangeInput,
  ControlActivities,
  JobChange,
  NseActivities,
  SubmitOperationInput,
  SubmitOutcome,
} from './types';
import { wakePausedRuns } from './wake-paused-runs';

/** Built once in worker.ts; activities close over long-lived dependencies. The control workflow's ride along. */
export function createActivities({
  nse,
  payloadsEncrypted = false,
}: {
  nse: NseClient;
  /** True when the worker seals payloads with the codec (NSE_FLOW_CODEC_KEYS): history may then carry secrets. */
  payloadsEncrypted?: boolean;
}): NseActivities & ControlActivities {
  // Each activity admits its arguments first (src/shared/activity-inputs.ts): any workflow may schedule it.
  return {
    wakePausedRuns: async (...args: unknown[]) => await wakePausedRuns(ACTIVITY_INPUTS.wakePausedRuns(args)),

    async submitOperation(...args: unknown[]) {
      const request = ACTIVITY_INPUTS.submitOperation(args);
      const spec = requireOperation(request.operation);
      const { attempt } = Context.current().info;
      const signal = Context.current().cancellationSignal;
      // Only a first attempt waits for a pause: a retry must go on, as an earlier attempt may have reached NSE.
      if (attempt === 1) await assertNotPaused();
      return await whileHeartbeating(async () => {
        if (attempt > 1) {
          // An earlier attempt may have reached NSE before its answer was lost: never create a second resource.
          const existing = await findSubmittedJob(nse, spec, request, signal).catch(rethrowLookupFailure);
          if (existing) {
            log.warn('adopting NSE job created by an earlier attempt', { jobId: existing.id, attempt });
            countSubmitAdoption(spec.name);
            return { kind: 'job', httpStatus: 202, job: existing, adopted: true };
          }
        }
        const { method, path, body } = buildSafeRequest(spec, request.input);
        log.info('submitting NSE operation', { operation: spec.name, summary: describeOperation(spec, request.input) });
        try {
          return { ...(await nse.submit(method, path, body, { signal })), adopted: false };
        } catch (err) {
          // A create told "already exists": a retry may be told about what its own earlier attempt made; a first
          // attempt never is, and fails naming the object in its way.
          const exists = err instanceof NseHttpError && (err.status === 409 || err.status === 412);
          // NSE's messages may quote the request: its secret values are scrubbed from them too.
          const secrets = collectSecrets(body);
          if (!exists || spec.verb !== 'create') return rethrowAsFailure(err, secrets);
          return await adoptExisting(nse, spec, request, signal, err, attempt > 1, secrets);
        }
      });
    },

    async findSubmittedJob(...args: unknown[]) {
      const request = ACTIVITY_INPUTS.findSubmittedJob(args);
      const spec = requireOperation(request.operation);
      const signal = Context.current().cancellationSignal;
      await assertNotPaused();
      const job = await whileHeartbeating(() =>
        findSubmittedJob(nse, spec, request, signal).catch(rethrowLookupFailure),
      );
      if (job) {
        log.warn('adopting NSE job created by the last submit attempt', { jobId: job.id });
        countSubmitAdoption(spec.name);
      }
      return job ?? null;
    },

    async getJob(...args: unknown[]) {
      const { jobId, longPollSeconds, lastModified } = ACTIVITY_INPUTS.getJob(args);
      const context = Context.current();
      await assertNotPaused();
      if (!longPollSeconds)
        return await nse.getJob(jobId, { signal: context.cancellationSignal }).catch(rethrowAsFailure);
      context.heartbeat();
      return await whileHeartbeating(() =>
        nse
          .getJob(jobId, { pollTimeoutSeconds: longPollSeconds, lastModified, signal: context.cancellationSignal })
          .catch(rethrowAsFailure),
      );
    },

    async awaitJobChange(...args: unknown[]) {
      return await awaitJobChange(nse, ACTIVITY_INPUTS.awaitJobChange(args));
    },

    async readResource(...args: unknown[]) {
      const { path, keep } = ACTIVITY_INPUTS.readResource(args);
      await assertNotPaused();
      const signal = Context.current().cancellationSignal;
      if (keep === undefined) return await nse.getResource(path, { signal }).catch(rethrowAsFailure);
      const record = await nse.getResourceAsStored(path, { signal }).catch(rethrowAsFailure);
      return keptForUndo(record, keep, path, payloadsEncrypted);
    },

    async scrubTexts(...args: unknown[]) {
      return await Promise.resolve(ACTIVITY_INPUTS.scrubTexts(args).map((text) => scrubText(text)));
    },
  };
}

/** Failures that end the call: the workflow decides (a vanished job, a path it must not read). */
const ENDS_THE_CALL: ReadonlySet<string> = new Set([FailureType.NseNotFound, FailureType.InvalidInput]);

/**
 * The `activity` poll mode's read, after Temporal's polling guidance: one attempt reads the job once; a job that did
 * not change fails the attempt with a retryable `JobUnchanged` whose `nextRetryDelay` is the next interval (capped,
 * jittered), so the server schedules the next read (through the rate-limited NSE task queue, like every NSE call)
 * and the run's history gets no event until the job changes or ends. Read faults are retried the same way (after
 * NSE's Retry-After when it sent one); a 400/403 is retried too, since it says nothing about the job NSE accepted.
 */
async function awaitJobChange(nse: NseClient, request: AwaitJobChangeInput): Promise<JobChange> {
  const { attempt } = Context.current().info;
  const delayMs = jittered(
    intervalAfter(request.intervalMs, attempt - 1, request.interval),
    request.interval.jitterRatio,
    Math.random(), // an activity, not workflow code: any random number will do
  );
  if (attempt === 1 && request.waitFirst) throw unchanged(request, 0, delayMs);
  const reads = request.waitFirst ? attempt - 1 : attempt;
  await assertNotPaused();
  let job: Job;
  try {
    countJobPoll(request.operation);
    job = await nse.getJob(request.jobId, { signal: Context.current().cancellationSignal });
  } catch (err) {
    const failure = asFailure(err);
    // A refusal (a proxy's login redirect, a firewall's 403, a 400) is the run's to count and show; it reads again.
    if (failure.type === FailureType.NseRejected) {
      return { attempts: attempt, readError: { type: failure.type, message: failure.message } };
    }
    throw retriedAfter(failure, delayMs);
  }
  const changed = job.state !== request.lastState || job.updated !== request.lastUpdated;
  if (changed || isTerminal(job.state)) return { job, attempts: attempt };
  throw unchanged(request, reads, delayMs);
}

/** The retry that schedules the next read: benign (no failure log or metric), its message a wait a person reads. */
function unchanged(request: AwaitJobChangeInput, reads: number, delayMs: number): ApplicationFailure {
  const state = request.lastState ?? 'unread';
  const read =
    reads === 0
      ? `just changed to ${state}`
      : `still ${state} (read ${reads === 1 ? 'once' : `${reads} times`} since its last change)`;
  return ApplicationFailure.create({
    type: FailureType.JobUnchanged,
    message: `NSE job ${request.jobId} ${read}`,
    details: [{ jobId: request.jobId, state: request.lastState, reads }],
    nextRetryDelay: delayMs,
    category: 'BENIGN',
  });
}

/** What an NSE client error becomes for the retry policy ({@link rethrowAsFailure}). */
function asFailure(err: unknown): ApplicationFailure {
  try {
    return rethrowAsFailure(err);
  } catch (failure) {
    return failure instanceof ApplicationFailure
      ? failure
      : ApplicationFailure.create({ type: FailureType.NseUnavailable, message: rootMessage(failure) });
  }
}

/**
 * A read fault retried after the interval (or NSE's Retry-After, if longer), unless it ends the call
 * ({@link ENDS_THE_CALL}: the run decides).
 */
function retriedAfter(failure: ApplicationFailure, delayMs: number): ApplicationFailure {
  if (ENDS_THE_CALL.has(failure.type ?? '')) return failure;
  const retryAfterMs = Number(failure.nextRetryDelay ?? 0);
  return ApplicationFailure.create({
    type: failure.type ?? FailureType.NseUnavailable,
    message: failure.message,
    details: failure.details ?? [],
    nextRetryDelay: Math.max(delayMs, Number.isFinite(retryAfterMs) ? retryAfterMs : 0),
  });
}

/**
 * The fields `keep` of the record an update's undo will send back to NSE, exactly as NSE has them: never redacted,
 * since a redacted value would corrupt the object the undo restores. They go into history (the activity's result):
 * sealed when payloads are encrypted; otherwise a field that holds a secret-named property is refused here, before
 * the update is sent, since its old value could neither stay out of clear-text history nor be restored without it.
 */
function keptForUndo(
  record: Record<string, unknown>,
  keep: readonly string[],
  path: string,
  payloadsEncrypted: boolean,
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const key of keep) {
    if (Object.prototype.hasOwnProperty.call(record, key)) {
      Object.defineProperty(kept, key, { value: record[key], enumerable: true, writable: true, configurable: true });
    }
  }
  const secret = payloadsEncrypted ? undefined : findSecretProperty(kept);
  if (secret !== undefined) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message:
        `the update was not sent: its undo would need the current value of ${secret} at ${path}, whose name marks ` +
        'it secret, and without payload encryption (NSE_FLOW_CODEC_KEYS on the worker) history would hold it in ' +
        'clear text; encrypt payloads, or change this field outside nse-flow',
    });
  }
  return kept;
}

/**
 * Heartbeats every 2 s while `work` runs, so a lost worker is noticed within the activity's heartbeat timeout instead
 * of its start-to-close timeout, and a cancellation reaches the request. A call that ends within 2 s sends none.
 */
async function whileHeartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), 2_000);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

function requireOperation(name: string): OperationSpec {
  const spec = findOperation(name);
  if (!spec) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidInput,
      nonRetryable: true,
      message: `unknown operation '${name}'`,
    });
  }
  return spec;
}

/**
 * A create answered 409/412: a retry (`mayAdopt`) adopts the job that made the existing object when it is ours;
 * otherwise the run fails naming the object, or with NSE's answer when no such object can be found.
 */
async function adoptExisting(
  nse: NseClient,
  spec: OperationSpec,
  request: SubmitOperationInput,
  signal: AbortSignal,
  answer: NseHttpError,
  mayAdopt: boolean,
  secrets: ReadonlySet<string>,
): Promise<SubmitOutcome> {
  const found = await lookUpExisting(nse, spec, request, signal).catch(rethrowLookupFailure);
  const existing: ExistingObject | undefined =
    found?.kind === 'adopt' && !mayAdopt
      ? { kind: 'not-ours', objectId: found.job.objectId, reason: 'it existed when this run first asked' }
      : found;
  if (existing?.kind === 'adopt') {
    log.warn('adopting the NSE job whose object a retried create found', { jobId: existing.job.id });
    countSubmitAdoption(spec.name);
    return { kind: 'job', httpStatus: 202, job: existing.job, adopted: true };
  }
  if (!existing) return rethrowAsFailure(answer, secrets);
  const said = nseSaid(answer, secrets);
  throw ApplicationFailure.create({
    type: FailureType.NseRejected,
    nonRetryable: true,
    message:
      `${scrubText(answer.message)}: ${spec.resource} ${existing.objectId} already exists and was not adopted ` +
      `(${existing.reason}); check it before retrying${saidText(said)}`,
    details: [{ status: answer.status, nseCode: answer.nseCode, objectId: existing.objectId, ...said }],
  });
}

/** The NSE call of an input; a value that would rewrite the path fails the run (non-retryable InvalidInput). */
function buildSafeRequest(spec: OperationSpec, input: Record<string, unknown>): NseRequest {
  try {
    return buildRequest(spec, input);
  } catch (err) {
    return rethrowAsFailure(err);
  }
}

/**
 * Translates the errors of a look-up for the job an earlier attempt may have created. Whatever NSE answers to that
 * look-up (a proxy's 302, a firewall's 403, a 400), it says nothing about whether the create happened, so it is never
 * final: the look-up (and with it the submit) is retried within the submit's time budget.
 */
function rethrowLookupFailure(err: unknown): never {
  try {
    rethrowAsFailure(err);
  } catch (failure) {
    if (failure instanceof ApplicationFailure && failure.nonRetryable) {
      throw ApplicationFailure.create({
        type: FailureType.NseUnavailable,
        message: `looking for the job of an earlier attempt: ${failure.message}`,
        details: failure.details ?? [],
      });
    }
    throw failure;
  }
}

/**
 * What NSE said about a refused call (its envelope's `user_message` and `verbose_message`), scrubbed like every text
 * that leaves the worker: of the process's credentials, of `requestSecrets` (values the request carried, which NSE's
 * messages may quote) and of secret shapes. Empty messages are left out.
 */
function nseSaid(
  err: NseHttpError,
  requestSecrets: ReadonlySet<string>,
): { userMessage?: string; verboseMessage?: string } {
  const scrub = (text: string | undefined): string | undefined =>
    text === undefined || text.trim() === '' ? undefined : scrubText(scrubText(text, requestSecrets));
  const userMessage = scrub(err.nseStatus?.userMessage);
  const verboseMessage = scrub(err.nseStatus?.verboseMessage);
  return {
    ...(userMessage === undefined ? {} : { userMessage }),
    ...(verboseMessage === undefined || verboseMessage === userMessage ? {} : { verboseMessage }),
  };
}

/** ` (NSE said: user message; verbose message)`, or '' when NSE said nothing. */
function saidText(said: { userMessage?: string; verboseMessage?: string }): string {
  const texts = [said.userMessage, said.verboseMessage].filter((text) => text !== undefined);
  return texts.length > 0 ? ` (NSE said: ${texts.join('; ')})` : '';
}

/**
 * Translates client errors for the retry policy. Anything unrecognised stays retryable. A refusal NSE explained
 * carries its explanation ({@link nseSaid}) in the message and the details.
 */
export function rethrowAsFailure(err: unknown, requestSecrets: ReadonlySet<string> = new Set()): never {
  countNseRequestError(err);
  // Messages end up in failures, history and logs: scrubbed of the worker's credentials and secret shapes.
  if (err instanceof Error) {
    err.message = scrubText(err.message);
    if (err.stack) err.stack = scrubText(err.stack);
  }
  if (err instanceof NseHttpError) {
    const said = nseSaid(err, requestSecrets);
    // Never headers or bodies: the status, NSE's code and what NSE said, scrubbed.
    const details = [{ status: err.status, nseCode: err.nseStatus?.code, ...said }];
    const because = saidText(said);
    if (err.status === 401) {
      // The client already signed in afresh and was refused again; NSE did nothing, so another attempt is safe.
      throw ApplicationFailure.create({
        type: FailureType.NseUnauthorized,
        message: `${err.message}${because}: NSE refused the worker's credentials; check them if this persists`,
        details,
      });
    }
    if (err.status === 404) {
      throw ApplicationFailure.create({
        type: FailureType.NseNotFound,
        nonRetryable: true,
        message: `${err.message}${because}`,
        details,
      });
    }
    if (!err.retryable) {
      throw ApplicationFailure.create({
        type: FailureType.NseRejected,
        nonRetryable: true,
        message: `${err.message}${because}`,
        details,
      });
    }
    throw ApplicationFailure.create({
      type: FailureType.NseUnavailable,
      message: `${err.message}${because}`,
      details,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  if (err instanceof NseUnsafePathError || err instanceof UnsafePathValueError) {
    throw ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message: err.message });
  }
  if (err instanceof NseProtocolError) {
    // A garbled answer is usually a proxy or a half-deployed NSE: worth another try, under its own name.
    throw ApplicationFailure.create({ type: FailureType.NseProtocolError, message: err.message });
  }
  if (err instanceof NseError)
    throw ApplicationFailure.create({ type: FailureType.NseUnavailable, message: err.message });
  throw err;
}
