/**
 * A Temporal codec server (https://docs.temporal.io/codec-server): `POST /encode` and `POST /decode` take and
 * answer `{"payloads": [{"metadata": {"k": "<base64>"}, "data": "<base64>"}]}`, so the Web UI and the `temporal` CLI
 * (`--codec-endpoint`) can show encrypted payloads in clear. CORS admits only the configured Web UI origins
 * (preflight included, with the `x-namespace` header); an optional bearer token guards both routes.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { CodecError } from './aes-gcm-codec';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind (default 127.0.0.1: the codec server opens ciphertext, keep it off public interfaces). */
  host?: string;
  /** Browser origins allowed by CORS, e.g. `http://localhost:8233`; requests without an Origin header are always served. */
  uiOrigins: string[];
  /** When set, every encode/decode request needs `Authorization: Bearer <token>`. */
  token?: string;
  logger?: PinoLogger;
  /** Largest request body accepted (default 8 MiB). */
  maxBodyBytes?: number;
}

export interface RunningCodecServer {
  /** e.g. `http://127.0.0.1:8888` */
  url: string;
  port: number;
  close(): Promise<void>;
}

const JsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string()).nullish(),
      data: z.string().nullish(),
    }),
  ),
});
type JsonPayload = z.infer<typeof JsonPayloads>['payloads'][number];

const ROUTES = new Set(['/encode', '/decode']);
const ALLOWED_HEADERS = 'authorization, content-type, x-namespace';

/** Normalises an origin (`scheme://host[:port]`); throws for anything else. */
export function normaliseOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.origin === 'null' || url.pathname.replace(/\/$/, '') !== '' || url.search || url.hash) {
    throw new Error(`'${origin}' is not an origin (scheme://host[:port])`);
  }
  return url.origin;
}

function fromJson(payload: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    data: payload.data == null ? undefined : Buffer.from(payload.data, 'base64'),
  };
}

function toJson(payload: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
    ),
    data: payload.data == null ? undefined : Buffer.from(payload.data).toString('base64'),
  };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(options.uiOrigins.map(normaliseOrigin));
  const tokenDigest = options.token ? digest(options.token) : undefined;
  const limit = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const log = options.logger?.child({ component: 'codec-server' });

  const authorised = (req: IncomingMessage): boolean => {
    if (!tokenDigest) return true;
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    // Compare digests: constant time, and equal lengths whatever was sent.
    return match !== null && timingSafeEqual(digest((match[1] as string).trim()), tokenDigest);
  };

  const send = (res: ServerResponse, status: number, body?: unknown): void => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://codec-server').pathname;
    const origin = req.headers.origin;
    const originAllowed = origin !== undefined && origins.has(origin);
    if (originAllowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
    }
    res.setHeader('vary', 'Origin');
    if (!ROUTES.has(path)) return send(res, 404, { message: `no route ${req.method} ${path}` });
    // A browser page from any other origin is refused outright, even for requests a browser sends without preflight.
    if (origin !== undefined && !originAllowed) return send(res, 403, { message: `origin ${origin} is not allowed` });
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', '600');
      return send(res, 204);
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST, OPTIONS');
      return send(res, 405, { message: `${path} accepts POST` });
    }
    if (!authorised(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      return send(res, 401, { message: 'missing or wrong bearer token' });
    }
    const body = await readBody(req, limit);
    let parsed: z.infer<typeof JsonPayloads>;
    try {
      parsed = JsonPayloads.parse(JSON.parse(body.toString('utf8')));
    } catch {
      throw new HttpError(400, 'body must be JSON {"payloads": [{"metadata": {...}, "data": "<base64>"}]}');
    }
    const payloads = parsed.payloads.map(fromJson);
    const result = path === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    log?.debug({ path, namespace: req.headers['x-namespace'], count: payloads.length }, 'codec request');
    send(res, 200, { payloads: result.map(toJson) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : err instanceof CodecError ? 400 : 500;
      const message = status === 500 ? 'internal error' : (err as Error).message;
      (status === 500 ? log?.error.bind(log) : log?.warn.bind(log))?.({ err, status }, 'codec request failed');
      if (!res.headersSent) send(res, status, { message });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** Runs the codec server until SIGINT/SIGTERM (`nse-flow codec-server`). */
export async function runCodecServer(
  options: CodecServerOptions & { logger: PinoLogger; keyIds: string[]; activeKeyId: string },
): Promise<void> {
  let server: RunningCodecServer;
  try {
    server = await startCodecServer(options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code ?? (err as Error).message})`;
    throw new Error(`codec server: port ${options.port} ${why}; choose another with --port`);
  }
  options.logger.info(
    {
      url: server.url,
      uiOrigins: options.uiOrigins,
      tokenRequired: Boolean(options.token),
      keyIds: options.keyIds,
      activeKeyId: options.activeKeyId,
    },
    'codec server listening',
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  options.logger.info({ signal }, 'codec server stopping');
  await server.close();
}
