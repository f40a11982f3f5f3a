/**
 * Jest global setup: one real Temporal dev server for the whole test run (the stack of tools/stack.ts, on a free
 * port, with the project's search attributes). Tests find it through TEMPORAL_TEST_ADDRESS, and the `temporal` CLI
 * through TEMPORAL_TEST_CLI.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GlobalConfig, ProjectConfig } from 'jest';
import { bundleWorkflows } from '../../tools/bundle-workflows';
import { startStack, type Stack } from '../../tools/stack';
import { coverageBundlerOptions } from './workflow-coverage';

declare global {
  var __NSE_FLOW_TEST_STACK__: Stack | undefined;
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
  const stack = await startStack((s) => s.startTemporal({ logLevel: 'error' }));
  globalThis.__NSE_FLOW_TEST_STACK__ = stack;
  process.env.TEMPORAL_TEST_ADDRESS = stack.temporal.address;
  process.env.TEMPORAL_TEST_CLI = stack.cliPath;
}
