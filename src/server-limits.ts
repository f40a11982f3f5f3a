/**
 * The limits every HTTP server of nse-flow runs with (the simulator, the codec server, the health server; all
 * fastify): how long a client may take to send its headers and its whole request, how long an idle keep-alive
 * connection stays open, and the largest body. A client that drips its request is cut off (Node answers 408 and
 * closes the connection) instead of holding a socket and a parser for ever. The time to answer is not limited: a
 * simulator long poll keeps a fully received request open for up to 120 s.
 * @module
 */
import type { ServerOptions } from 'node:http';

/** Limits of one server; every time in milliseconds. */
export interface ServerLimits {
  /** Until the request's headers are in. */
  headersTimeoutMs: number;
  /** Until the whole request (headers and body) is in. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often Node checks the two request timeouts (its default, 30 s, would let a dripping client stay that long). */
  checkIntervalMs: number;
  /** Largest request body, in bytes; a longer one is answered 413. */
  bodyLimitBytes: number;
}

const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  bodyLimitBytes: 1024 * 1024,
};

/** The fastify options that apply `limits` (over {@link DEFAULT_SERVER_LIMITS}). */
export function limitedServerOptions(limits: Partial<ServerLimits> = {}): {
  bodyLimit: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  http: ServerOptions;
} {
  const all = { ...DEFAULT_SERVER_LIMITS, ...limits };
  return {
    bodyLimit: all.bodyLimitBytes,
    requestTimeout: all.requestTimeoutMs,
    keepAliveTimeout: all.keepAliveTimeoutMs,
    http: {
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(all.headersTimeoutMs, all.requestTimeoutMs),
      requestTimeout: all.requestTimeoutMs,
      keepAliveTimeout: all.keepAliveTimeoutMs,
      connectionsCheckingInterval: all.checkIntervalMs,
    },
  };
}
