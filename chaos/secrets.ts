/**
 * The leak scanner: looks for the NSE password, any JWT (header.payload.signature), the tokens the simulator
 * issued and the fake credentials NSE echoes in job `request_payload`s, in any value (histories, search attributes,
 * memos) or text (log lines). Payload bytes are decoded before they are searched.
 * @module
 */
import { SIM_FIXTURES } from '../simulator/fixtures';

/** What counts as a secret, and under which label a hit is reported. */
export interface SecretSet {
  /** Exact strings, by label. */
  literals: Map<string, string>;
  /** Shapes of secrets the suite cannot list in advance. */
  patterns: { label: string; pattern: RegExp }[];
}

/** One secret found somewhere it must not be. */
export interface Leak {
  /** Where: `history <workflowId>/<runId>`, `search attributes …`, `worker log line 17`, … */
  where: string;
  secret: string;
}

/** A JWT as NSE issues them: base64url of `{"…` (header), `.`, base64url of `{"…` (payload), `.`, signature. */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}/;

/** The secrets of one chaos run: the NSE user's password (and its Basic form), JWTs, and NSE's echoed credentials. */
export function chaosSecrets(username: string, password: string, issuedTokens: Iterable<string> = []): SecretSet {
  const literals = new Map<string, string>([
    [password, 'NSE password'],
    [Buffer.from(`${username}:${password}`).toString('base64'), 'NSE Basic credentials'],
    [SIM_FIXTURES.fakeSecrets.orgPassword, 'request_payload org_password'],
    [SIM_FIXTURES.fakeSecrets.adminPassword, 'request_payload admin_password'],
  ]);
  for (const token of issuedTokens) literals.set(token, 'JWT issued by the simulator');
  return { literals, patterns: [{ label: 'JWT-shaped string', pattern: JWT_PATTERN }] };
}

/** The labels of the secrets `text` contains (each once). */
export function secretsIn(text: string, secrets: SecretSet): string[] {
  const found = new Set<string>();
  for (const [value, label] of secrets.literals) if (value !== '' && text.includes(value)) found.add(label);
  for (const { label, pattern } of secrets.patterns) if (pattern.test(text)) found.add(label);
  return [...found];
}

/**
 * Walks any value (protobuf messages included) and reports each secret found in a string or in decoded bytes:
 * payload `data` is JSON bytes, so a secret inside a payload is found as text.
 */
export function scanValue(value: unknown, where: string, secrets: SecretSet): Leak[] {
  const leaks: Leak[] = [];
  const seen = new WeakSet<object>();
  const texts: string[] = [];
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      texts.push(node);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    if (seen.has(node)) return;
    seen.add(node);
    if (node instanceof Uint8Array) {
      texts.push(Buffer.from(node.buffer, node.byteOffset, node.byteLength).toString('utf8'));
      return;
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    for (const key of Object.keys(node)) {
      texts.push(key);
      visit((node as Record<string, unknown>)[key]);
    }
  };
  visit(value);
  const found = new Set<string>();
  for (const text of texts) for (const label of secretsIn(text, secrets)) found.add(label);
  for (const secret of found) leaks.push({ where, secret });
  return leaks;
}

/** Scans text line by line (a log file); reports each line and secret. */
export function scanLines(text: string, where: string, secrets: SecretSet): Leak[] {
  return text
    .split('\n')
    .flatMap((line, i) => secretsIn(line, secrets).map((secret) => ({ where: `${where} line ${i + 1}`, secret })));
}
