/**
 * Test access to the one dev server of the run (see global-setup.ts): a client, a native connection, the
 * prebuilt workflow bundle, captured worker logs, and a helper that runs a workflow on a fresh task queue.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { createActivities, createSweepActivities } from '../../src/activities';
import { nseFlowNexusHandler } from '../../src/nexus/handler';
import { createLogger, temporalLogger } from '../../src/logging';
import { NseClient } from '../../src/nse/client';
import { createWorkerPair, type WorkerPair } from '../../src/worker-pair';
import { testAddress } from './dev-servers';
import type { RunningSimulator } from './simulator';
import { workflowCoverageSinks } from './workflow-coverage';

/** Every log line the SDK and the worker wrote in this test file, parsed from pino's JSON. */
export const capturedLogLines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) capturedLogLines.push(JSON.parse(line));
    done();
  },
});
/** The pino root used by the test workers; its lines land in {@link capturedLogLines}. */
export const testLogger = createLogger('info', sink);

export { testAddress };

/** The prebuilt workflow bundle of the run (see global-setup.ts); `encrypted`: the one for encrypting workers. */
export function testBundlePath(encrypted = false): string {
  const bundlePath = encrypted ? process.env.TEMPORAL_TEST_BUNDLE_ENCRYPTED : process.env.TEMPORAL_TEST_BUNDLE;
  if (!bundlePath) throw new Error('TEMPORAL_TEST_BUNDLE is not set: run the tests through jest (global-setup.ts)');
  return bundlePath;
}

export interface TestTemporal {
  /** The dev server's frontend address, for clients of their own (the CLI, the client library). */
  address: string;
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/**
 * Connects a client and a worker connection to the dev server at `address`; installs the quiet test runtime unless
 * this test file already has one.
 */
export async function connectTemporal(address: string): Promise<TestTemporal> {
  if (!Runtime._instance) Runtime.install({ logger: temporalLogger(testLogger), shutdownSignals: [] });
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection }),
    nativeConnection,
    async close() {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Connects a client and a worker connection to the test dev server. */
export async function connectTestTemporal(): Promise<TestTemporal> {
  return await connectTemporal(testAddress());
}

/** A fresh task queue per test keeps workers of different tests apart. */
export function uniqueTaskQueue(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

/**
 * Creates the workers (workflows on `taskQueue`, NSE activities on its NSE task queue) for the prebuilt test bundle
 * with activities talking to `sim`; the NSE request budget is off unless `requestBudget` is given (at the server
 * only: the worker's own spacing of requests is src/worker.ts's and test/unit/request-spacing.test.ts's).
 */
export async function createTestWorker(
  temporal: TestTemporal,
  sim: RunningSimulator,
  taskQueue: string,
  requestBudget?: number,
): Promise<{ worker: WorkerPair; nse: NseClient }> {
  const auth = { kind: 'jwt', username: sim.username, password: sim.password } as const;
  const nse = new NseClient({ baseUrl: sim.url, auth, logger: testLogger.child({ component: 'nse-client' }) });
  const activities = { ...createActivities({ nse }), ...createSweepActivities({ nse, auth }) };
  // With `npm test`'s --coverage, the bundle that counts the workflow code (workflow-coverage.ts).
  const coverageBundle = process.env.TEMPORAL_TEST_COVERAGE_BUNDLE;
  const coverageInitial = process.env.TEMPORAL_TEST_COVERAGE_INITIAL;
  const worker = await createWorkerPair(
    {
      connection: temporal.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: coverageBundle ?? testBundlePath() },
      ...(coverageBundle && coverageInitial ? { sinks: workflowCoverageSinks(coverageInitial) } : {}),
      activities,
      nexusServices: [nseFlowNexusHandler],
    },
    { activities, requestBudget },
  );
  return { worker, nse };
}

/** The settled outcome of a run: its result, or the failure it ended with. */
export interface Settled<T> {
  result?: T;
  error?: unknown;
}

/** Waits for a handle's result without throwing. */
export async function settle<T>(handle: WorkflowHandle): Promise<Settled<T>> {
  return await handle.result().then(
    (result: T) => ({ result }),
    (error: unknown) => ({ error }),
  );
}

/** The application failure at the root of a workflow failure (type, message, details), or undefined. */
export function rootFailure(error: unknown): ApplicationFailure | undefined {
  let cause: unknown = error instanceof WorkflowFailedError ? error.cause : error;
  while (cause instanceof Error) {
    if (cause instanceof ApplicationFailure) return cause;
    cause = cause.cause;
  }
  return undefined;
}
