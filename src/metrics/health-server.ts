/**
 * Liveness and readiness probes of the worker process on a small HTTP server: `GET /healthz` answers 200 while the
 * process is up; `GET /readyz` answers 200 only while the worker is RUNNING (polling for tasks), 503 before (starting)
 * and after (draining, stopped). Both answer `{"status": ..., "workerState": ...}`.
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthServerOptions {
  host: string;
  port: number;
  /** The worker's state (`Worker.getState()`), or `STARTING` before it exists. */
  workerState(): string;
}

export interface RunningHealthServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the probe server; rejects with a message naming the port when it cannot listen. */
export async function startHealthServer(options: HealthServerOptions): Promise<RunningHealthServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    const workerState = options.workerState();
    const reply = (status: number, body: unknown): void => {
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { message: 'GET only' });
    if (path === '/healthz') return reply(200, { status: 'ok', workerState });
    if (path === '/readyz') {
      return workerState === 'RUNNING'
        ? reply(200, { status: 'ready', workerState })
        : reply(503, { status: 'not ready', workerState });
    }
    return reply(404, { message: `no route ${path}` });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err.code ?? err.message})`;
      reject(new Error(`health server: ${options.host}:${options.port} ${why}; set NSE_FLOW_HEALTH_PORT`));
    });
    server.listen(options.port, options.host, () => resolve());
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
