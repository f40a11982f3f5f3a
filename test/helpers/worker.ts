/**
 * The set-up most integration tests share, as jest hooks: a connection to a Temporal dev server, a fresh NSE
 * simulator, a unique task queue, a test worker running on it (and, on request, a client library connected to it),
 * all stopped again afterwards. Also a worker built from the production configuration, as `nse-flow worker` builds it.
 */
import { connect, type NseFlowClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import type { NseClient } from '../../src/nse/client';
import { createNseWorker } from '../../src/worker';
import type { WorkerPair } from '../../src/worker-pair';
import { startSimulator, type RunningSimulator } from './simulator';
import {
  connectTemporal,
  connectTestTemporal,
  createTestWorker,
  testBundlePath,
  testLogger,
  uniqueTaskQueue,
  type TestTemporal,
} from './temporal';

export interface TestWorkerOptions {
  /** Prefix of the task queue's name. */
  queue: string;
  /**
   * `all` (default): one simulator, task queue and worker for every test of the describe block; `each`: fresh ones
   * for each test (the dev server connection is kept).
   */
  per?: 'all' | 'each';
  /** Options of the simulator, e.g. its start-up rules. */
  simulator?: Parameters<typeof startSimulator>[0];
  /** Run a test worker on the task queue (default true); false leaves the queue to a worker the test builds. */
  worker?: boolean;
  /** Connect an {@link NseFlowClient} to the task queue (default false). */
  client?: boolean;
  /** The dev server's address, read when the hooks run; default the shared one of global-setup.ts. */
  address?: () => string;
}

/** What {@link useTestWorker} has set up; read its fields inside tests and hooks only. */
export interface TestWorker {
  readonly temporal: TestTemporal;
  readonly sim: RunningSimulator;
  readonly taskQueue: string;
  /** The client library on the task queue; only with `client: true`. */
  readonly client: NseFlowClient;
}

/**
 * Registers hooks that set up a dev server connection, a simulator, a task queue and (unless `worker: false`) a
 * running test worker before the tests, and stop them after, newest first. Call it inside a `describe` block.
 */
export function useTestWorker(options: TestWorkerOptions): TestWorker {
  const per = options.per ?? 'all';
  const setUp = per === 'each' ? beforeEach : beforeAll;
  const tearDown = per === 'each' ? afterEach : afterAll;
  let temporal: TestTemporal | undefined;
  let sim: RunningSimulator | undefined;
  let taskQueue: string | undefined;
  let worker: WorkerPair | undefined;
  let running: Promise<void> | undefined;
  let nse: NseClient | undefined;
  let client: NseFlowClient | undefined;

  beforeAll(async () => {
    temporal = options.address ? await connectTemporal(options.address()) : await connectTestTemporal();
  });
  setUp(async () => {
    const connected = ready('temporal', temporal);
    sim = await startSimulator(options.simulator);
    taskQueue = uniqueTaskQueue(options.queue);
    if (options.worker !== false) {
      ({ worker, nse } = await createTestWorker(connected, sim, taskQueue));
      running = worker.run();
    }
    if (options.client) client = await connect({ address: connected.address, taskQueue, env: {} });
  });
  // Hooks of one kind run in the order they are declared: this one before the connection's close below.
  tearDown(async () => {
    await client?.close();
    worker?.shutdown();
    await running;
    nse?.close();
    await sim?.close();
    client = worker = running = nse = sim = taskQueue = undefined;
  });
  afterAll(async () => {
    await temporal?.close();
    temporal = undefined;
  });

  return {
    get temporal() {
      return ready('temporal', temporal);
    },
    get sim() {
      return ready('sim', sim);
    },
    get taskQueue() {
      return ready('taskQueue', taskQueue);
    },
    get client() {
      if (!options.client) throw new Error('useTestWorker: pass `client: true` to get a client');
      return ready('client', client);
    },
  };
}

function ready<T>(what: string, value: T | undefined): T {
  if (value === undefined) throw new Error(`useTestWorker: '${what}' is not set up (read it inside a test or hook)`);
  return value;
}

/**
 * A worker as `nse-flow worker` builds it (production config, pino logs to the test sink) for the simulator on the
 * task queue of `setup` (e.g. a {@link useTestWorker} with `worker: false`), with the prebuilt test bundle; `env`
 * adds or overrides configuration variables. The caller runs it and closes its NSE client. Unversioned unless `env`
 * names a deployment (NSE_FLOW_DEPLOYMENT): a versioned worker gets tasks only once its version is current, which
 * test/integration/versioning.test.ts does on a deployment of its own.
 */
export async function createConfiguredWorker(
  setup: Pick<TestWorker, 'temporal' | 'sim' | 'taskQueue'>,
  env: NodeJS.ProcessEnv,
  source?: Parameters<typeof createNseWorker>[0]['source'],
): ReturnType<typeof createNseWorker> {
  const { temporal, sim, taskQueue } = setup;
  const config = loadConfig({
    TEMPORAL_ADDRESS: temporal.address,
    NSE_BASE_URL: sim.url,
    NSE_USERNAME: sim.username,
    NSE_PASSWORD: sim.password,
    NSE_FLOW_TASK_QUEUE: taskQueue,
    NSE_FLOW_DEPLOYMENT: 'none',
    ...env,
  });
  return await createNseWorker({
    config,
    logger: testLogger,
    connection: temporal.nativeConnection,
    source: source ?? { workflowBundle: { codePath: testBundlePath(config.codec !== undefined) } },
  });
}
