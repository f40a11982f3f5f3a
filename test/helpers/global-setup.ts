/**
 * Jest global setup: one real Temporal dev server for the whole test run, started from the installed CLI with
 * the project's search attributes. Tests find it through TEMPORAL_TEST_ADDRESS.
 */
import { freePort } from '../../src/dev/ports';
import { installTemporalCli, startDevServer, type RunningDevServer } from '../../src/dev/temporal-dev-server';

declare global {
  var __TEMPORAL_DEV_SERVER__: RunningDevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const cliPath = installTemporalCli();
  const port = await freePort();
  const server = await startDevServer({ cliPath, port, logLevel: 'error' });
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_CLI = cliPath;
}
