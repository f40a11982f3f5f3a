/**
 * Port helpers for the local stack and tests: every server we start gets a port that is known to be free.
 * @module
 */
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
