/**
 * Removes secrets from data before it leaves the worker: NSE job records echo credentials in clear
 * (`job_tasks[].request_payload.org_password`), and anything returned by an activity lands in workflow history.
 * Pure TypeScript with no Node imports, so workflows may use it too.
 * @module
 */

/** The placeholder that replaces every secret value. */
export const REDACTED = '[redacted]';

/**
 * Matches property names whose values are secrets: anything containing password, passwd, passphrase, secret,
 * token, credential, authorization or cookie, and names ending in `key` after a prefix (`access_key`, `api-key`,
 * `privateKey`, `sshkey`). A bare `key` is kept on purpose: NSE tags are `{ key, value }` pairs whose `key` is a
 * tag name, not a secret. Stateless (no `g` flag), so it is safe to share.
 */
export const SECRET_KEY_PATTERN = /passw(?:or)?d|passphrase|secret|token|credential|authori[sz]ation|cookie|.key$/i;

/** True when a property called `name` holds a secret according to {@link SECRET_KEY_PATTERN}. */
export function isSecretKey(name: string): boolean {
  return SECRET_KEY_PATTERN.test(name);
}

/**
 * Returns a deep copy of `value` in which the value of every property matching {@link SECRET_KEY_PATTERN}, at
 * any depth, is replaced by {@link REDACTED} (null and undefined stay as they are: they reveal nothing). Plain objects and arrays are copied; other objects (Date, class
 * instances) are kept by reference. Cycles are copied as cycles, and `__proto__` keys stay plain own properties.
 */
export function redactSecrets<T>(value: T): T {
  return copy(value, new WeakMap()) as T;
}

function copy(value: unknown, seen: WeakMap<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copy(item, seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    // defineProperty, not assignment: `out['__proto__'] = x` would replace the copy's prototype.
    Object.defineProperty(out, key, {
      value: isSecretKey(key) && item !== null && item !== undefined ? REDACTED : copy(item, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
