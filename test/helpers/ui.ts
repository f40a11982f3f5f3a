/**
 * Helpers for tests that bring up their own Temporal dev server (for example with the Web UI) instead of the shared
 * one of global-setup.ts: connections to an arbitrary address, and a headless Debian chromium for playwright-core.
 */
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { chromium, type Browser } from 'playwright-core';
import { temporalLogger } from '../../src/logging';
import { testLogger, type TestTemporal } from './temporal';

/** Debian's chromium; the tests never download a browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Connects a client and a worker connection to the dev server at `address`; the result works with
 * `createTestWorker`. Installs the quiet test runtime unless this test file already has one.
 */
export async function connectTemporalAt(address: string): Promise<TestTemporal> {
  if (!Runtime._instance) Runtime.install({ logger: temporalLogger(testLogger), shutdownSignals: [] });
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    client: new Client({ connection }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Launches headless chromium from {@link CHROMIUM_PATH}; fails with the install command when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
