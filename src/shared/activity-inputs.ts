/**
 * The inputs of the activities, through the same gate as every workflow entry (./entry-gate), issue #24. Our
 * workflows only pass values they admitted or read from NSE, but an activity task queue is open to any workflow of
 * the namespace: a foreign workflow may schedule `submitOperation` or `readResource` with whatever it likes. So each
 * activity admits its own input first, and a bad one fails the activity with a non-retryable `InvalidInput` before
 * NSE (or Temporal) is asked anything. test/unit/activity-inputs.test.ts checks that every activity has an entry.
 * @module
 */
import * as z from 'zod/mini';
import type { AwaitJobChangeInput } from '../activities/types';
import { admit, MAX_INPUT_BYTES, MAX_NUMBER } from './entry-gate';
import { invalidInput } from './failures';
import { isSafePathSegment, PATH_SEGMENT_RULE } from './nse-paths';
import { JobState } from './nse-types';
import { MAX_UPDATED_LENGTH } from './poll-interval';
import { OPERATIONS } from './operations';
import { SWEPT_JOB_ID } from './sweep';
import { MAX_BEFORE_BYTES, parseOperationFields } from './validation';

/** What the submit and look-up activities take (`SubmitOperationInput`). */
export interface AdmittedSubmit {
  operation: string;
  input: Record<string, unknown>;
  tenantId?: string;
  notBefore: number;
}

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const pathSegment = (max: number) =>
  text(max).check(z.refine((value) => isSafePathSegment(value), { message: PATH_SEGMENT_RULE }));
const ms = (max: number) => z.number().check(z.minimum(1), z.maximum(max));

// Built once: activities admit their arguments on every call (a poll attempt included).
const SUBMIT_ENVELOPE = z.strictObject({
  operation: text(64),
  input: z.record(z.string(), z.unknown()),
  tenantId: z.optional(text(64)),
  notBefore: z.number().check(z.int(), z.minimum(0), z.maximum(MAX_NUMBER)),
});
const GET_JOB_REQUEST = z.strictObject({
  jobId: pathSegment(255),
  longPollSeconds: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(120))),
  lastModified: z.optional(z.string().check(z.maxLength(1024))),
});
const AWAIT_JOB_CHANGE_REQUEST = z.strictObject({
  jobId: pathSegment(255),
  operation: text(64),
  lastState: z.optional(z.enum(Object.values(JobState))),
  lastUpdated: z.optional(z.string().check(z.maxLength(MAX_UPDATED_LENGTH))),
  intervalMs: ms(86_400_000),
  interval: z.strictObject({
    maxIntervalMs: ms(86_400_000),
    backoffCoefficient: z.number().check(z.minimum(1), z.maximum(10)),
    jitterRatio: z.number().check(z.minimum(0), z.maximum(0.5)),
  }),
  waitFirst: z.boolean(),
});
const WAKE_REQUEST = z.strictObject({ taskQueue: text(1000), tenantId: z.optional(text(64)) });

/**
 * A submit or look-up request: the envelope, then the operation's fields through its catalogue schema, as the
 * workflow admitted them. An undo's restore input may be as large as the record read before the update.
 */
export function admitSubmitRequest(raw: unknown, where = 'submitOperation'): AdmittedSubmit {
  const request = admit(SUBMIT_ENVELOPE, raw, { where, maxBytes: MAX_BEFORE_BYTES + MAX_INPUT_BYTES });
  const { fields } = parseOperationFields(request.operation, request.input, `${where}.input`);
  return { ...request, input: fields };
}

/** What the job read takes (`GetJobInput`): a job id fit for a path, and the long-poll options. */
export function admitGetJobRequest(raw: unknown): { jobId: string; longPollSeconds?: number; lastModified?: string } {
  return admit(GET_JOB_REQUEST, raw, { where: 'getJob' });
}

/**
 * What the `activity` mode's read takes (`AwaitJobChangeInput`): a job id fit for a path, the job as last seen, and
 * the interval policy within the bounds a poll policy has.
 */
export function admitAwaitJobChangeRequest(raw: unknown): AwaitJobChangeInput {
  return admit(AWAIT_JOB_CHANGE_REQUEST, raw, { where: 'awaitJobChange' });
}

/**
 * What the resource read takes: a path of the catalogue (an operation's path, an object under a collection, or the
 * path an update reads before it is sent) with each `{field}` a safe segment, URL-encoded; and the fields to keep.
 * Anything else would let a caller read any NSE resource with the worker's credentials.
 */
export function admitReadResource(path: unknown, keep: unknown): { path: string; keep?: string[] } {
  const admitted = admit(z.string().check(z.minLength(1), z.maxLength(4096)), path, { where: 'readResource: path' });
  if (!isCataloguePath(admitted))
    throw invalidInput('readResource: path: not a resource path of the operation catalogue');
  if (keep === undefined) return { path: admitted };
  return {
    path: admitted,
    keep: admit(z.array(text(256)).check(z.maxLength(256)), keep, { where: 'readResource: keep' }),
  };
}

/** What the control workflow's activity takes (`WakePausedRunsInput`). */
export function admitWakeRequest(raw: unknown): { taskQueue: string; tenantId?: string } {
  return admit(WAKE_REQUEST, raw, { where: 'wakePausedRuns' });
}

/** The sweep's activities (src/activities/sweep-activities.ts): what the sweep workflow sends them. */
const SWEEP_ACTIVITY_INPUTS = {
  nseUser: (args: readonly unknown[]) => {
    if (args.length !== 0) throw invalidInput(`nseUser: takes no argument, not ${args.length}`);
  },
  listJobsPage: (args: readonly unknown[]) =>
    admit(
      z.strictObject({ tenantId: text(64), offset: z.number().check(z.int(), z.minimum(0), z.maximum(1_000_000)) }),
      only(args, 'listJobsPage'),
      { where: 'listJobsPage' },
    ),
  /** Only a path of the catalogue, as `readResource` (the sweep reads `<collection>/<id>`). */
  readObject: (args: readonly unknown[]) => {
    const path = admit(text(4096), only(args, 'readObject'), { where: 'readObject: path' });
    if (!isCataloguePath(path)) throw invalidInput('readObject: path: not a resource path of the operation catalogue');
    return path;
  },
  findJobOwners: (args: readonly unknown[]) =>
    // Job ids as NSE writes them: they go into a visibility query (quoted there too).
    admit(
      z.array(z.string().check(z.regex(SWEPT_JOB_ID, 'must be an NSE job id'))).check(z.maxLength(100)),
      only(args, 'findJobOwners'),
      { where: 'findJobOwners' },
    ),
} as const;

/**
 * Each activity by name, with the function its implementation calls first on its arguments (as an array, so the
 * count is checked too). An activity without an entry fails test/unit/activity-inputs.test.ts.
 */
export const ACTIVITY_INPUTS = {
  submitOperation: (args: readonly unknown[]) => admitSubmitRequest(only(args, 'submitOperation'), 'submitOperation'),
  findSubmittedJob: (args: readonly unknown[]) =>
    admitSubmitRequest(only(args, 'findSubmittedJob'), 'findSubmittedJob'),
  getJob: (args: readonly unknown[]) => admitGetJobRequest(only(args, 'getJob')),
  awaitJobChange: (args: readonly unknown[]) => admitAwaitJobChangeRequest(only(args, 'awaitJobChange')),
  readResource: (args: readonly unknown[]) => {
    if (args.length < 1 || args.length > 2)
      throw invalidInput(`readResource: takes 1 or 2 arguments, not ${args.length}`);
    return admitReadResource(args[0], args[1]);
  },
  wakePausedRuns: (args: readonly unknown[]) => admitWakeRequest(only(args, 'wakePausedRuns')),
  scrubTexts: (args: readonly unknown[]) =>
    admit(z.array(z.string()).check(z.maxLength(1000)), only(args, 'scrubTexts'), {
      where: 'scrubTexts',
      maxBytes: MAX_BEFORE_BYTES,
    }),
  ...SWEEP_ACTIVITY_INPUTS,
} as const;

/** The one argument of an activity that takes one. */
function only(args: readonly unknown[], name: string): unknown {
  if (args.length !== 1) throw invalidInput(`${name}: takes one argument, not ${args.length}`);
  return args[0];
}

/** Every path template an NSE read of ours may take: each operation's path, `path/{id}`, and its undo's read path. */
function cataloguePathTemplates(): string[] {
  const templates = new Set<string>();
  for (const spec of OPERATIONS.values()) {
    templates.add(spec.path);
    if (!spec.path.includes('{')) templates.add(`${spec.path}/{id}`);
    if (spec.undo.kind === 'restore') templates.add(spec.undo.readPath);
  }
  return [...templates];
}

/** True when `path` is a catalogue template with every `{field}` a safe segment, URL-encoded as `fillPath` does. */
export function isCataloguePath(path: string): boolean {
  const segments = path.split('/');
  return cataloguePathTemplates().some((template) => {
    const parts = template.split('/');
    return (
      parts.length === segments.length &&
      parts.every((part, index) => {
        const segment = segments[index] as string;
        return /^\{\w+\}$/.test(part) ? isEncodedSegment(segment) : part === segment;
      })
    );
  });
}

/** A segment `encodeURIComponent` made of a safe value (so decoding and encoding again give it back). */
function isEncodedSegment(segment: string): boolean {
  let value: string;
  try {
    value = decodeURIComponent(segment);
  } catch {
    return false;
  }
  return isSafePathSegment(value) && encodeURIComponent(value) === segment;
}
