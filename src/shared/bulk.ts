/**
 * Bulk provisioning (`nse-flow provision --each items.json`): one catalogue operation per item, like Step Functions'
 * Distributed Map. The bulk's own `operation`, `tenantId` and `input` are the defaults every item starts from (the
 * item selector); an item names its `key` and what differs: its own `input` fields (merged over the bulk's), or its
 * own `operation` and `tenantId`. The key names the item's run (`<bulk id>/<key>`) and its outcome. Validated whole,
 * before the first NSE call. Pure and workflow-safe.
 * @module
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import * as z from 'zod/mini';
import { admit, assertPlainData, boundedText as wellFormedText } from './entry-gate';
import { invalidInput } from './failures';
import { findOperation, OPERATION_NAMES, type OperationSpec } from './operations';
import { admitFields, pollPolicySchema } from './validation';
import type { OperationInput, PollPolicy } from './workflow-api';

/** Most items in one bulk (a larger fleet is several bulks). */
export const MAX_BULK_ITEMS = 10_000;
/** Largest bulk input as JSON: under the server's 2 MB payload limit with room for what a run carries on. */
const MAX_BULK_BYTES = 1_500_000;
/**
 * Longest failure message kept per item once {@link WHOLE_MESSAGES} items failed: 10,000 failed items still fit one
 * result payload. The first ones keep their reason whole (up to {@link MAX_WHOLE_ITEM_MESSAGE}): NSE's explanation
 * comes last in a message, and a cut would drop it.
 */
const MAX_ITEM_MESSAGE = 120;
/** Failed items whose messages are kept whole (up to {@link MAX_WHOLE_ITEM_MESSAGE} characters each, 100 KB in all). */
const WHOLE_MESSAGES = 100;
const MAX_WHOLE_ITEM_MESSAGE = 1_000;
/** Most children one run starts before it continues as new (history stays far below 4,096 events). */
const DEFAULT_ITEMS_PER_RUN = 250;
const DEFAULT_MAX_CONCURRENCY = 20;
/** Pending child workflows per run are capped by the server at 2,000. */
export const MAX_CONCURRENCY = 1_000;

const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;

/** One item of a bulk: what differs from the bulk's defaults. */
interface BulkItem {
  /** Unique in the bulk; the item's run is `<bulk workflow id>/<key>`. Default `item-<position from 1>`. */
  key?: string;
  operation?: string;
  tenantId?: string;
  /** Fields merged over the bulk's `input` (shallow: a field given here replaces the bulk's). */
  input?: Record<string, unknown>;
}

/** How a running bulk goes: both changeable with the `setBulkLimits` update. */
export interface BulkLimits {
  /** Items in flight at once (1-1000). */
  maxConcurrency: number;
  /** The bulk stops and fails once more than this percentage of all its items failed (0-100). */
  toleratedFailurePercent: number;
}

/** Input of {@link bulkWorkflow}. */
export interface BulkInput extends Partial<BulkLimits> {
  /** A short name shown in the Web UI. */
  name: string;
  operation?: string;
  tenantId?: string;
  input?: Record<string, unknown>;
  /** Poll policy of every item's run. */
  poll?: Partial<PollPolicy>;
  items: BulkItem[];
  /** Children started per run before continuing as new (default {@link DEFAULT_ITEMS_PER_RUN}). */
  itemsPerRun?: number;
  /** Set by redrive: the bulk or plan this run reruns. */
  redriveOf?: { workflowId: string; runId: string };
  /** Set by the workflow when it continues as new, and by redrive: outcomes of items already finished. */
  finished?: ItemOutcome[];
  /** Items in the whole bulk, when `items` holds only those left (continue-as-new, redrive). */
  total?: number;
}

/** What happened to one item. `reused`: done by the run this one redrives, not run again. */
export interface ItemOutcome {
  key: string;
  outcome: 'done' | 'failed' | 'cancelled' | 'not-started';
  objectId?: string;
  message?: string;
  reused?: true;
}

/** Result of a bulk (and, in a failure's details, how far it got): every item's outcome, by key. */
export interface BulkResult {
  bulk: string;
  total: number;
  done: number;
  failed: number;
  items: ItemOutcome[];
}

/** What the bulk's `status` query answers. */
export interface BulkStatus extends BulkLimits {
  bulk: string;
  phase: string;
  total: number;
  done: number;
  failed: number;
  running: number;
  pending: number;
  /** Outcomes so far, latest failures first capped to 50 (the result has them all). */
  failures: ItemOutcome[];
}

const boundedText = () => z.string().check(z.minLength(1), z.maxLength(64));
const fields = () => z.record(z.string(), z.unknown());
/** One item's outcome, as results and redrive carry it. */
export const itemOutcomeSchema = () =>
  z.strictObject({
    key: z.string().check(z.regex(KEY_PATTERN)),
    outcome: z.enum(['done', 'failed', 'cancelled', 'not-started']),
    objectId: z.optional(z.string().check(z.maxLength(64))),
    message: z.optional(z.string().check(z.maxLength(MAX_WHOLE_ITEM_MESSAGE))),
    reused: z.optional(z.literal(true)),
  });

/** The limits a caller may change; both optional. */
export const bulkLimitsSchema = () =>
  z.strictObject({
    maxConcurrency: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_CONCURRENCY))),
    toleratedFailurePercent: z.optional(z.number().check(z.minimum(0), z.maximum(100))),
  });

/** The bulk's envelope; items are checked one by one apart (see {@link parseBulk}). */
export const bulkInputSchema = () =>
  z.extend(bulkLimitsSchema(), {
    name: z
      .string()
      .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'must be 1-64 letters, digits, spaces, _ . -')),
    operation: z.optional(boundedText()),
    tenantId: z.optional(boundedText()),
    input: z.optional(fields()),
    poll: z.optional(pollPolicySchema()),
    items: z.array(z.unknown()).check(z.minLength(1), z.maxLength(MAX_BULK_ITEMS)),
    itemsPerRun: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(2_000))),
    redriveOf: z.optional(z.strictObject({ workflowId: z.string().check(z.maxLength(1000)), runId: z.string() })),
    finished: z.optional(z.array(itemOutcomeSchema()).check(z.maxLength(MAX_BULK_ITEMS))),
    total: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_BULK_ITEMS))),
  });

/** One item of a bulk (its operation's fields are checked apart, as its run checks them). */
export const bulkItemSchema = () =>
  z.strictObject({
    key: z.optional(z.string().check(z.regex(KEY_PATTERN, 'must be 1-100 letters, digits, _ . : -'))),
    operation: z.optional(boundedText()),
    tenantId: z.optional(boundedText()),
    input: z.optional(fields()),
  });

/** Progress of a bulk: counts, limits and the latest failures. */
export const bulkStatusQuery = defineQuery<BulkStatus>('status');

/**
 * Changes a running bulk's `maxConcurrency` and/or `toleratedFailurePercent` from its next item on; answers the limits
 * now in force. Refused (validator, nothing recorded) for a bad value or once the bulk no longer starts items.
 */
export const setBulkLimitsUpdate = defineUpdate<BulkLimits, [Partial<BulkLimits>]>('setBulkLimits');

/** A validated bulk: every item with its key and its full operation input. */
export interface ValidBulk {
  input: BulkInput;
  limits: BulkLimits;
  itemsPerRun: number;
  /** Every item left to run, its key set, and the operation request its run gets. */
  items: { item: BulkItem & { key: string }; request: OperationInput }[];
  total: number;
}

/** The item's operation request: the bulk's defaults with the item's values over them. */
function itemRequest(bulk: BulkInput, item: BulkItem): OperationInput {
  const tenantId = item.tenantId ?? bulk.tenantId;
  return {
    operation: item.operation ?? bulk.operation ?? '',
    input: { ...bulk.input, ...item.input },
    ...(tenantId ? { tenantId } : {}),
    ...(bulk.poll ? { poll: bulk.poll } : {}),
  };
}

/**
 * Validates a bulk whole: its envelope, then every item (key, operation and fields, as the item's run will check
 * them), naming the first bad item by position and key. Throws a non-retryable `InvalidInput` failure.
 */
export function parseBulk(raw: unknown, options = { itemsChecked: false }): ValidBulk {
  // One gate for the whole bulk: its depth, size and text are bounded before anything else reads an item. A
  // continued run carries the outcomes so far (~70 bytes each): they count against MAX_BULK_BYTES like the items.
  const bulk = admit(bulkInputSchema(), raw, {
    where: 'bulk',
    maxBytes: MAX_BULK_BYTES,
    maxValues: MAX_BULK_BYTES,
  }) as BulkInput;
  const keys = new Set((bulk.finished ?? []).map((outcome) => outcome.key));
  // Schemas are built once per parse, not once per item: building dominates the cost for 10,000 items.
  const itemSchema = bulkItemSchema();
  const schemas = new Map<string, OperationSpec['schema']>();
  const items = bulk.items.map((rawItem, index) => {
    const where = `items[${index}]`;
    const item = admit(itemSchema, rawItem, { where });
    const key = item.key ?? `item-${index + 1}`;
    const named = `${where} (key ${key})`;
    if (keys.has(key)) throw invalidInput(`${named}: key used twice`);
    keys.add(key);
    const request = itemRequest(bulk, item);
    if (!request.operation) throw invalidInput(`${named}: no operation (set it on the bulk or on the item)`);
    // Each item's run gets the request as its input: it must pass that run's limit.
    assertPlainData(request, { where: named });
    // A run continued as new carries items its first run checked: not again, for every one of up to 10,000.
    if (!options.itemsChecked)
      admitFields(request.operation, schemaOf(schemas, request.operation), request.input, `${named}.input`);
    return { item: { ...item, key }, request };
  });
  const total = bulk.total ?? items.length + (bulk.finished?.length ?? 0);
  if (total !== items.length + (bulk.finished?.length ?? 0))
    throw invalidInput('bulk.total: must count the items left and those finished');
  return {
    input: bulk,
    limits: {
      maxConcurrency: bulk.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      toleratedFailurePercent: bulk.toleratedFailurePercent ?? 0,
    },
    itemsPerRun: bulk.itemsPerRun ?? DEFAULT_ITEMS_PER_RUN,
    items,
    total,
  };
}

/** The input schema of a catalogue operation, built once per parse and kept in `schemas`; `InvalidInput` for an
 * unknown operation. */
function schemaOf(schemas: Map<string, OperationSpec['schema']>, operation: string): OperationSpec['schema'] {
  const kept = schemas.get(operation);
  if (kept) return kept;
  const spec = findOperation(operation);
  if (!spec) throw invalidInput(`operation: unknown operation '${operation}' (known: ${OPERATION_NAMES.join(', ')})`);
  schemas.set(operation, spec.schema);
  return spec.schema;
}

/** True when more than the tolerated share of all items failed. */
export function toleranceExceeded(failed: number, total: number, limits: BulkLimits): boolean {
  return failed * 100 > limits.toleratedFailurePercent * total;
}

/**
 * An item's failure message: whole (up to {@link MAX_WHOLE_ITEM_MESSAGE}) for the first {@link WHOLE_MESSAGES}
 * items that did not end done, cut to {@link MAX_ITEM_MESSAGE} characters after that; always well-formed.
 */
export function itemMessage(message: string, unsuccessfulBefore: number): string {
  const max = unsuccessfulBefore < WHOLE_MESSAGES ? MAX_WHOLE_ITEM_MESSAGE : MAX_ITEM_MESSAGE;
  return message.length <= max ? wellFormedText(message, max) : `${wellFormedText(message, max - 1)}…`;
}
