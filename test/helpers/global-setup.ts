/**
 * Jest global setup: the prebuilt workflow bundles, and one real Temporal dev server per Jest worker (the stack of
 * tools/stack.ts, on a free port, with the project's search attributes). A test file talks to its worker's server
 * only (testAddress() in temporal.ts), so files running at the same time never share a server: what a file sees
 * there is what its worker's earlier files left, as when the whole suite ran in one process. The `temporal` CLI is
 * TEMPORAL_TEST_CLI.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GlobalConfig, ProjectConfig } from 'jest';
import { bundleWorkflows } from '../../tools/bundle-workflows';
import { startStack, type Stack } from '../../tools/stack';
import { coverageBundlerOptions } from './workflow-coverage';

declare global {
  var __NSE_FLOW_TEST_STACKS__: Stack[] | undefined;
}

export default async function globalSetup(globalConfig: GlobalConfig, projectConfig: ProjectConfig): Promise<void> {
  // Bundle the workflows once for every test file: bundling is the slowest part of creating a worker.
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-test-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  await bundleWorkflows(bundlePath);
  process.env.TEMPORAL_TEST_BUNDLE = bundlePath;
  // Workers with payload encryption need the bundle whose failure converter encrypts failure messages.
  const encryptedBundlePath = path.join(bundleDir, 'workflow-bundle-encrypted.js');
  await bundleWorkflows(encryptedBundlePath, undefined, { encryptedFailures: true });
  process.env.TEMPORAL_TEST_BUNDLE_ENCRYPTED = encryptedBundlePath;
  if (globalConfig.collectCoverage) {
    // `npm test` (--coverage): the test workers run a bundle that counts the workflow code (workflow-coverage.ts).
    const coveragePath = path.join(bundleDir, 'workflow-bundle-coverage.js');
    const templates = `${coveragePath}.initial.json`;
    const coverage = coverageBundlerOptions(projectConfig, templates);
    await bundleWorkflows(coveragePath, undefined, { extra: coverage.bundlerOptions });
    coverage.done();
    process.env.TEMPORAL_TEST_COVERAGE_BUNDLE = coveragePath;
    process.env.TEMPORAL_TEST_COVERAGE_INITIAL = templates;
  }
  // Jest numbers its workers 1..maxWorkers (JEST_WORKER_ID; 1 with --runInBand): server n serves worker n.
  const stacks: Stack[] = (globalThis.__NSE_FLOW_TEST_STACKS__ = []);
  try {
    for (let n = 0; n < Math.max(1, globalConfig.maxWorkers); n++) {
      stacks.push(await startStack((s) => s.startTemporal({ logLevel: 'error' })));
    }
  } catch (err) {
    await Promise.all(stacks.map((stack) => stack.stop())); // Jest skips the teardown when the setup fails
    throw err;
  }
  process.env.TEMPORAL_TEST_ADDRESSES = stacks.map((stack) => stack.temporal.address).join(',');
  process.env.TEMPORAL_TEST_CLI = stacks[0]?.cliPath;
}
