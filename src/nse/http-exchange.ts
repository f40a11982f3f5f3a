/**
 * One HTTP exchange with NSE: the request, its timeout and abort, the response body (size-limited, JSON-parsed). No
 * authentication, retries or envelope: `NseClient` does those. Every header a request carries is set here.
 * @module
 */
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { Logger } from 'pino';
import { NseNetworkError, NseProtocolError, NseTimeoutError } from './errors';
import { traceHeaders } from '../tracing';

/** What NSE answered: any status. */
export interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or undefined for an empty body (and for a non-JSON error body). */
  body: unknown;
}

/** One request: the method and path (as named in errors and logs), where it goes and what it carries. */
interface ExchangeRequest {
  method: string;
  path: string;
  url: URL;
  body?: Record<string, unknown>;
  authorization?: string;
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** The connection a client keeps: its transport module, keep-alive agent and logger. */
export interface ExchangeConnection {
  transport: typeof http | typeof https;
  agent: http.Agent;
  log: Logger | undefined;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Sends one request. Throws only for no answer, a timeout, a 2xx that is not JSON, or an abort (its reason). */
export function sendRequest(connection: ExchangeConnection, request: ExchangeRequest): Promise<Exchange> {
  const { method, path, signal, timeoutMs } = request;
  const { log } = connection;
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
  const headers: http.OutgoingHttpHeaders = { accept: 'application/json', 'user-agent': 'nse-flow' };
  Object.assign(headers, traceHeaders()); // the calling span's W3C traceparent, when traces are on
  if (request.authorization !== undefined) headers.authorization = request.authorization;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = payload.length;
  }
  const started = Date.now();

  return new Promise<Exchange>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    const settle = (err: unknown, res?: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const durationMs = Date.now() - started;
      if (res) {
        log?.debug({ method, path, status: res.status, durationMs }, 'NSE request');
        resolve(res);
      } else {
        log?.debug({ method, path, durationMs, error: err instanceof Error ? err.name : 'abort' }, 'NSE request failed');
        reject(err);
      }
    };
    const req = connection.transport.request(request.url, { method, agent: connection.agent, headers });
    const timer = setTimeout(() => {
      const err = new NseTimeoutError(method, path, timeoutMs);
      settle(err);
      req.destroy(err);
    }, timeoutMs);
    const onAbort = (): void => {
      settle(signal?.reason);
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => settle(new NseNetworkError(method, path, { cause: err })));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          settle(new NseProtocolError(method, path, 'response body too large', res.statusCode));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => settle(new NseNetworkError(method, path, { cause: err })));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        if (text.trim() !== '') {
          try {
            body = JSON.parse(text);
          } catch {
            // The parser's message quotes the body, so it is not kept as a cause. A non-JSON error page (from a
            // proxy, say) still yields an NseHttpError with the real status.
            if (status >= 200 && status < 300) {
              settle(new NseProtocolError(method, path, 'response body is not JSON', status));
              return;
            }
          }
        }
        settle(undefined, { status, headers: res.headers, body });
      });
    });
    req.end(payload);
  });
}

/**
 * Milliseconds to wait from a `Retry-After` header (delay in seconds or an HTTP date, relative to `now`), or
 * undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
