/**
 * How workflow-safe code parses with zod: `zod/mini`, whose schema instances are light (classic zod gives every
 * instance dozens of own methods), English messages like classic zod's, and no generated code (zod compiles a
 * fast path per object schema with `new Function`; in a workflow, schemas are built per run, so it would compile
 * per run).
 *
 * This module is also what the workflow bundle preloads (`workflowBundlerOptions` in src/bundler-options.ts): once
 * per worker thread, zod's own modules are then evaluated and shared by every run instead of evaluated and kept by
 * each one. A preloaded module is deep-frozen after it loads, so it keeps no state of its own and does zod's one
 * write-once probe now. Pure, workflow-safe.
 * @module
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

const { localeError } = en();

// zod caches, on first use, whether `new Function` works; reading it here keeps that write out of frozen modules.
z.object({});

/** What a failed parse reports. */
export type SchemaError = z.core.$ZodError;

/**
 * zod's English messages, except that a required field left out reads as missing ("required field missing,
 * expected one of ..."), where zod would call it a bad value ("Invalid option: expected one of ...").
 */
function missingOrLocaleError(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input !== undefined || issue.path === undefined || issue.path.length === 0) return messageOf(issue);
  if (issue.code === 'invalid_type') return `required field missing, expected ${issue.expected}`;
  if (issue.code === 'invalid_value')
    return `required field missing, expected one of ${issue.values.map((value) => JSON.stringify(value)).join('|')}`;
  return messageOf(issue);
}

function messageOf(issue: z.core.$ZodRawIssue): string | undefined {
  const message = localeError(issue);
  return typeof message === 'string' ? message : message?.message;
}

/** Parses `value` with English messages and without generated code; never throws for invalid data. */
export function safeParse<T>(schema: z.ZodMiniType<T>, value: unknown): z.core.util.SafeParseResult<T> {
  return schema.safeParse(value, { error: missingOrLocaleError, jitless: true });
}
