/**
 * HS256 JSON Web Tokens for the simulator's `/v2.1/auth/*` endpoints, with node:crypto only. NSE's token payload is
 * just `{ username, exp }` (nse-api.md §2), so that is all this module signs.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The payload NSE puts in its tokens: no `iat`, no roles. */
interface JwtPayload {
  username: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Why {@link verifyJwt} refused a token. */
type JwtRejection = 'malformed' | 'bad-signature' | 'expired';

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function base64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url');
}

function signature(signingInput: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** Signs `payload` with HS256 and returns the compact `header.payload.signature` form. */
export function signJwt(payload: JwtPayload, secret: string): string {
  const signingInput = `${HEADER}.${base64url(JSON.stringify(payload))}`;
  return `${signingInput}.${signature(signingInput, secret).toString('base64url')}`;
}

/**
 * Checks the signature and expiry of `token`; `nowSeconds` is injected so expiry tests need no waiting.
 * Returns the payload, or the reason the token is refused.
 */
export function verifyJwt(
  token: string,
  secret: string,
  nowSeconds: number,
): { ok: true; payload: JwtPayload } | { ok: false; reason: JwtRejection } {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [header, body, sig] = parts as [string, string, string];
  let decodedHeader: unknown;
  let payload: unknown;
  try {
    decodedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isRecord(decodedHeader) || decodedHeader.alg !== 'HS256') return { ok: false, reason: 'malformed' };
  const expected = signature(`${header}.${body}`, secret);
  const given = Buffer.from(sig, 'base64url');
  // Constant-time comparison, so the simulator does not teach clients to rely on a timing side channel.
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'bad-signature' };
  if (!isRecord(payload) || typeof payload.username !== 'string' || typeof payload.exp !== 'number') {
    return { ok: false, reason: 'malformed' };
  }
  if (payload.exp <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, payload: { username: payload.username, exp: payload.exp } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
