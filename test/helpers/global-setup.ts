/**
 * Jest global setup: one real Temporal dev server for the whole test run, started from the installed CLI with
 * the project's search attributes. Tests find it through TEMPORAL_TEST_ADDRESS.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/dev/ports';
import { installTemporalCli, startDevServer, type RunningDevServer } from '../../src/dev/temporal-dev-server';
import { bundleWorkflows } from '../../src/scripts/bundle-workflows';

declare global {
  var __TEMPORAL_DEV_SERVER__: RunningDevServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  const cliPath = installTemporalCli();
  // Bundle the workflows once for every test file: bundling is the slowest part of creating a worker.
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-test-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  await bundleWorkflows(bundlePath);
  process.env.TEMPORAL_TEST_BUNDLE = bundlePath;
  // Workers with payload encryption need the bundle whose failure converter encrypts failure messages.
  const encryptedBundlePath = path.join(bundleDir, 'workflow-bundle-encrypted.js');
  await bundleWorkflows(encryptedBundlePath, undefined, { encryptedFailures: true });
  process.env.TEMPORAL_TEST_BUNDLE_ENCRYPTED = encryptedBundlePath;
  const port = await freePort();
  const server = await startDevServer({ cliPath, port, logLevel: 'error', output: 'ignore' });
  globalThis.__TEMPORAL_DEV_SERVER__ = server;
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  process.env.TEMPORAL_TEST_CLI = cliPath;
}
