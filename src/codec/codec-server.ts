/**
 * A Temporal codec server (https://docs.temporal.io/codec-server): `POST /encode` and `POST /decode` take and
 * answer `{"payloads": [{"metadata": {"k": "<base64>"}, "data": "<base64>"}]}`, so the Web UI and the `temporal` CLI
 * (`--codec-endpoint`) can show encrypted payloads in clear. CORS admits only the configured Web UI origins
 * (preflight included, with the `x-namespace` header); a bearer token guards both routes unless explicitly waived.
 * Served by fastify, like the simulator and the health server.
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { z } from 'zod';
import { limitedServerOptions, type ServerLimits } from '../server-limits';
import { CodecError } from './aes-gcm-codec';

interface CodecServerOptions {
  codec: PayloadCodec;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to bind (default 127.0.0.1: the codec server opens ciphertext, keep it off public interfaces). */
  host?: string;
  /** Browser origins allowed by CORS, e.g. `http://localhost:8233`; requests without an Origin header are always served. */
  uiOrigins: string[];
  /** Every encode/decode request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Serve without a token (an explicit opt-out: any local process, and pages of the UI origins, can decrypt). */
  allowNoToken?: boolean;
  logger?: PinoLogger;
  /** Timeouts and the largest body (default 8 MiB); see src/server-limits.ts. */
  limits?: Partial<ServerLimits>;
}

export interface RunningCodecServer {
  /** e.g. `http://127.0.0.1:8888` */
  url: string;
  port: number;
  close(): Promise<void>;
}

// Protobuf's JSON form omits empty fields: the temporal CLI sends `{}` for an empty payload list (an update without
// arguments) and may leave out a payload's empty metadata or data, so each absent field means empty. Any other key
// at the top is refused: a misspelt `payload` would otherwise be answered with an empty list.
const JsonPayloads = z.strictObject({
  payloads: z
    .array(
      z.object({
        metadata: z.record(z.string(), z.string()).nullish(),
        data: z.string().nullish(),
      }),
    )
    .nullish()
    .transform((payloads) => payloads ?? []),
});
type JsonPayload = z.infer<typeof JsonPayloads>['payloads'][number];

const ROUTES = ['/encode', '/decode'] as const;
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

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Starts the codec server; resolves once it listens. Refuses to start without a token unless `allowNoToken`. */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  if (!options.token && !options.allowNoToken) {
    throw new Error('codec server: a bearer token is required (--token or NSE_FLOW_CODEC_SERVER_TOKEN)');
  }
  const origins = new Set(options.uiOrigins.map(normaliseOrigin));
  const tokenDigest = options.token ? digest(options.token) : undefined;
  const log = options.logger?.child({ component: 'codec-server' });
  const app = fastify({
    ...limitedServerOptions({ bodyLimitBytes: 8 * 1024 * 1024, ...options.limits }),
    logger: false,
  });
  // Bodies are read as bytes whatever their content type (the temporal CLI and the Web UI differ) and parsed below.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const authorised = (request: FastifyRequest): boolean => {
    if (!tokenDigest) return true;
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    // Compare digests: constant time, and equal lengths whatever was sent.
    return match !== null && timingSafeEqual(digest((match[1] as string).trim()), tokenDigest);
  };

  // Everything but an authorised POST to a route is answered here, before fastify reads a body: a caller without the
  // token cannot make the server read (up to the body limit) anything.
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin !== undefined && origins.has(origin)) {
      reply.header('access-control-allow-origin', origin).header('access-control-allow-credentials', 'true');
    }
    reply.header('vary', 'Origin');
    const route = request.routeOptions.url;
    if (route === undefined || !(ROUTES as readonly string[]).includes(route)) {
      return reply.code(404).send({ message: `no route ${request.method} ${request.url.split('?')[0]}` });
    }
    // A browser page from any other origin is refused outright, even for requests a browser sends without preflight.
    if (origin !== undefined && !origins.has(origin))
      return reply.code(403).send({ message: `origin ${origin} is not allowed` });
    if (request.method === 'OPTIONS') {
      return reply
        .code(204)
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    }
    if (request.method !== 'POST')
      return reply
        .code(405)
        .header('allow', 'POST, OPTIONS')
        .send({ message: `${route} accepts POST` });
    if (!authorised(request)) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ message: 'missing or wrong bearer token' });
    }
  });

  /** An authorised POST (the hook above answered everything else): its body is read only now. */
  const handle = async (request: FastifyRequest, reply: FastifyReply, route: '/encode' | '/decode') => {
    let parsed: z.infer<typeof JsonPayloads>;
    try {
      parsed = JsonPayloads.parse(JSON.parse((request.body as Buffer | undefined)?.toString('utf8') ?? ''));
    } catch {
      return reply
        .code(400)
        .send({ message: 'body must be JSON {"payloads": [{"metadata": {...}, "data": "<base64>"}]}' });
    }
    const payloads = parsed.payloads.map(fromJson);
    const result = route === '/encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
    log?.debug({ path: route, namespace: request.headers['x-namespace'], count: payloads.length }, 'codec request');
    return reply.code(200).send({ payloads: result.map(toJson) });
  };
  for (const route of ROUTES) app.all(route, (request, reply) => handle(request, reply, route));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );
  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    const status = err instanceof CodecError ? 400 : (err.statusCode ?? 500);
    const message = status >= 500 ? 'internal error' : err.message;
    (status >= 500 ? log?.error.bind(log) : log?.warn.bind(log))?.({ err, status }, 'codec request failed');
    return reply.code(status).send({ message });
  });
  await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  const { port, address } = app.server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await app.close();
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
  if (!options.token) {
    options.logger.warn(
      { url: server.url },
      'codec server WITHOUT a token (--insecure-no-token): any local process, and pages of the allowed UI origins, ' +
        'can decrypt every payload through it',
    );
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
