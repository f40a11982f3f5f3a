/**
 * The NSE REST API v2.1 client: authentication (Basic, JWT with renewal, static bearer token), the response
 * envelope, jobs and typed errors. Plain Node, no Temporal imports. Why node:http and not undici: Node 20's fetch takes
 * no CA file or agent without adding the undici package, while node:https keep-alive agents do, and the timeout, abort
 * and byte-limit handling below would stay. It does not retry by default: in workflows Temporal's retry policy does
 * that, with the history to show for it; the GET retries are for `nse-flow jobs`, which runs outside Temporal.
 * @module
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Job, JobPage, ListJobsQuery, SubmitResult } from '../shared/nse-types';
import type { HttpMethod } from '../shared/operations';
import { redactSecrets, rememberSecret } from '../common/redact';
import {
  isRecord,
  NseEnvelopeError,
  parseEnvelope,
  parseJob,
  readStatus,
  recordsOf,
  type NseEnvelope,
} from './envelope';
import { NseError, NseHttpError, NseProtocolError, NseUnsafePathError } from './errors';
import { parseRetryAfter, sendRequest, type Exchange, type ExchangeConnection } from './http-exchange';
import { jwtExpiry, tokenNeedsRenewal } from './jwt';
import type { GetJobOptions, NseAuth, NseCallOptions, NseClientOptions } from './options';
import { RequestSpacing } from './request-spacing';

export { parseRetryAfter } from './http-exchange';
export { jwtExpiry, tokenNeedsRenewal } from './jwt';
export type { GetJobOptions, NseAuth, NseCallOptions, NseClientOptions } from './options';

type Method = 'GET' | HttpMethod;
type Query = Record<string, string | number | undefined>;

interface CallSpec {
  query?: Query;
  body?: Record<string, unknown>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

interface JwtState {
  token: string;
  obtainedAt: number;
  /** Epoch ms from the token's `exp`; undefined when the token does not say. */
  expiresAt: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;
const SIGNIN_PATH = '/v2.1/auth/signin';
const REFRESH_PATH = '/v2.1/auth/refresh';

/**
 * Client of the NSE REST API v2.1. Every value it returns is redacted with `redactSecrets` (but the record of
 * {@link NseClient.getResourceAsStored}, which goes back to NSE); every failure is an
 * {@link NseError} subclass, except a cancelled call, which rejects with its signal's reason.
 */
export class NseClient {
  private readonly origin: string;
  private readonly basePath: string;
  private readonly connection: ExchangeConnection;
  private readonly auth: NseAuth;
  private readonly timeoutMs: number;
  private readonly getRetries: number;
  private readonly spacing: RequestSpacing | undefined;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly log: Logger | undefined;
  private jwt: JwtState | undefined;
  // Concurrent calls share one sign-in or refresh instead of each starting their own.
  private jwtPending: Promise<string> | undefined;
  private closed = false;

  constructor(options: NseClientOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`NSE base URL must be http or https, got ${base.protocol}`);
    }
    if (base.username !== '' || base.password !== '') {
      // Credentials in the URL would end up in logs and error messages; they belong in `auth`.
      throw new TypeError('NSE base URL must not contain credentials; use the auth option');
    }
    if (base.search !== '' || base.hash !== '') throw new TypeError('NSE base URL must not have a query or fragment');
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.auth = options.auth;
    // Scrubbed by value from every text this process lets out (job texts, failure messages, logs).
    rememberSecret(this.auth.kind === 'token' ? this.auth.token : this.auth.password);
    // HTTP Basic sends base64 of `user:password`, which contains no base64 of the password alone.
    if (this.auth.kind !== 'token') {
      rememberSecret(Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64'));
    }
    this.timeoutMs = positive(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.getRetries = options.getRetries ?? 0;
    if (!Number.isInteger(this.getRetries) || this.getRetries < 0) {
      throw new RangeError('getRetries must be a non-negative integer');
    }
    this.spacing =
      options.maxRequestsPerSecond === undefined ? undefined : new RequestSpacing(options.maxRequestsPerSecond);
    this.backoffInitialMs = positive(options.getRetryBackoff?.initialMs ?? 500, 'getRetryBackoff.initialMs');
    this.backoffMaxMs = Math.max(this.backoffInitialMs, options.getRetryBackoff?.maxMs ?? 10_000);
    const logger = options.logger;
    // Callers often pass a logger already bound to the component; binding it twice would print the key twice.
    this.log = logger && logger.bindings().component === undefined ? logger.child({ component: 'nse-client' }) : logger;
    if (base.protocol === 'https:') {
      const ca = options.caFile === undefined ? {} : { ca: readFileSync(options.caFile) };
      this.connection = { transport: https, agent: new https.Agent({ keepAlive: true, ...ca }), log: this.log };
    } else {
      if (options.caFile !== undefined)
        this.log?.warn({ baseUrl: base.origin }, 'caFile ignored: NSE base URL is http');
      this.connection = { transport: http, agent: new http.Agent({ keepAlive: true }), log: this.log };
    }
  }

  /**
   * Sends one asynchronous NSE call: a 202 with a job gives `{ kind: 'job' }`; 200, 201 or 204 give
   * `{ kind: 'sync' }` with the first record, if any, even when it looks like a job. A 202 without a job throws
   * {@link NseProtocolError}; never retried, because NSE may already be acting on it (see `isAmbiguous`).
   */
  async submit(
    method: HttpMethod,
    path: string,
    body?: Record<string, unknown>,
    options: NseCallOptions = {},
  ): Promise<SubmitResult> {
    const res = await this.call(method, path, { ...(body === undefined ? {} : { body }), signal: options.signal });
    if (res.status === 202) {
      const record = this.firstRecord(method, path, res);
      if (record === undefined) throw new NseProtocolError(method, path, 'HTTP 202 without a job', 202);
      return { kind: 'job', httpStatus: 202, job: this.toJob(method, path, record, 'HTTP 202 without a job') };
    }
    const record = res.body === undefined ? undefined : this.firstRecord(method, path, res);
    return { kind: 'sync', httpStatus: res.status, record: record === undefined ? undefined : redactSecrets(record) };
  }

  /**
   * Reads one job (`GET /v2.1/jobs/{id}`). With `pollTimeoutSeconds` it uses the long-poll extension and waits
   * that much longer than the normal timeout for the answer.
   */
  async getJob(id: string, options: GetJobOptions = {}): Promise<Job> {
    const path = `/v2.1/jobs/${encodeURIComponent(id)}`;
    let timeoutMs = this.timeoutMs;
    const query: Query = {};
    if (options.pollTimeoutSeconds !== undefined) {
      if (!Number.isInteger(options.pollTimeoutSeconds) || options.pollTimeoutSeconds < 1) {
        throw new RangeError('pollTimeoutSeconds must be a whole number of seconds, at least 1');
      }
      query.poll_timeout = options.pollTimeoutSeconds;
      timeoutMs += options.pollTimeoutSeconds * 1000;
    }
    if (options.lastModified !== undefined) query.last_modified = options.lastModified;
    const res = await this.call('GET', path, { query, signal: options.signal, timeoutMs });
    const record = this.firstRecord('GET', path, res);
    if (record === undefined) throw new NseProtocolError('GET', path, 'no job in the response', res.status);
    const job = this.toJob('GET', path, record, 'not a job');
    if (job.id !== id) throw new NseProtocolError('GET', path, 'the job in the response has another id', res.status);
    return job;
  }

  /** Reads one page of `GET /v2.1/jobs`. */
  async listJobs(query: ListJobsQuery = {}, options: NseCallOptions = {}): Promise<JobPage> {
    return (await this.fetchJobPage(query, options.signal)).page;
  }

  /**
   * Yields every job of `GET /v2.1/jobs` page by page (offset/limit), stopping at `total_records` or at an empty
   * page; a page shorter than `query.limit` also ends it when NSE does not report a total.
   */
  async *iterateJobs(query: ListJobsQuery = {}, options: NseCallOptions = {}): AsyncGenerator<Job, void, undefined> {
    let offset = query.offset ?? 0;
    for (;;) {
      const { page, totalReported } = await this.fetchJobPage({ ...query, offset }, options.signal);
      yield* page.jobs;
      if (page.jobs.length === 0) return;
      offset += page.jobs.length;
      if (totalReported ? offset >= page.totalRecords : query.limit !== undefined && page.jobs.length < query.limit) {
        return;
      }
    }
  }

  /** GETs `path` and returns its first record, redacted; throws {@link NseProtocolError} when there is none. */
  async getResource(path: string, options: NseCallOptions = {}): Promise<Record<string, unknown>> {
    return redactSecrets(await this.getResourceAsStored(path, options));
  }

  /**
   * GETs `path` and returns its first record exactly as NSE sent it, secrets included: only for values that go back
   * to NSE (the record an update's undo restores), never for text that leaves the process.
   */
  async getResourceAsStored(path: string, options: NseCallOptions = {}): Promise<Record<string, unknown>> {
    const res = await this.call('GET', path, { signal: options.signal });
    const record = this.firstRecord('GET', path, res);
    if (record === undefined) throw new NseProtocolError('GET', path, 'no record in the response', res.status);
    return record;
  }

  /** GETs one page of the collection at `path` filtered by `query` and returns its records, redacted. */
  async listResources(
    path: string,
    query: Record<string, string | number | undefined>,
    options: NseCallOptions = {},
  ): Promise<Record<string, unknown>[]> {
    const res = await this.call('GET', path, { query, signal: options.signal });
    return recordsOf(this.envelope('GET', path, res))
      .filter(isRecord)
      .map((record) => redactSecrets(record));
  }

  /** Destroys the keep-alive connections; later calls throw. */
  close(): void {
    this.closed = true;
    this.connection.agent.destroy();
  }

  private async fetchJobPage(
    query: ListJobsQuery,
    signal: AbortSignal | undefined,
  ): Promise<{ page: JobPage; totalReported: boolean }> {
    const path = '/v2.1/jobs';
    const res = await this.call('GET', path, {
      query: {
        tenant_id: query.tenantId,
        offset: query.offset,
        limit: query.limit,
        sort_by: query.sortBy,
        order_by: query.orderBy,
      },
      signal,
    });
    const envelope = this.envelope('GET', path, res);
    const jobs = recordsOf(envelope).map((record) => {
      if (!isRecord(record)) throw new NseProtocolError('GET', path, 'a job record is not an object', res.status);
      return this.toJob('GET', path, record, 'not a job');
    });
    const result = envelope.result;
    const offset = result?.offset ?? query.offset ?? 0;
    const total = result?.total_records;
    return {
      page: {
        jobs,
        totalRecords: total ?? offset + jobs.length,
        offset,
        limit: result?.limit ?? query.limit ?? jobs.length,
      },
      totalReported: total !== undefined,
    };
  }

  /** One logical call: authentication, the single re-sign-in on a 401, non-2xx → NseHttpError, GET retries. */
  private async call(method: Method, path: string, spec: CallSpec): Promise<Exchange> {
    // The last guard of every request: the path NSE receives is the one asked for, or nothing is sent.
    const asked = this.basePath + (path.startsWith('/') ? path : `/${path}`);
    if (new URL(this.origin + asked).pathname !== asked.split('?')[0]) throw new NseUnsafePathError(method, path);
    if (this.closed) throw new Error('NseClient is closed');
    if (method !== 'GET' || this.getRetries === 0) return await this.authorised(method, path, spec);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.authorised(method, path, spec);
      } catch (err) {
        if (attempt >= this.getRetries || !(err instanceof NseError) || !err.retryable) throw err;
        const delayMs = this.retryDelay(attempt, err);
        this.log?.debug({ method, path, attempt: attempt + 1, delayMs, error: err.name }, 'retrying NSE GET');
        // Rejects with the signal's reason, as every cancelled call does (timers/promises would give an AbortError).
        await sleep(delayMs, undefined, { signal: spec.signal }).catch((err: unknown) => {
          throw spec.signal?.aborted ? spec.signal.reason : err;
        });
      }
    }
  }

  private async authorised(method: Method, path: string, spec: CallSpec): Promise<Exchange> {
    let authorization = await this.authorization();
    let res = await this.exchange(method, path, { ...spec, authorization });
    if (res.status === 401 && this.auth.kind === 'jwt') {
      // The token may have been revoked or NSE restarted: sign in again, once, and repeat the call once. A 401
      // means NSE refused the call before acting on it, so repeating even a POST is safe.
      this.forgetToken(authorization);
      this.log?.debug({ method, path }, 'NSE answered 401; signing in again');
      authorization = await this.authorization();
      res = await this.exchange(method, path, { ...spec, authorization });
    }
    if (res.status >= 200 && res.status < 300) return res;
    throw this.httpError(method, path, res);
  }

  private async authorization(): Promise<string> {
    switch (this.auth.kind) {
      case 'basic':
        return `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`, 'utf8').toString('base64')}`;
      case 'token':
        return `Bearer ${this.auth.token}`;
      case 'jwt':
        return `Bearer ${await this.bearerToken()}`;
    }
  }

  private bearerToken(): Promise<string> {
    if (this.jwtPending) return this.jwtPending;
    const current = this.jwt;
    const now = Date.now();
    if (current && !tokenNeedsRenewal(current.expiresAt, current.obtainedAt, now))
      return Promise.resolve(current.token);
    const renewal =
      current && (current.expiresAt === undefined || current.expiresAt > now) ? this.refresh(current) : this.signIn();
    this.jwtPending = renewal.finally(() => {
      this.jwtPending = undefined;
    });
    return this.jwtPending;
  }

  private forgetToken(authorization: string): void {
    // Only the token this call used: a concurrent call may already have fetched a fresh one.
    if (this.jwt && authorization === `Bearer ${this.jwt.token}`) this.jwt = undefined;
  }

  private async signIn(): Promise<string> {
    if (this.auth.kind !== 'jwt') throw new Error('signIn needs jwt auth');
    const res = await this.exchange('POST', SIGNIN_PATH, {
      body: { username: this.auth.username, password: this.auth.password },
    });
    return this.acceptToken('POST', SIGNIN_PATH, res);
  }

  private async refresh(current: JwtState): Promise<string> {
    try {
      const res = await this.exchange('POST', REFRESH_PATH, { authorization: `Bearer ${current.token}` });
      if (res.status !== 401) return this.acceptToken('POST', REFRESH_PATH, res);
    } catch (err) {
      if (err instanceof NseError && (current.expiresAt === undefined || current.expiresAt > Date.now())) {
        // The current token still works: keep using it and try renewing again on the next call.
        this.log?.warn({ error: err.name, status: (err as Partial<NseHttpError>).status }, 'NSE token refresh failed');
        return current.token;
      }
      throw err;
    }
    // NSE no longer accepts the token it is asked to refresh: start again from the credentials.
    return await this.signIn();
  }

  private acceptToken(method: Method, path: string, res: Exchange): string {
    if (res.status < 200 || res.status >= 300) throw this.httpError(method, path, res);
    const token = this.firstRecord(method, path, res)?.token;
    if (typeof token !== 'string' || token === '') {
      throw new NseProtocolError(method, path, 'no token in the response', res.status);
    }
    rememberSecret(token, { renewed: true });
    this.jwt = { token, obtainedAt: Date.now(), expiresAt: jwtExpiry(token) };
    return token;
  }

  private httpError(method: Method, path: string, res: Exchange): NseHttpError {
    return new NseHttpError(
      method,
      path,
      res.status,
      readStatus(res.body),
      parseRetryAfter(res.headers['retry-after']),
    );
  }

  private envelope(method: Method, path: string, res: Exchange): NseEnvelope {
    try {
      return parseEnvelope(res.body ?? {});
    } catch (err) {
      if (err instanceof NseEnvelopeError) throw new NseProtocolError(method, path, err.reason, res.status);
      throw err;
    }
  }

  private firstRecord(method: Method, path: string, res: Exchange): Record<string, unknown> | undefined {
    const first = recordsOf(this.envelope(method, path, res))[0];
    if (first === undefined) return undefined;
    if (!isRecord(first)) throw new NseProtocolError(method, path, 'the first record is not an object', res.status);
    return first;
  }

  private toJob(method: Method, path: string, record: Record<string, unknown>, what: string): Job {
    try {
      return parseJob(record);
    } catch (err) {
      if (err instanceof NseEnvelopeError) throw new NseProtocolError(method, path, `${what}: ${err.reason}`);
      throw err;
    }
  }

  private retryDelay(attempt: number, err: NseError): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** attempt);
    const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
    const retryAfter = err instanceof NseHttpError ? err.retryAfterMs : undefined;
    return Math.round(
      retryAfter === undefined ? jittered : Math.max(jittered, Math.min(retryAfter, MAX_RETRY_AFTER_MS)),
    );
  }

  /** One HTTP exchange, in this client's turn when its requests are spaced (`maxRequestsPerSecond`). */
  private async exchange(method: Method, path: string, spec: CallSpec & { authorization?: string }): Promise<Exchange> {
    await this.spacing?.turn(spec.signal);
    const url = new URL(this.origin + this.basePath + (path.startsWith('/') ? path : `/${path}`));
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return await sendRequest(this.connection, {
      method,
      path,
      url,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      ...(spec.authorization === undefined ? {} : { authorization: spec.authorization }),
      signal: spec.signal,
      timeoutMs: spec.timeoutMs ?? this.timeoutMs,
    });
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}
