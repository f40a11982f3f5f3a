/**
 * Liveness and readiness probes of the worker process on a small HTTP server: `GET /healthz` answers 200 while the
 * process is up; `GET /readyz` answers 200 only while the worker is RUNNING (polling for tasks), 503 before (starting)
 * and after (draining, stopped). Both answer `{"status": ..., "workerState": ...}`.
 * @module
 */
import fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { limitedServerOptions, type ServerLimits } from '../server-limits';

interface HealthServerOptions {
  host: string;
  port: number;
  /** The worker's state (`Worker.getState()`), or `STARTING` before it exists. */
  workerState(): string;
  /** Timeouts and the largest body; see src/server-limits.ts. */
  limits?: Partial<ServerLimits>;
}

export interface RunningHealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the probe server (fastify, like the codec server and the simulator); rejects naming the port when it cannot listen. */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  // GET only, refused in onRequest before any body is read; a body has no use here, so the limit is tiny.
  const app = fastify({ ...limitedServerOptions({ bodyLimitBytes: 1024, ...options.limits }), logger: false });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply.code(405).send({ message: 'GET only' });
  });
  app.get('/healthz', async () => ({ status: 'ok', workerState: options.workerState() }));
  app.get('/readyz', async (_request, reply) => {
    const workerState = options.workerState();
    return workerState === 'RUNNING'
      ? { status: 'ready', workerState }
      : reply.code(503).send({ status: 'not ready', workerState });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ message: `no route ${request.url.split('?')[0]}` }),
  );
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${code ?? (err as Error).message})`;
    throw new Error(`health server: ${options.host}:${options.port} ${why}; set NSE_FLOW_HEALTH_PORT`);
  }
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
