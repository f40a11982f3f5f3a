/**
 * The one definition of what is secret, and how it is removed from data and text before either leaves the worker:
 * NSE job records echo credentials (`job_tasks[].request_payload.org_password`, sometimes a JSON string), and its
 * free texts (`last_error`, `status_detail`, `job_summary`) may quote them; anything an activity returns lands in
 * workflow history, and failure messages and logs are read by people. Logging (src/logging.ts), the NSE client and
 * the activities all use this module. Pure TypeScript with no Node imports, so workflows may use it too.
 *
 * Three rules, applied together:
 * - by key name: the value of a property whose name says secret ({@link isSecretProperty}) is replaced whole;
 * - by value: the values found under such keys (also inside JSON-string payloads), the process's own credentials
 *   ({@link rememberSecret}) and whatever the caller knows are replaced wherever they appear in free text;
 * - by shape: JWTs, `Bearer`/`Basic` credentials, URL user-info and `password=...`-style pairs in free text.
 * @module
 */
import type { Job, JobTask } from '../shared/nse-types';

/** The placeholder that replaces every secret value. */
export const REDACTED = '[redacted]';

/** What replaces data nested deeper than {@link MAX_REDACT_DEPTH} (it is not walked, so it cannot leak). */
const TOO_DEEP = '[too deep]';

/** Deepest nesting redaction walks; NSE records nest a few levels, and no input may exhaust the stack. */
const MAX_REDACT_DEPTH = 32;

/**
 * Values shorter than this are not searched for in free text: a two-letter "password" would turn every word
 * containing it into `[redacted]`. Key-name and shape rules still apply to them.
 */
const MIN_SECRET_LENGTH = 4;

/**
 * Matches property names whose values are secrets: anything containing password, passwd, passphrase, secret,
 * token, credential, authorization, cookie, jwt, bearer or private key, and names ending in `key` after a prefix
 * (`access_key`, `api-key`, `privateKey`, `sshkey`). A bare `key` is kept on purpose: NSE tags are `{ key, value }`
 * pairs whose `key` is a tag name, not a secret. Stateless (no `g` flag), so it is safe to share.
 */
export const SECRET_KEY_PATTERN =
  /passw(?:or)?d|passphrase|passcode|secret|token|credential|authori[sz]ation|cookie|session[_-]?id|jwt|bearer|private[_-]?key|.key$|^(?:x-)?auth$/i;

/** Short secret words that count only as a whole word of a name (`pwd`, `org_pass`, `adminPw`; not `passive`). */
const SECRET_WORDS = new Set(['pwd', 'pw', 'pass', 'psk', 'otp']);

/** The words of a property name: `org_pass`, `orgPass` and `org-pass` all give `org`, `pass`. */
function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** True when a property called `name` holds a secret: {@link SECRET_KEY_PATTERN}, or a short secret word. */
export function isSecretKey(name: string): boolean {
  return SECRET_KEY_PATTERN.test(name) || wordsOf(name).some((word) => SECRET_WORDS.has(word));
}

/**
 * True when property `name` of `holder` holds a secret: a secret key name, or a bare `key` that is not half of a
 * `{ key, value }` tag pair (`{ id, key }` is key material, as the codec's keys are).
 */
function isSecretProperty(holder: object, name: string): boolean {
  if (name.toLowerCase() === 'key') return !Object.keys(holder).some((other) => other.toLowerCase() === 'value');
  return isSecretKey(name);
}

/**
 * The path (`snapshot_policy.hourly_key`) of the first property of `value`, at any depth, whose name says it holds a
 * secret ({@link isSecretProperty}) and whose value is not null; undefined when there is none. Bounded by
 * {@link MAX_REDACT_DEPTH}: anything deeper counts as secret, since it was not looked at.
 */
export function findSecretProperty(value: unknown): string | undefined {
  const pending: { node: unknown; path: string; depth: number }[] = [{ node: value, path: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, path, depth } = next;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= MAX_REDACT_DEPTH) return path;
    for (const [key, item] of Object.entries(node)) {
      const at = path === '' ? key : Array.isArray(node) ? `${path}[${key}]` : `${path}.${key}`;
      if (item !== null && item !== undefined && !Array.isArray(node) && isSecretProperty(node, key)) return at;
      pending.push({ node: item, path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

// Secret shapes in free text. Each keeps what names the secret and replaces the secret itself.
const JWT = /\beyJ[\w-]{2,}\.[\w-]{2,}\.[\w-]*/g;
const BEARER = /\b(Bearer\s+)[\w.~+/=-]{8,}/gi;
// A Basic credential is base64: it has a digit, +, / or = somewhere (so "Basic authentication" stays).
const BASIC = /\b(Basic\s+)(?=[\w+/=]*[\d+/=])[\w+/=]{4,}/gi;
// Each pattern starts only where a run of its characters starts, so no text makes it scan quadratically.
const URL_USERINFO = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
// `name: value`, `name=value`, `"name": "value"`: a secret when the name is ({@link isSecretKey}). The name and its
// separator are found first; a value is read (quoted, up to 4 KiB, or up to a delimiter) only after a secret name,
// so no text makes the scan quadratic.
// A JSON document quoted inside a JSON string escapes its quotes (`{\"org_password\": \"x\"}`): both count.
const NAME_AND_SEPARATOR = /(?<![\w-])([\w-]+)(\\?["']?\s*[:=]\s*)/g;
const PAIR_VALUE = /\\"[^"\\]{0,4096}\\"|"[^"]{0,4096}"|'[^']{0,4096}'|[^\s"',;&)}\]]+/y;
// `<password>x</password>`: an XML element whose name is secret.
const XML_ELEMENT = /<([\w:-]{1,64})>([^<]{1,4096})<\/\1>/g;
// `-admin-password x`, `--token=x`: a command-line option whose name is secret, and its value.
const OPTION_VALUE = /(?<![\w-])(--?[\w-]{1,64})(\s+|=)(['"]?)([^\s'"]{1,4096})\3/g;
// `password x is wrong`: a secret word, then a value that a verb shows was the secret itself.
const WORD_THEN_VALUE =
  /\b(pass(?:word|wd|phrase|code)|secret|token)(\s+)(['"]?)(?!(?:is|was|has|does|did|not|for|of)\b)([^\s'"]{1,4096})\3(?=\s+(?:is|was|has|does|did|not|invalid|incorrect|wrong|expired|rejected)\b)/gi;
// A PEM private key, whole.
const PEM_PRIVATE_KEY =
  /-----BEGIN [A-Z0-9 ]{0,64}PRIVATE KEY-----[\s\S]{0,16384}?-----END [A-Z0-9 ]{0,64}PRIVATE KEY-----/g;

/** Process-wide secrets (the worker's credentials, its recent JWTs): scrubbed from every text by value. */
const rememberedSecrets = new Set<string>();
const recentTokens: string[] = [];
/** Renewed tokens kept for scrubbing; older ones have expired and their texts were scrubbed while they lived. */
const MAX_RECENT_TOKENS = 8;

/**
 * Adds a credential of this process to what is scrubbed from every text: a password or key for good, or (with
 * `renewed`) a token that replaces an earlier one, of which the last few are kept.
 */
export function rememberSecret(value: string | undefined, options: { renewed?: boolean } = {}): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || rememberedSecrets.has(value)) return;
  rememberedSecrets.add(value);
  if (!options.renewed) return;
  recentTokens.push(value);
  if (recentTokens.length > MAX_RECENT_TOKENS) rememberedSecrets.delete(recentTokens.shift() as string);
}

/** The secrets {@link rememberSecret} was given, plus `extra`. */
function knownSecrets(extra: Iterable<string> = []): Set<string> {
  return new Set([...rememberedSecrets, ...extra]);
}

/**
 * Collects the secret values `value` carries into `into`: every string or number under a secret key (at any depth
 * below it), JWTs, the values of `password=...` pairs, and the same found inside strings that are JSON. Bounded by
 * {@link MAX_REDACT_DEPTH}.
 */
export function collectSecrets(value: unknown, into: Set<string> = new Set()): Set<string> {
  const pending: { node: unknown; depth: number; secret: boolean }[] = [{ node: value, depth: 0, secret: false }];
  // Each object once (a cycle, or an object shared by many, is walked once), under a secret key or not.
  const seen = { secret: new WeakSet<object>(), plain: new WeakSet<object>() };
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { node, depth, secret } = next;
    if (typeof node === 'string') {
      collectFromText(node, secret, into, depth, (parsed) => pending.push({ node: parsed, depth: depth + 1, secret }));
    } else if (typeof node === 'number' || typeof node === 'bigint') {
      if (secret) addSecret(into, String(node));
    } else if (node !== null && typeof node === 'object' && depth < MAX_REDACT_DEPTH) {
      const visited = secret ? seen.secret : seen.plain;
      if (visited.has(node)) continue;
      visited.add(node);
      for (const [key, item] of Object.entries(node)) {
        pending.push({ node: item, depth: depth + 1, secret: secret || isSecretProperty(node, key) });
      }
    }
  }
  return into;
}

function collectFromText(
  text: string,
  secret: boolean,
  into: Set<string>,
  depth: number,
  walk: (parsed: unknown) => void,
): void {
  if (secret) addSecret(into, text);
  for (const match of text.matchAll(JWT)) addSecret(into, match[0]);
  for (const { value } of secretPairs(text)) addSecret(into, unquote(value));
  const trimmed = text.trim();
  if (depth < MAX_REDACT_DEPTH && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    try {
      walk(JSON.parse(trimmed));
    } catch {
      // Not JSON after all: the text rules above still applied.
    }
  }
}

/**
 * The `name: value` pairs of `text` whose name is secret. A pair with another name is stepped over only up to its
 * value, which may itself begin a pair (`0: password=x`).
 */
function secretPairs(text: string): { start: number; end: number; value: string }[] {
  const pairs: { start: number; end: number; value: string }[] = [];
  const names = new RegExp(NAME_AND_SEPARATOR.source, 'g');
  const values = new RegExp(PAIR_VALUE.source, 'y');
  for (let match = names.exec(text); match !== null; match = names.exec(text)) {
    if (!isSecretKey(match[1] as string)) continue;
    values.lastIndex = names.lastIndex;
    const value = values.exec(text)?.[0];
    if (value === undefined) continue;
    pairs.push({ start: names.lastIndex, end: values.lastIndex, value });
    names.lastIndex = values.lastIndex;
  }
  return pairs;
}

function unquote(value: string): string {
  return /^(["']).*\1$/.test(value) ? value.slice(1, -1) : value;
}

function addSecret(into: Set<string>, value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) into.add(value);
}

/**
 * Removes secrets from free text: every value of `secrets` (as written, JSON-escaped and URL-encoded), then JWTs,
 * bearer and basic credentials, URL user-info and `password=...`-style pairs.
 */
export function scrubText(text: string, secrets: ReadonlySet<string> = rememberedSecrets): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of writtenForms(secret)) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
  }
  out = out
    .replace(PEM_PRIVATE_KEY, REDACTED)
    .replace(XML_ELEMENT, (whole, name: string) => (isSecretKey(name) ? `<${name}>${REDACTED}</${name}>` : whole))
    .replace(OPTION_VALUE, (whole, flag: string, gap: string) =>
      isSecretKey(flag.replace(/^-+/, '')) ? `${flag}${gap}${REDACTED}` : whole,
    )
    .replace(WORD_THEN_VALUE, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(BASIC, `$1${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`);
  return replacePairs(out);
}

/** The forms of the secrets scrubbed lately ({@link writtenForms}); cleared when full, so it stays small. */
const recentForms = new Map<string, readonly string[]>();
const MAX_RECENT_FORMS = 64;

/**
 * How a secret may be written in text: as it is, JSON-escaped, percent-encoded (upper- and lower-case hex, `%20` or
 * `+` for a space, as forms encode it) and in base64. A secret that is not well-formed UTF-16 (a lone surrogate)
 * cannot be percent-encoded, and is searched for only as written and escaped.
 */
function writtenForms(secret: string): readonly string[] {
  let forms = recentForms.get(secret);
  if (forms === undefined) {
    // Every string of every record is scrubbed of the same few secrets: their forms are worked out once.
    if (recentForms.size >= MAX_RECENT_FORMS) recentForms.clear();
    forms = [...formsOf(secret)];
    recentForms.set(secret, forms);
  }
  return forms;
}

function formsOf(secret: string): Set<string> {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1)]);
  let encoded: string;
  try {
    encoded = encodeURIComponent(secret);
  } catch {
    return forms; // URIError: a lone surrogate
  }
  const lower = encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase());
  for (const form of [encoded, lower]) forms.add(form).add(form.replace(/%20/g, '+'));
  forms.add(Buffer.from(secret, 'utf8').toString('base64').replace(/=+$/, ''));
  return forms;
}

/** Replaces the value of every secret `name: value` pair of `text`. */
function replacePairs(text: string): string {
  let out = '';
  let last = 0;
  for (const { start, end } of secretPairs(text)) {
    out += `${text.slice(last, start)}${REDACTED}`;
    last = end;
  }
  return out + text.slice(last);
}

/**
 * Returns a deep copy of `value` in which the value of every secret property ({@link isSecretProperty}), at any depth, is
 * replaced by {@link REDACTED} (null and undefined stay as they are: they reveal nothing) and every string is
 * scrubbed ({@link scrubText}) of the secrets `value` itself carries ({@link collectSecrets}), `secrets`, the
 * remembered ones and the secret shapes. Plain objects and arrays are
 * copied; other objects (Date, class instances) are kept by reference. Cycles are copied as cycles, `__proto__` keys
 * stay plain own properties, and anything nested deeper than {@link MAX_REDACT_DEPTH} becomes {@link TOO_DEEP}.
 */
export function redactSecrets<T>(value: T, secrets: Iterable<string> = []): T {
  return copy(value, collectSecrets(value, knownSecrets(secrets)), new WeakMap(), 0) as T;
}

function copy(value: unknown, secrets: ReadonlySet<string>, seen: WeakMap<object, unknown>, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value, secrets);
  if (value === null || typeof value !== 'object') return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (depth >= MAX_REDACT_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(copy(item, secrets, seen, depth + 1));
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
      value:
        isSecretProperty(value, key) && item !== null && item !== undefined
          ? REDACTED
          : copy(item, secrets, seen, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * A job with its free texts (summary, status detail, last error, object name, the same of each task) scrubbed of
 * the secrets its raw record carries, `secrets` and the remembered ones, and its raw record redacted. Ids, states and times are kept as they are.
 */
export function scrubJob(job: Job, secrets: Iterable<string> = []): Job {
  const all = collectSecrets(job.raw, knownSecrets(secrets));
  const scrubTask = (task: JobTask): JobTask => ({
    ...task,
    statusDetail: scrubText(task.statusDetail, all),
    lastError: scrubText(task.lastError, all),
  });
  return {
    ...job,
    summary: scrubText(job.summary, all),
    objectName: scrubText(job.objectName, all),
    statusDetail: scrubText(job.statusDetail, all),
    lastError: scrubText(job.lastError, all),
    tasks: job.tasks.map(scrubTask),
    raw: redactSecrets(job.raw, all),
  };
}
