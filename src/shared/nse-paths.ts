/**
 * Values in NSE URL paths: which values a `{field}` segment may take, and the templates filled with them. Pure:
 * the catalogue's schemas refuse unsafe values with {@link PATH_SEGMENT_RULE}, and {@link fillPath} checks again.
 * @module
 */
import { isWellFormed } from './entry-gate';

/**
 * What a value placed in a URL path may be: not `.` or `..` (nor any other run of dots, which some servers trim to
 * those), no leading or trailing white space (trimmed by some servers), no control characters, and none of
 * `/ \\ ? # %` (a separator, a query, a fragment, or an escape a second decoding would turn into one). What is left
 * comes through `encodeURIComponent` and URL normalisation unchanged, so the request path is exactly the template
 * with the encoded value. A lone UTF-16 surrogate is refused too: `encodeURIComponent` throws `URIError` for it.
 */
export function isSafePathSegment(value: string): boolean {
  return (
    value !== '' &&
    isWellFormed(value) &&
    !/^\.+$/.test(value) &&
    // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
    !/^\s|\s$|[\u0000-\u001f\u007f-\u009f/\\?#%]/.test(value)
  );
}

/** How {@link isSafePathSegment} is explained in an `InvalidInput` message. */
export const PATH_SEGMENT_RULE =
  'must not be . or .., start or end with a space, or contain control characters, slashes, ?, #, % or a lone surrogate';

/** A `{field}` value that is not a safe path segment (see {@link isSafePathSegment}); thrown by {@link fillPath}. */
export class UnsafePathValueError extends Error {
  override readonly name = 'UnsafePathValueError';
}

/** The `{field}` names of a path template, in order. */
export function pathFields(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}

/**
 * Fills `{field}` segments of `template` from `values`, URL-encoded; returns the path and the fields it used. Schemas
 * refuse unsafe values first; this check is the last line, for a value that came some other way (a job's object id).
 * Throws {@link UnsafePathValueError} naming the field, never the value.
 */
export function fillPath(template: string, values: Record<string, unknown>): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const path = template.replace(/\{(\w+)\}/g, (_match, field: string) => {
    used.add(field);
    const value = values[field];
    if ((typeof value !== 'string' && typeof value !== 'number') || !isSafePathSegment(String(value)))
      throw new UnsafePathValueError(`${field}: ${PATH_SEGMENT_RULE}`);
    return encodeURIComponent(String(value));
  });
  return { path, used };
}
