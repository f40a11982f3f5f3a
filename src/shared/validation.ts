/**
 * Validation of workflow input, run inside the workflow before any activity: a bad input fails the run at once
 * with a non-retryable `InvalidInput` failure that names the field, and NSE is never called.
 * @module
 */
import * as z from 'zod/mini';
import { admit, MAX_INPUT_BYTES } from './entry-gate';
import { invalidInput } from './failures';
import { JobState } from './nse-types';
import { findOperation, OPERATION_NAMES, type OperationSpec } from './operations';
import {
  DEFAULT_HOLD_TIMEOUT_MS,
  DEFAULT_POLL_POLICY,
  Phase,
  PollMode,
  type Decision,
  type OnFailure,
  type OperationInput,
  type PollPolicy,
  type ResumeState,
} from './workflow-api';

const int = (min: number, max?: number) =>
  z.number().check(z.int(), z.minimum(min), ...(max === undefined ? [] : [z.maximum(max)]));
const boundedText = () => z.string().check(z.minLength(1), z.maxLength(64));

/** The poll policy a caller may set (every field optional); built on each call, as every schema here. */
export function pollPolicySchema() {
  return z.partial(
    z.strictObject({
      mode: z.enum([PollMode.Local, PollMode.Activity, PollMode.LongPoll]),
      initialIntervalMs: int(1, 3_600_000),
      maxIntervalMs: int(1, 86_400_000),
      backoffCoefficient: z.number().check(z.minimum(1), z.maximum(10)),
      jitterRatio: z.number().check(z.minimum(0), z.maximum(0.5)),
      timeoutMs: int(1, 365 * 86_400_000),
      maxPollsPerRun: int(1, 10_000),
      longPollSeconds: int(1, 120),
      submitTimeoutMs: int(1_000, 86_400_000),
    }),
  );
}

/** Largest record read before an update that a run keeps for its undo, as JSON. */
export const MAX_BEFORE_BYTES = 256 * 1024;
/** Largest continue-as-new state: the record read before an update and a few bounded fields. */
const MAX_RESUME_BYTES = MAX_BEFORE_BYTES + 16 * 1024;

const nseIdText = () =>
  z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be an NSE id (letters, digits, _ . : -)'));

/**
 * What a run carries into its continuation (`ResumeState`): ids and what the next run needs, each bounded so that
 * whatever the workflow writes the gate admits again (see `OperationRun.resumeState`). Any caller can send it too,
 * so it is checked like the rest, against its own size limit, never the caller-input limit: its job id goes into an
 * NSE path and decides which job the run follows (and may undo).
 */
export const resumeSchema = () =>
  z.strictObject({
    jobId: nseIdText(),
    phase: z.enum(Phase),
    polls: int(0),
    intervalMs: z.number().check(z.positive(), z.maximum(86_400_000)),
    deadline: z.number().check(z.minimum(0)),
    startedAt: z.number().check(z.minimum(0)),
    warnings: int(0),
    lastState: z.enum(JobState),
    /** The job's `updated` as last read (a long poll asks for changes after it). */
    lastUpdated: z.optional(z.string().check(z.maxLength(64))),
    /** The object the job acts on, as last read (a job NSE forgot is judged by its object). */
    objectId: z.optional(z.string().check(z.maxLength(255))),
    before: z.optional(z.record(z.string(), z.unknown())),
    readErrors: z.optional(int(0)),
    lastReadError: z.optional(z.string().check(z.maxLength(2048))),
    unknownStateWords: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(16))),
  });

/**
 * The workflow input's envelope without `resume` (`input` is checked apart, by operation). Every workflow run loads this module:
 * schemas are built when an input is checked, never at load.
 */
export const operationInputSchema = () =>
  z.strictObject({
    operation: boundedText(),
    input: z.record(z.string(), z.unknown()),
    tenantId: z.optional(boundedText()),
    poll: z.optional(pollPolicySchema()),
    onFailure: z.optional(z.enum(['compensate', 'hold'])),
    holdTimeoutMs: z.optional(int(1, 365 * 86_400_000)),
    holdDefault: z.optional(z.enum(['compensate', 'keep'])),
    signalParentWhenAccepted: z.optional(z.boolean()),
  });

/** A validated operation: its spec, the parsed fields and the full poll policy. */
export interface ValidOperation {
  spec: OperationSpec;
  /** The continue-as-new state, as admitted (see {@link resumeSchema}). */
  resume?: ResumeState;
  fields: Record<string, unknown>;
  tenantId: string | undefined;
  policy: PollPolicy;
  /** What a failed job gets, and for `hold` how long to wait and what to decide then. */
  onFailure: OnFailure;
  holdTimeoutMs: number;
  holdDefault: Decision;
}

/** Validates the fields of one catalogue operation; throws `InvalidInput` naming the first bad fields. */
export function parseOperationFields(
  operation: unknown,
  fields: unknown,
  where = 'input',
): { spec: OperationSpec; fields: Record<string, unknown> } {
  const spec = typeof operation === 'string' ? findOperation(operation) : undefined;
  if (!spec)
    throw invalidInput(`operation: unknown operation '${String(operation)}' (known: ${OPERATION_NAMES.join(', ')})`);
  return { spec, fields: admitFields(spec.name, spec.schema, fields, where) };
}

/** The fields of an `operation`'s call, through the gate with its `schema`; messages name the operation. */
export function admitFields(
  operation: string,
  schema: OperationSpec['schema'],
  fields: unknown,
  where: string,
): Record<string, unknown> {
  try {
    return admit(schema, fields, { where });
  } catch (err) {
    throw invalidInput(`${operation}: ${(err as Error).message}`);
  }
}

/**
 * Validates {@link OperationInput}; throws a non-retryable `InvalidInput` failure naming the field. The caller's
 * part is held to {@link MAX_INPUT_BYTES}; the continue-as-new state (`resume`) to its own schema and limit.
 */
export function parseOperationInput(raw: unknown): ValidOperation {
  // The whole input first (no key may set a prototype: the split below copies keys one by one), then each part.
  admit(z.unknown(), raw, { where: '(input)', maxBytes: MAX_INPUT_BYTES + MAX_RESUME_BYTES });
  const resume = isObject(raw) ? raw.resume : undefined;
  const callerPart = isObject(raw) ? Object.fromEntries(Object.entries(raw).filter(([key]) => key !== 'resume')) : raw;
  const envelope = admit(operationInputSchema(), callerPart, { where: '(input)' });
  const input: OperationInput = {
    ...(envelope as OperationInput),
    ...(resume === undefined
      ? {}
      : { resume: admit(resumeSchema(), resume, { where: 'resume', maxBytes: MAX_RESUME_BYTES }) }),
  };
  const { spec, fields } = parseOperationFields(input.operation, input.input);
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...input.poll };
  if (policy.maxIntervalMs < policy.initialIntervalMs)
    throw invalidInput('poll.maxIntervalMs: must be at least initialIntervalMs');
  return {
    spec,
    fields,
    ...(resume === undefined
      ? {}
      : { resume: admit(resumeSchema(), resume, { where: 'resume', maxBytes: MAX_RESUME_BYTES }) }),
    tenantId: input.tenantId,
    policy,
    onFailure: input.onFailure ?? 'compensate',
    holdTimeoutMs: input.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS,
    holdDefault: input.holdDefault ?? 'compensate',
  };
}

/**
 * The values an update's undo needs from the record read before it (the fields the update sets, as the activity
 * picked them), through the gate with their own size limit. They are read before the update is submitted, so values
 * that do not fit fail the run with nothing done, never a run NSE accepted.
 */
export function admitBefore(record: Record<string, unknown>): Record<string, unknown> {
  return admit(z.record(z.string(), z.unknown()), record, {
    where: 'the record read before the update',
    maxBytes: MAX_BEFORE_BYTES,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
