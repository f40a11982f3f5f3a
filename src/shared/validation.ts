/**
 * Validation of workflow input, run inside the workflow before any activity: a bad input fails the run at once
 * with a non-retryable `InvalidInput` failure that names the field, and NSE is never called.
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import * as z from 'zod/mini';
import { FailureType } from './failures';
import { JobState } from './nse-types';
import { findOperation, OPERATION_NAMES, type OperationSpec } from './operations';
import { safeParse, type SchemaError } from './zod-kit';
import { DEFAULT_POLL_POLICY, Phase, PollMode, type OperationInput, type PollPolicy } from './workflow-api';

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
    resume: z.optional(resumeSchema()),
  });

/** A validated operation: its spec, the parsed fields and the full poll policy. */
export interface ValidOperation {
  spec: OperationSpec;
  fields: Record<string, unknown>;
  tenantId: string | undefined;
  policy: PollPolicy;
}

/** Formats zod issues as `input.size_gb: Invalid input: expected number` lines. */
export function formatIssues(error: SchemaError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${where || '(input)'}: ${issue.message}`;
    })
    .join('; ');
}

/** The failure every validation error becomes: non-retryable, so the run fails instead of retrying forever. */
export function invalidInput(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidInput, nonRetryable: true, message });
}

/** Checks that a value is plain JSON data without keys that could pollute prototypes. */
function assertPlainJson(value: unknown, where: string): void {
  let size: number;
  try {
    size = JSON.stringify(value)?.length ?? 0;
  } catch {
    throw invalidInput(`${where}: must be plain JSON`);
  }
  if (size > MAX_INPUT_BYTES) throw invalidInput(`${where}: ${size} bytes is more than the ${MAX_INPUT_BYTES} allowed`);
  assertNoPrototypeKeys(value, where);
}

/**
 * Rejects `__proto__`, `constructor` and `prototype` keys at any depth. Run it before zod: zod copies records by
 * assignment, so an own `__proto__` key (as `JSON.parse` makes it) would silently become the copy's prototype.
 */
export function assertNoPrototypeKeys(value: unknown, where: string): void {
  const visit = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((item, index) => visit(item, `${at}[${index}]`));
    if (node === null || typeof node !== 'object') return;
    for (const key of Object.keys(node)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype')
        throw invalidInput(`${at}.${key}: key not allowed`);
      visit((node as Record<string, unknown>)[key], `${at}.${key}`);
    }
  };
  visit(value, where);
}

/** Validates the fields of one catalogue operation; throws `InvalidInput` naming the first bad fields. */
export function parseOperationFields(
  operation: string,
  fields: unknown,
  where = 'input',
): { spec: OperationSpec; fields: Record<string, unknown> } {
  const spec = findOperation(operation);
  if (!spec) throw invalidInput(`operation: unknown operation '${operation}' (known: ${OPERATION_NAMES.join(', ')})`);
  assertPlainJson(fields, where);
  const parsed = safeParse(spec.schema, fields);
  if (!parsed.success) throw invalidInput(`${operation}: ${formatIssues(parsed.error, where)}`);
  return { spec, fields: parsed.data };
}

/** Validates {@link OperationInput}; throws a non-retryable `InvalidInput` failure naming the field. */
export function parseOperationInput(raw: unknown): ValidOperation {
  assertPlainJson(raw, '(input)');
  const parsed = safeParse(operationInputSchema(), raw);
  if (!parsed.success) throw invalidInput(formatIssues(parsed.error));
  const input = parsed.data as OperationInput;
  const { spec, fields } = parseOperationFields(input.operation, input.input);
  const policy: PollPolicy = { ...DEFAULT_POLL_POLICY, ...input.poll };
  if (policy.maxIntervalMs < policy.initialIntervalMs)
    throw invalidInput('poll.maxIntervalMs: must be at least initialIntervalMs');
  return { spec, fields, tenantId: input.tenantId, policy };
}
