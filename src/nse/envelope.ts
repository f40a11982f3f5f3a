/**
 * zod schemas for NSE's response envelope and job records (nse-api.md §3.1, §6.2), tolerant of every documented
 * variant: `status.code` as a number or a string, `returned_records` or `total_records`, `object_type` or `type`,
 * `job_tasks` null or an array. Unknown fields are kept, so a newer NSE does not break parsing.
 * @module
 */
import { z } from 'zod';
import { normaliseJobState } from '../shared/job-states';
import type { Job, JobTask } from '../shared/nse-types';
import { scrubJob } from '../common/redact';
import type { NseStatus } from './errors';

/** A response did not have the shape NSE documents; `reason` names the fields, never their values. */
export class NseEnvelopeError extends Error {
  override readonly name = 'NseEnvelopeError';

  constructor(readonly reason: string) {
    super(reason);
  }
}

// Free text NSE may send as a string, a number or null; absent and null both read as ''.
const text = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? '' : String(v)));
// Like `text`, but absence stays visible: normaliseJobState treats a missing state differently from ''.
const optionalText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v)));
const count = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)])
  .nullish()
  .transform((v) => v ?? undefined);
const id = z.union([z.string().min(1), z.number()]).transform(String);

/** The envelope's `status` object: `code` mirrors the HTTP status, sometimes as a string. */
const NseStatusSchema = z.looseObject({
  user_message: text,
  verbose_message: text,
  code: z.union([z.number(), z.string()]).nullish(),
});

/** The envelope's `result` object of a collection, a single record, a create or a 202. */
const NseResultSchema = z.looseObject({
  returned_records: count,
  total_records: count,
  sort_by: optionalText,
  order_by: optionalText,
  offset: count,
  limit: count,
  records: z.array(z.unknown()).nullish(),
});

/** The whole response body `{ status, result }`; either part may be missing (sync deletes have no body at all). */
const NseEnvelopeSchema = z.looseObject({
  status: NseStatusSchema.nullish(),
  result: NseResultSchema.nullish(),
});

/** A parsed response body. */
export type NseEnvelope = z.output<typeof NseEnvelopeSchema>;

/** One `job_tasks[]` entry; `request_payload` is left untyped (it is only ever kept, redacted, in `raw`). */
const NseJobTaskSchema = z.looseObject({
  id: text,
  job_id: text,
  action: text,
  object_id: text,
  object_type: optionalText,
  type: optionalText,
  resource_type: text,
  state: optionalText,
  status: optionalText,
  status_detail: text,
  last_error: text,
});

/** One job record (nse-api.md §6.2); only `id` is required. */
const NseJobSchema = z.looseObject({
  id,
  action: text,
  job_summary: text,
  created: text,
  updated: text,
  object_id: text,
  object_type: optionalText,
  type: optionalText,
  object_name: text,
  state: optionalText,
  status: optionalText,
  status_detail: text,
  last_error: text,
  user_id: text,
  job_tasks: z.array(NseJobTaskSchema).nullish(),
});

/** Parses a response body into an {@link NseEnvelope}; throws {@link NseEnvelopeError} when it is not one. */
export function parseEnvelope(body: unknown): NseEnvelope {
  return parseWith(NseEnvelopeSchema, body, 'envelope');
}

/** The envelope's `status` normalised, or undefined when the body has none; never throws (used on error bodies). */
export function readStatus(body: unknown): NseStatus | undefined {
  const parsed = z.object({ status: NseStatusSchema }).safeParse(body);
  if (!parsed.success) return undefined;
  const { code, user_message, verbose_message } = parsed.data.status;
  return { code: code ?? undefined, userMessage: user_message, verboseMessage: verbose_message };
}

/** The records of an envelope (`result.records`), or an empty array when there are none. */
export function recordsOf(envelope: NseEnvelope): unknown[] {
  return envelope.result?.records ?? [];
}

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Normalises one raw job record into a {@link Job}: state from the words in `state` and `status` (the table in
 * src/shared/job-states; free text never counts), task states likewise, and `raw` = the redacted record. Every free
 * text is scrubbed of the secrets the record carries, `secrets` and the process's own ({@link scrubJob}).
 * Throws {@link NseEnvelopeError} when the record is not a job (no `id`, wrong field types).
 */
export function parseJob(raw: unknown, secrets: Iterable<string> = []): Job {
  const job = parseWith(NseJobSchema, raw, 'job');
  const { state, known } = normaliseJobState({ state: job.state, status: job.status });
  // Free texts may quote what the request carried (NSE's own error messages do): scrubbed with the raw record.
  return scrubJob(
    {
      id: job.id,
      action: job.action,
      summary: job.job_summary,
      objectId: job.object_id,
      // The field name differs by resource family (nse-api.md §6.3); an empty value falls through too.
      objectType: job.object_type || job.type || '',
      objectName: job.object_name,
      state,
      stateKnown: known,
      status: job.status ?? '',
      statusDetail: job.status_detail,
      lastError: job.last_error,
      userId: job.user_id,
      created: job.created,
      updated: job.updated,
      tasks: (job.job_tasks ?? []).map(toTask),
      raw: raw as Record<string, unknown>,
    },
    secrets,
  );
}

function toTask(task: z.output<typeof NseJobTaskSchema>): JobTask {
  return {
    id: task.id,
    action: task.action,
    objectId: task.object_id,
    objectType: task.object_type || task.type || '',
    resourceType: task.resource_type,
    state: normaliseJobState({ state: task.state, status: task.status }).state,
    status: task.status ?? '',
    statusDetail: task.status_detail,
    lastError: task.last_error,
  };
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // Issue paths and zod's messages name fields and expected types, never the received values.
  const issues = parsed.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`);
  throw new NseEnvelopeError(`${what} does not match: ${issues.join('; ')}`);
}
