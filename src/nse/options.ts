/**
 * The options of the NSE client (src/nse/client.ts): how it authenticates, where NSE is, limits per call.
 * @module
 */
import type { Logger } from 'pino';

/** How the client authenticates; every variant's secrets stay inside the client. */
export type NseAuth =
  /** HTTP Basic on every call. */
  | { kind: 'basic'; username: string; password: string }
  /** JWT from `POST /v2.1/auth/signin`, renewed with `POST /v2.1/auth/refresh` before `exp`, re-signed-in once on a 401. */
  | { kind: 'jwt'; username: string; password: string }
  /** A static bearer token. */
  | { kind: 'token'; token: string };

/** Options of {@link NseClient}. */
export interface NseClientOptions {
  /** API base such as `https://nse.example.com/api`; every path (`/v2.1/...`) is appended to it. */
  baseUrl: string;
  auth: NseAuth;
  /** Limit for one HTTP exchange, from connect to the last body byte; default 30 000. */
  timeoutMs?: number;
  /** PEM file of the CA(s) that signed NSE's certificate; it replaces the default roots, like `curl --cacert`. */
  caFile?: string;
  /** Receives one debug line per exchange (method, path, status, duration), never headers or bodies. */
  logger?: Logger;
  /** Retries of idempotent GETs on retryable, network and timeout errors; default 0 (for CLI use, not workflows). */
  getRetries?: number;
  /** Backoff of those retries: full delay doubles from `initialMs` up to `maxMs`, half of it jittered. */
  getRetryBackoff?: { initialMs?: number; maxMs?: number };
  /** Spaces this client's requests so that no second sees more than this many (the worker: `NSE_REQUEST_BUDGET`). */
  maxRequestsPerSecond?: number;
}

/** Per-call options; aborting `signal` (activity cancellation) rejects the call with the signal's reason. */
export interface NseCallOptions {
  signal?: AbortSignal;
}

/** Options of {@link NseClient.getJob}. */
export interface GetJobOptions extends NseCallOptions {
  /** Long-poll extension (nse-api.md §11): NSE may hold the read this many seconds until the job changes. */
  pollTimeoutSeconds?: number;
  /** Long-poll extension: answer only once the job changed after this timestamp (the job's `updated`). */
  lastModified?: string;
}
