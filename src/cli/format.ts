/**
 * The CLI's text output for runs: progress, results and failures. A failure prints its type and message, then
 * whatever its details carry, generically: objects as one line each (name, outcome or state, message), arrays such
 * as `steps` and `tasks` item by item, nested objects (`job`, `compensation`, ...) indented under their key. New
 * fields in a failure's details show up without a change here. `--json` prints the details as they are instead.
 * @module
 */
import type { PendingCall, RunWaits } from '../client/pending';
import type { BulkResult, BulkStatus } from '../shared/bulk';
import { FailureType } from '../shared/failures';
import type { OperationResult, OperationStatus, ProvisionResult, ProvisionStatus } from '../shared/workflow-api';

export function describeStatus(status: OperationStatus | ProvisionStatus | BulkStatus): string {
  if ('bulk' in status) {
    const counts = `${status.done} done, ${status.failed} failed, ${status.running} running, ${status.pending} not started`;
    const limits = `max ${status.maxConcurrency} in flight, ${status.toleratedFailurePercent}% failures tolerated`;
    const failures = status.failures
      .filter((item) => item.outcome !== 'done')
      .map((item) => `\n  ${item.key}: ${item.outcome}${item.message ? `: ${item.message}` : ''}`);
    return `${status.phase}: ${counts} of ${status.total} (${limits})${failures.join('')}`;
  }
  if ('steps' in status) {
    const current = status.steps.find((s) => s.outcome === 'running') ?? status.steps.at(-1);
    const done = status.steps.filter((s) => s.outcome === 'done').length;
    return `${status.phase}: ${done}/${status.steps.length} steps done${current ? `, step ${current.id} ${current.outcome}` : ''}`;
  }
  const job = status.jobId ? ` job ${status.jobId} ${status.jobState ?? 'submitted'}` : '';
  const notes = [
    status.cancelRequested && cancelNote(status),
    status.phase === 'paused' && 'paused by `nse-flow pause`: waits for `nse-flow resume`',
    status.decisionDueAt && `decide by ${status.decisionDueAt} (nse-flow decide <workflowId> compensate|keep)`,
    status.readErrors && `${status.readErrors} reads got no job (last: ${status.lastReadError ?? '?'})`,
    status.unknownStateWords && `unknown state words ${status.unknownStateWords.join(', ')} (read as running)`,
    status.compensation && `compensation ${status.compensation.outcome}: ${status.compensation.message}`,
  ].filter(Boolean);
  return [`${status.phase}${job}, ${status.polls} poll${status.polls === 1 ? '' : 's'}`, ...notes].join('\n  ');
}

/** A pending cancel: the run waits for its job to end (NSE cannot stop a job), then undoes what it made. */
function cancelNote(status: OperationStatus): string {
  if (status.phase === 'compensating') return `cancel requested: undoing what job ${status.jobId ?? '?'} made`;
  if (status.jobId && status.phase === 'polling') {
    return `cancel requested: waiting for job ${status.jobId} to end, then undo`;
  }
  return 'cancel requested';
}

/**
 * A running run's status (undefined when no worker answered its query) and what the server says it waits on:
 * each pending NSE call that failed, with its attempt and last failure, or that no worker picked up yet.
 */
export function describeProgress(
  status: OperationStatus | ProvisionStatus | BulkStatus | undefined,
  waits: RunWaits,
): string {
  const head = status ? describeStatus(status) : `${waits.status.toLowerCase()} (no worker answered the status query)`;
  const notes = waits.pending.map(describeWait).filter((note): note is string => note !== undefined);
  return [head, ...notes.map((note) => `  ${note}`)].join('\n');
}

/** One pending activity: why it has not finished, or undefined while it runs normally. */
export function describeWait(call: PendingCall): string | undefined {
  if (call.lastFailure?.type === FailureType.JobUnchanged) {
    // Not a fault: the `activity` mode's read found the job as it was and the server schedules the next one.
    const next = call.nextAttemptAt ? `; next read at ${call.nextAttemptAt}` : '';
    return `waiting for a change: ${call.lastFailure.message}${next}`;
  }
  if (call.lastFailure) {
    const type = call.lastFailure.type ? `${call.lastFailure.type}: ` : '';
    return `waiting on ${call.activity}, attempt ${call.attempt}; last failure ${type}${call.lastFailure.message}`;
  }
  if (call.state === 'paused') return `waiting on ${call.activity}: paused`;
  if (call.state === 'scheduled') {
    return `waiting on ${call.activity}: not picked up yet (the NSE request budget, or no worker on its task queue)`;
  }
  return undefined;
}

/** A cancelled run: its line, then its undo as its last status had it. */
export function describeCancelled(
  workflowId: string,
  status: OperationStatus | ProvisionStatus | BulkStatus | undefined,
): string {
  const lines = [`cancelled: ${workflowId}`];
  if (status && 'compensation' in status && status.compensation) {
    lines.push(...describeValue(status.compensation, 1, 'undo'));
  } else if (status && 'polls' in status && !status.jobId) {
    lines.push('  undo: nothing to undo (NSE had accepted no job)');
  } else if (status && 'steps' in status) {
    lines.push(...describeValue(status.steps, 1, 'steps'));
  }
  return lines.join('\n');
}

export function describeResult(result: OperationResult | ProvisionResult | BulkResult): string {
  if ('bulk' in result) {
    const failed = result.items.filter((item) => item.outcome === 'failed');
    const lines = failed.slice(0, 20).map((item) => `  ${item.key}: failed: ${item.message ?? ''}`);
    const more = failed.length > 20 ? [`  ... ${failed.length - 20} more (--json for every item)`] : [];
    const reused = result.items.filter((item) => item.reused).length;
    return [
      `completed bulk ${result.bulk}: ${result.done} of ${result.total} done` +
        `${reused > 0 ? ` (${reused} reused)` : ''}, ${result.failed} failed`,
      ...lines,
      ...more,
    ].join('\n');
  }
  if ('steps' in result) {
    return `completed plan ${result.plan}: ${result.steps.map((s) => `${s.id}=${s.objectId ?? s.outcome}`).join(', ')}`;
  }
  const objectId = result.objectId ? ` object ${result.objectId}` : '';
  return `completed: ${result.operation}${objectId} after ${result.polls} polls`;
}

/** The failure's headline, then what its details carry, indented below it. */
export function describeFailure(failureType: string | undefined, message: string, details: readonly unknown[]): string {
  const lines = [`failed (${failureType ?? 'unknown failure'}): ${message}`];
  for (const detail of details) {
    if (!isFields(detail)) {
      lines.push(...describeValue(detail, 1));
      continue;
    }
    // A detail object is the failure's own record: every short field by name, its nested ones below.
    const own = Object.entries(detail)
      .filter(([, value]) => isShown(scalar(value)))
      .map(([field, value]) => `${field} ${scalar(value)}`);
    if (own.length > 0) lines.push(`  ${own.join(', ')}`);
    lines.push(...describeChildren(detail, 1));
  }
  return lines.join('\n');
}

type Fields = Record<string, unknown>;

/** The fields that name an item, say how it ended, and say why; the first present of each is used. */
const NAME_FIELDS = ['id', 'key', 'name'];
const OUTCOME_FIELDS = ['outcome', 'state', 'lastState', 'status'];
const TEXT_FIELDS = ['message', 'lastError', 'statusDetail', 'reason'];
/** Other short fields worth a mention; the rest (a job's `raw` record, timestamps, ...) stay in `--json`. */
const NOTED_FIELDS = new Set([
  'plan',
  'operation',
  'resourceType',
  'objectName',
  'objectId',
  'objectType',
  'jobId',
  'workflowId',
]);

const MAX_DEPTH = 8;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isShown(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0);
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

function pick(fields: Fields, names: readonly string[]): [string, string] | undefined {
  for (const name of names) {
    const text = scalar(fields[name]);
    if (text !== undefined && text !== '') return [name, text];
  }
  return undefined;
}

/**
 * One line for an object's own short fields, `name: outcome; message (key value, ...)`, after its key when it has
 * one (`job 6b11…: ERROR; …`, `compensation: compensated; …`).
 */
function headline(fields: Fields, key?: string): string {
  const name = pick(fields, NAME_FIELDS);
  const outcome = pick(fields, OUTCOME_FIELDS);
  const text = pick(fields, TEXT_FIELDS);
  const used = new Set([name?.[0], outcome?.[0], text?.[0]]);
  const noted = Object.entries(fields)
    .filter(([field, value]) => !used.has(field) && NOTED_FIELDS.has(field) && isShown(scalar(value)))
    .map(([field, value]) => `${field} ${scalar(value)}`);
  const title = [key, name?.[1]].filter(Boolean).join(' ');
  // A redrive's item carried over from the earlier run: `done, reused`.
  const reused = fields.reused === true && outcome ? ', reused' : '';
  const said = [outcome && `${outcome[1]}${reused}`, text?.[1]].filter(Boolean).join('; ');
  const main = title && said ? `${title}: ${said}` : title || said;
  if (!main) return noted.join(', ');
  return noted.length > 0 ? `${main} (${noted.join(', ')})` : main;
}

/** An object's nested objects and arrays, each under its key. */
function describeChildren(fields: Fields, depth: number): string[] {
  if (depth > MAX_DEPTH) return [];
  const lines: string[] = [];
  for (const [key, child] of Object.entries(fields)) {
    if (key === 'raw' || !isShown(child) || scalar(child) !== undefined) continue;
    lines.push(...describeValue(child, depth, key));
  }
  return lines;
}

/** Lines for a value at an indentation depth: objects by {@link headline} with their children below, arrays item by item. */
function describeValue(value: unknown, depth: number, key?: string): string[] {
  const indent = '  '.repeat(depth);
  const label = key === undefined ? '' : `${key}: `;
  const text = scalar(value);
  if (text !== undefined) return [`${indent}${label}${text}`];
  if (Array.isArray(value)) {
    if (value.every((item) => scalar(item) !== undefined)) return [`${indent}${label}${value.join(', ')}`];
    const lines = key === undefined ? [] : [`${indent}${key}:`];
    const itemDepth = key === undefined ? depth : depth + 1;
    for (const item of value) lines.push(...describeValue(item, itemDepth).map((l, i) => (i === 0 ? bullet(l) : l)));
    return lines;
  }
  if (!isFields(value)) return [];
  return [`${indent}${headline(value, key)}`, ...describeChildren(value, depth + 1)];
}

/** Marks the first line of a list item. */
function bullet(line: string): string {
  return line.replace(/^(\s*)/, '$1- ');
}

/** Rows under a header, each column as wide as its widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
