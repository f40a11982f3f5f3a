/**
 * Validation of workflow input, run inside the workflow before any activity: a bad input fails the run at once
 * with a non-retryable `InvalidInput` failure that names the field, and NSE is never called.
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import * as z from 'zod/mini';
import { FailureType, invalidInput } from './failures';
import { JobState } from './nse-types';
import { findOperation, OPERATION_NAMES, type OperationSpec } from './operations';
import { safeParse, type SchemaError } from './zod-kit';
import {
  DEFAULT_HOLD_TIMEOUT_MS,
  DEFAULT_POLL_POLICY,
  Phase,
  PollMode,
  type Decision,
  type OnFailure,
  type OperationInput,
  type PollPolicy,
} from './workflow-api';

/** Largest accepted input, as JSON: workflow input lives in history, and NSE bodies are small. */
export const MAX_INPUT_BYTES = 64 * 1024;

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

/**
 * What a run carries into its continuation. The workflow writes it, but any caller can send it too, so it is checked
 * like the rest: its job id goes into an NSE path and decides which job the run follows (and may undo).
 */
const resumeSchema = () =>
  z.strictObject({
    jobId: z
      .string()
      .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be an NSE id (letters, digits, _ . : -)')),
    phase: z.enum(Phase),
    polls: int(0),
    intervalMs: z.number().check(z.positive()),
    deadline: z.number(),
    startedAt: z.number(),
    warnings: int(0),
    lastState: z.enum(JobState),
    before: z.optional(z.record(z.string(), z.unknown())),
    failedJob: z.optional(z.record(z.string(), z.unknown())),
    lastJob: z.optional(z.record(z.string(), z.unknown())),
    readErrors: z.optional(int(0)),
    lastReadError: z.optional(z.string().check(z.maxLength(2048))),
    unknownStateWords: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(16))),
  });

/**
 * The workflow input's envelope (`input` is checked apart, by operation). Every workflow run loads this module:
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
    resume: z.optional(resumeSchema()),
  });

/** A validated operation: its spec, the parsed fields and the full poll policy. */
export interface ValidOperation {
  spec: OperationSpec;
  fields: Record<string, unknown>;
  tenantId: string | undefined;
  policy: PollPolicy;
  /** What a failed job gets, and for `hold` how long to wait and what to decide then. */
  onFailure: OnFailure;
  holdTimeoutMs: number;
  holdDefault: Decision;
}

/** Formats zod issues as `input.size_gb: Invalid input: expected number` lines. */
export function formatIssues(error: SchemaError, prefix = ''): string {
  const lines = error.issues.map((issue) => {
    const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${where || '(input)'}: ${issue.message}`;
  });
  // A field's own rule and the path-segment rule may say the same thing twice.
  return [...new Set(lines)].join('; ');
}

/** Deepest nesting of objects and arrays accepted anywhere in workflow input (NSE bodies nest a few levels). */
export const MAX_DEPTH = 32;

/** Most values (of any kind) one input may hold; checked before anything walks it. */
export const MAX_VALUES = 100_000;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks that `value` is plain JSON data within the limits, before anything else walks it: at most
 * {@link MAX_DEPTH} levels of nesting and {@link MAX_VALUES} values (checked without recursion, so no input can
 * exhaust the stack), no keys that could pollute prototypes, and at most `maxBytes` as JSON. Throws `InvalidInput`
 * and nothing else: in a workflow any other error fails the task, which is retried forever.
 */
export function assertWithinLimits(value: unknown, where: string, maxBytes: number = MAX_INPUT_BYTES): void {
  try {
    walkWithinLimits(value, where);
  } catch (err) {
    throw asInvalidInput(err, `${where}: must be plain JSON`);
  }
  let size: number;
  try {
    // Safe now: the walk has bounded its depth and its size.
    size = JSON.stringify(value)?.length ?? 0;
  } catch {
    throw invalidInput(`${where}: must be plain JSON`);
  }
  if (size > maxBytes) throw invalidInput(`${where}: ${size} bytes is more than the ${maxBytes} allowed`);
}

function walkWithinLimits(root: unknown, where: string): void {
  const pending: { node: unknown; at: string; depth: number }[] = [{ node: root, at: where, depth: 0 }];
  let values = 1;
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, at, depth } = next;
    const kind = typeof node;
    if (kind === 'function' || kind === 'symbol' || kind === 'bigint') throw invalidInput(`${at}: must be plain JSON`);
    if (node === null || kind !== 'object') continue;
    if (depth >= MAX_DEPTH) throw invalidInput(`${at}: nested more than ${MAX_DEPTH} levels deep`);
    const keys = Array.isArray(node) ? undefined : Object.keys(node as object);
    values += keys ? keys.length : (node as unknown[]).length;
    if (values > MAX_VALUES) throw invalidInput(`${where}: holds more than ${MAX_VALUES} values`);
    if (keys === undefined) {
      (node as unknown[]).forEach((item, index) =>
        pending.push({ node: item, at: `${at}[${index}]`, depth: depth + 1 }),
      );
      continue;
    }
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) throw invalidInput(`${at}.${key}: key not allowed`);
      pending.push({ node: (node as Record<string, unknown>)[key], at: `${at}.${key}`, depth: depth + 1 });
    }
  }
}

/** `err` when it is already an `InvalidInput` failure, else an `InvalidInput` failure with `message`. */
function asInvalidInput(err: unknown, message: string): ApplicationFailure {
  return err instanceof ApplicationFailure && err.type === FailureType.InvalidInput ? err : invalidInput(message);
}

/**
 * Runs a validation step so that whatever goes wrong inside it (a getter that throws, a library's own error) comes
 * out as `InvalidInput`, the only error validation may throw.
 */
export function validating<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw asInvalidInput(err, `${where}: could not be validated`);
  }
}

/** Validates the fields of one catalogue operation; throws `InvalidInput` naming the first bad fields. */
export function parseOperationFields(
  operation: string,
  fields: unknown,
  where = 'input',
): { spec: OperationSpec; fields: Record<string, unknown> } {
  const spec = typeof operation === 'string' ? findOperation(operation) : undefined;
  if (!spec) throw invalidInput(`operation: unknown operation '${operation}' (known: ${OPERATION_NAMES.join(', ')})`);
  assertWithinLimits(fields, where);
  return validating(where, () => {
    const parsed = safeParse(spec.schema, fields);
    if (!parsed.success) throw invalidInput(`${operation}: ${formatIssues(parsed.error, where)}`);
    return { spec, fields: parsed.data };
  });
}

/** Validates {@link OperationInput}; throws a non-retryable `InvalidInput` failure naming the field. */
export function parseOperationInput(raw: unknown): ValidOperation {
  assertWithinLimits(raw, '(input)');
  const input = validating('(input)', () => {
    const parsed = safeParse(operationInputSchema(), raw);
    if (!parsed.success) throw invalidInput(formatIssues(parsed.error));
    return parsed.data as OperationInput;
  });
  const { spec, fields } = parseOperationFields(input.operation, input.input);
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...input.poll };
  if (policy.maxIntervalMs < policy.initialIntervalMs)
    throw invalidInput('poll.maxIntervalMs: must be at least initialIntervalMs');
  if (input.resume?.lastJob && input.resume.lastJob.id !== input.resume.jobId)
    throw invalidInput('resume.lastJob.id: must be resume.jobId');
  return {
    spec,
    fields,
    tenantId: input.tenantId,
    policy,
    onFailure: input.onFailure ?? 'compensate',
    holdTimeoutMs: input.holdTimeoutMs ?? DEFAULT_HOLD_TIMEOUT_MS,
    holdDefault: input.holdDefault ?? 'compensate',
  };
}
