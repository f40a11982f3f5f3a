/**
 * HTTP plumbing of the simulator that knows nothing of jobs: NSE's envelope, errors as envelopes, body validation
 * and the pagination, sorting and filtering of collection reads (nse-api.md §3).
 * @module
 */
import type { z } from 'zod';
import { describeIssues } from './request-schemas';

/** NSE's answer envelope (nse-api.md §3.1); `code` equals the HTTP status. */
interface Envelope {
  status: { user_message: string; verbose_message: string; code: number };
  result: Record<string, unknown>;
}

/** An HTTP answer: status, envelope and extra headers. */
export interface Answer {
  status: number;
  body: Envelope;
  headers?: Record<string, string>;
}

/** An answer other than 2xx, thrown by handlers and turned into an envelope. */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly userMessage: string,
    readonly verbose = '',
  ) {
    super(userMessage);
  }
}

/** The parts of a request the handlers read. */
export interface SimRequest {
  method: string;
  /** Path after `/api`, without the query. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  body: unknown;
  authorization: string | undefined;
}

// No documented maximum page size; AIQUM, which shares NSE's API conventions, caps GET-all at 1000 records.
const MAX_LIMIT = 1000;

/** Builds an envelope. */
export function envelope(
  code: number,
  userMessage: string,
  verbose: string,
  result: Record<string, unknown>,
): Envelope {
  return { status: { user_message: userMessage, verbose_message: verbose, code }, result };
}

/** NSE's `user_message` for a read: "Okay. Returned N records." */
export function records(n: number): string {
  return `Okay. Returned ${n} record${n === 1 ? '' : 's'}.`;
}

/** A 200 answer with one record (`returned_records: 1`). */
export function one(record: Record<string, unknown>): Answer {
  return { status: 200, body: envelope(200, records(1), '', { returned_records: 1, records: [record] }) };
}

/** A 404 naming what was not found. */
export const notFound = (what: string): SimHttpError =>
  new SimHttpError(404, 'Resource not found.', `${what} not found.`);
/** A 412 saying which precondition failed. */
export const precondition = (why: string): SimHttpError => new SimHttpError(412, 'Precondition failed.', why);
/** A 400 whose `user_message` names the first bad field and `verbose_message` lists all. */
export const invalid = (issues: string[]): SimHttpError =>
  new SimHttpError(400, `Invalid request: ${issues[0] ?? 'bad input'}.`, issues.join('; '));

/** The value if it is a string. */
export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Path after `/api` without the query, as sent. */
export function apiPath(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  return path.startsWith('/api') ? path.slice('/api'.length) : path;
}

/** Validates a body with zod; throws a 400 {@link SimHttpError} naming the bad fields. */
export function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  // A POST without a body is validated as `{}`, so the answer names the first missing field.
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw invalid(describeIssues(result.error, body));
  return result.data;
}

/** Request fields a GET may show: never passwords or secrets. */
export function publicFields(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !/password|secret/i.test(key)));
}

/** True when `value` fits a filter with NSE's operators: `a|b` alternatives, `*` wildcard. */
export function filterMatches(filter: string, value: unknown): boolean {
  if (value === undefined || value === null) return false;
  const text = String(value);
  return filter.split('|').some((alternative) => {
    if (!alternative.includes('*')) return alternative === text;
    const source = alternative
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${source}$`).test(text);
  });
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One query value; a repeated parameter is a 400. */
export function queryValue(query: SimRequest['query'], key: string): string | undefined {
  const value = query[key];
  if (Array.isArray(value)) throw invalid([`'${key}' must be given once`]);
  return value;
}

function intParam(query: SimRequest['query'], key: string, fallback: number): number {
  const value = queryValue(query, key);
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw invalid([`'${key}' must be a non-negative integer`]);
  return Number(value);
}

/** One page of a collection with NSE's pagination and sorting (nse-api.md §3.2); bad parameters are a 400. */
export function page(
  items: Record<string, unknown>[],
  query: SimRequest['query'],
  sortable: readonly string[],
  defaults: { sortBy: string; orderBy: 'asc' | 'desc' },
): Answer {
  const offset = intParam(query, 'offset', 0);
  const limit = Math.min(intParam(query, 'limit', 20), MAX_LIMIT);
  const sortBy = queryValue(query, 'sort_by') || defaults.sortBy;
  const orderBy = (queryValue(query, 'order_by') || defaults.orderBy).toLowerCase();
  if (orderBy !== 'asc' && orderBy !== 'desc') throw invalid([`'order_by' must be asc or desc`]);
  if (!sortable.includes(sortBy)) throw invalid([`'sort_by' cannot sort by '${sortBy}'`]);
  const direction = orderBy === 'asc' ? 1 : -1;
  // Ties fall back to the id: ids grow with creation, so "newest first" is well defined within one millisecond.
  const sorted = [...items].sort(
    (a, b) => direction * (compareValues(a[sortBy], b[sortBy]) || compareValues(a.id ?? a.name, b.id ?? b.name)),
  );
  const slice = sorted.slice(offset, offset + limit);
  return {
    status: 200,
    body: envelope(200, records(slice.length), '', {
      returned_records: slice.length,
      total_records: items.length,
      sort_by: sortBy,
      order_by: orderBy,
      offset,
      limit,
      records: slice,
    }),
  };
}

/** The items whose `keys` fit the query's filters of the same names. */
export function filtered(items: Record<string, unknown>[], query: SimRequest['query'], keys: readonly string[]) {
  return items.filter((item) =>
    keys.every((key) => {
      const filter = queryValue(query, key);
      return filter === undefined || filter === '' || filterMatches(filter, item[key]);
    }),
  );
}
