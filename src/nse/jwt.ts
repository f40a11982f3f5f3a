/**
 * When a JWT from NSE's sign-in needs renewing: its `exp`, and the renewal margin.
 * @module
 */

/** The `exp` of a JWT as epoch milliseconds, or undefined when the token has no readable `exp`. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp: unknown = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when a token obtained at `obtainedAt` and expiring at `expiresAt` should be renewed at `now`: less than
 * 60 s or less than 10% of its lifetime remains. A token without `exp` is renewed only after a 401.
 */
export function tokenNeedsRenewal(expiresAt: number | undefined, obtainedAt: number, now: number): boolean {
  if (expiresAt === undefined) return false;
  const remaining = expiresAt - now;
  return remaining < 60_000 || remaining < 0.1 * (expiresAt - obtainedAt);
}
