/**
 * Port helpers for the local stack and tests: every server we start gets a port that is known to be free.
 * @module
 */
import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/** Resolves with a TCP port that was free on `host` a moment ago (the OS picks it). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Throws an error naming `port` and the variable that sets it when something already listens there. */
export async function assertPortFree(port: number, variable: string, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${err.code ?? err.message})`;
      reject(new Error(`port ${port} ${why}: stop what listens there or choose another port with ${variable}`));
    });
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** True when nothing listens on `port` of `host` (we could bind it a moment ago). */
async function canListen(port: number, host: string): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * A free port in [min, max] (random candidates). For servers whose ports must stay below the OS's ephemeral range:
 * the Temporal server stores its ports in a PostgreSQL `smallint` column (at most 32767).
 */
export async function freePortInRange(min: number, max: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = randomInt(min, max + 1);
    if (await canListen(port, host)) return port;
  }
  throw new Error(`no free port between ${min} and ${max} on ${host}`);
}
