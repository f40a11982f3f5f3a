/**
 * The one gate every value a workflow receives passes (issue #24): workflow input, continue-as-new state, update and
 * signal arguments, Nexus operation input. {@link admit} does bounded work first (one loop over the value: depth,
 * count, size, plain JSON kinds, well-formed strings, finite numbers, no prototype keys), then the entry's zod
 * schema, and returns the typed value or throws the typed `InvalidInput`, never anything else: in a workflow any
 * other error fails the workflow task, which the SDK retries forever. Pure and workflow-safe.
 * @module
 */
import type * as z from 'zod/mini';
import { invalidInput } from './failures';
import { safeParse, type SchemaError } from './zod-kit';

/** Deepest nesting of objects and arrays accepted anywhere (NSE bodies nest a few levels). */
export const MAX_DEPTH = 32;
/** Most values (of any kind) one entry may hold; counted before anything else walks it. */
export const MAX_VALUES = 100_000;
/** Largest caller input, as JSON: workflow input lives in history, and NSE bodies are small. */
export const MAX_INPUT_BYTES = 64 * 1024;
/**
 * Largest number any entry may hold: the last millisecond a `Date` can show (±8.64e15), so every time, deadline and
 * duration a field allows stays one that `new Date()`, timers and `toISOString()` accept.
 */
export const MAX_NUMBER = 8.64e15;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Marks what the worker's payload converter hands a workflow in place of an entry whose payload does not convert
 * (src/workflows/payload-converter.ts): the gate refuses it with its reason, so such a payload ends as `InvalidInput`
 * (a failed start, a refused update, an ignored signal) instead of failing every workflow task. `Symbol.for`: the
 * same symbol in the worker's sandbox and outside it.
 */
const UNREADABLE = Symbol.for('nse-flow.unreadable-payload');

/** An entry's payload the worker could not read, with why (see {@link UNREADABLE}). */
export interface UnreadablePayload {
  readonly [UNREADABLE]: string;
}

/** The value a workflow receives for a payload it could not read, `reason` saying why. */
export function unreadablePayload(reason: string): UnreadablePayload {
  return Object.freeze({ [UNREADABLE]: reason });
}

/** Throws `InvalidInput` with its reason when `value` is an {@link unreadablePayload}. */
export function refuseUnreadable(value: unknown, where: string): void {
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, UNREADABLE))
    throw invalidInput(`${where}: ${String((value as UnreadablePayload)[UNREADABLE])}`);
}

/** Where an entry's value came from, for messages, and how large its JSON may be. */
interface EntryLimits {
  /** Names the value in messages: `(input)`, `plan`, `setPollPolicy`, `resume`... */
  where: string;
  /** Largest JSON size (UTF-16 code units); default {@link MAX_INPUT_BYTES}. */
  maxBytes?: number;
  /** Most values it may hold; default {@link MAX_VALUES}. */
  maxValues?: number;
}

/**
 * Checks `value` against the gate's limits and then `schema`; returns the parsed value (typed by the schema) or
 * throws a non-retryable `InvalidInput` failure naming the field. Never throws anything else.
 */
export function admit<T>(schema: z.ZodMiniType<T>, value: unknown, limits: EntryLimits): T {
  const { where } = limits;
  try {
    assertPlainData(value, { where, maxBytes: limits.maxBytes, maxValues: limits.maxValues });
    const parsed = safeParse(schema, value);
    if (!parsed.success) throw invalidInput(formatIssues(parsed.error, where === '(input)' ? '' : where));
    return parsed.data;
  } catch (err) {
    throw asInvalidInput(err, `${where}: could not be validated`);
  }
}

/**
 * Checks that `root` is plain JSON data within the limits, with one loop and no recursion (no depth can exhaust
 * the stack) and without serialising it first: at most {@link MAX_DEPTH} levels and {@link MAX_VALUES} values,
 * strings of well-formed UTF-16, finite numbers within ±{@link MAX_NUMBER}, no keys that could pollute prototypes,
 * and at most `maxBytes` as JSON; a payload the worker could not read is refused with its reason. Throws
 * `InvalidInput`.
 */
export function assertPlainData(root: unknown, limits: EntryLimits): void {
  const { where, maxBytes = MAX_INPUT_BYTES, maxValues = MAX_VALUES } = limits;
  // Only ever a whole argument: the converter replaces a payload, never part of one.
  refuseUnreadable(root, where);
  const pending: { node: unknown; at: string; depth: number }[] = [{ node: root, at: where, depth: 0 }];
  let values = 1;
  // Counts the JSON text at least this value takes (quotes, separators; escapes only make it longer).
  let size = 0;
  const grow = (by: number): void => {
    size += by;
    if (size > maxBytes) throw invalidInput(`${where}: more than the ${maxBytes} bytes allowed (as JSON)`);
  };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, at, depth } = next;
    if (node === null || node === undefined || typeof node === 'boolean') {
      grow(5);
      continue;
    }
    if (typeof node === 'string') {
      if (!isWellFormed(node)) throw invalidInput(`${at}: must be well-formed text (a lone UTF-16 surrogate)`);
      grow(node.length + 2);
      continue;
    }
    if (typeof node === 'number') {
      if (!Number.isFinite(node) || Math.abs(node) > MAX_NUMBER)
        throw invalidInput(`${at}: must be a finite number within ±${MAX_NUMBER}`);
      grow(String(node).length);
      continue;
    }
    if (typeof node !== 'object') throw invalidInput(`${at}: must be plain JSON data, not a ${typeof node}`);
    if (depth >= MAX_DEPTH) throw invalidInput(`${at}: nested more than ${MAX_DEPTH} levels deep`);
    const keys = Array.isArray(node) ? undefined : Object.keys(node);
    values += keys ? keys.length : (node as unknown[]).length;
    if (values > maxValues) throw invalidInput(`${where}: holds more than ${maxValues} values`);
    grow(2);
    if (keys === undefined) {
      const items = node as unknown[];
      for (let index = 0; index < items.length; index++)
        pending.push({ node: items[index], at: `${at}[${index}]`, depth: depth + 1 });
      continue;
    }
    for (const key of keys) {
      if (FORBIDDEN_KEYS.has(key)) throw invalidInput(`${at}.${key}: key not allowed`);
      if (!isWellFormed(key)) throw invalidInput(`${at}: a key must be well-formed text (a lone UTF-16 surrogate)`);
      grow(key.length + 4);
      pending.push({ node: (node as Record<string, unknown>)[key], at: `${at}.${key}`, depth: depth + 1 });
    }
  }
}

/** True when `text` holds no lone UTF-16 surrogate (`String.prototype.isWellFormed`, in Node 20 and its sandbox). */
export function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * `text` cut to at most `max` code units and made well-formed (a lone surrogate, or half a pair the cut left,
 * becomes U+FFFD): what a workflow writes into its own continue-as-new state or results from NSE's text, so that the
 * gate admits it again.
 */
export function boundedText(text: string, max: number): string {
  return (text.slice(0, max) as string & { toWellFormed(): string }).toWellFormed();
}

/** Formats zod issues as `input.size_gb: Invalid input: expected number` lines. */
function formatIssues(error: SchemaError, prefix = ''): string {
  const lines = error.issues.map((issue) => {
    const where = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${where || '(input)'}: ${issue.message}`;
  });
  // A field's own rule and the path-segment rule may say the same thing twice.
  return [...new Set(lines)].join('; ');
}

/** `err` when it is already an `InvalidInput` failure, else an `InvalidInput` failure with `message`. */
function asInvalidInput(err: unknown, message: string): Error {
  return isInvalidInput(err) ? (err as Error) : invalidInput(message);
}

/** True for the `InvalidInput` failure the gate throws. */
export function isInvalidInput(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err as { type?: unknown }).type === 'InvalidInput' &&
    (err as { nonRetryable?: unknown }).nonRetryable === true
  );
}
