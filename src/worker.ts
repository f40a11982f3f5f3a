/**
 * The nse-flow worker: loads config, installs the pino-backed Temporal runtime, connects, and runs workflows and
 * activities on the task queue until SIGINT/SIGTERM, draining in-flight activities within the grace time.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { createActivities } from './activities';
import type { Config } from './config';
import { temporalLogger } from './logging';
import { NseClient } from './nse/client';

/** Prebuilt workflow bundle written by `npm run build`; used when present so start-up skips webpack. */
export const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js'); // exists only next to the compiled lib/worker.js

/** Where the worker takes its workflow code from: the prebuilt bundle, or the sources (bundled at start). */
export function workflowSource(): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: require.resolve('./workflows') };
}

/** Routes every SDK log (workflow, activity, worker, core) into pino; must run before any connection or worker. */
export function installRuntime(logger: PinoLogger, level: 'INFO' | 'WARN' = 'INFO'): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: level }), forward: {} } },
    shutdownSignals: [], // runWorker handles signals itself so it can log and drain
  });
}

/** Creates a worker on `connection` with the NSE activities; the caller owns `nse` and closes it. */
export async function createNseWorker(options: {
  config: Config;
  logger: PinoLogger;
  connection: NativeConnection;
  source?: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>;
}): Promise<{ worker: Worker; nse: NseClient }> {
  const { config, logger, connection } = options;
  const nse = new NseClient({ ...config.nse, logger: logger.child({ component: 'nse-client' }) });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    ...(options.source ?? workflowSource()),
    activities: createActivities({ nse }),
    shutdownGraceTime: config.shutdownGraceMs,
  });
  return { worker, nse };
}

/** Runs the worker until a signal; resolves after a clean drain. */
export async function runWorker(config: Config, logger: PinoLogger): Promise<void> {
  installRuntime(logger);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const { worker, nse } = await createNseWorker({ config, logger, connection });
  const stop = (signal: NodeJS.Signals): void => {
    // Ctrl-C reaches the whole process group, so a supervisor's SIGTERM may follow: shut down only once.
    if (worker.getState() !== 'RUNNING') return;
    logger.info({ signal }, 'shutting down: draining in-flight activities');
    worker.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  logger.info(
    { taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace, address: config.temporal.address },
    'worker started',
  );
  try {
    await worker.run();
  } finally {
    nse.close();
    await connection.close();
    logger.info('worker stopped');
  }
}
