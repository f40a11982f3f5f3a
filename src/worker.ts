/**
 * The nse-flow worker: loads config, installs the pino-backed Temporal runtime (with the Prometheus endpoint when
 * configured), connects by Temporal's environment conventions, and runs workflows and activities on the task queue
 * until SIGINT/SIGTERM, draining in-flight activities within the grace time. Probes answer on the health port.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString, type WorkerOptions } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { createActivities } from './activities';
import { workflowBundlerOptions } from './bundler-options';
import { dataConverterFor } from './codec';
import { maskConfig, rememberConfigSecrets, type Config, type ListenAddress } from './config';
import { temporalLogger } from './logging';
import { nseFlowNexusHandler } from './nexus/handler';
import { startHealthServer, type RunningHealthServer } from './metrics/health-server';
import { MetricName } from './metrics/names';
import { NseClient } from './nse/client';

/** Prebuilt workflow bundle written by `npm run build`; used when present so start-up skips webpack. */
export const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js'); // exists only next to the compiled lib/worker.js

/** Where the worker takes its workflow code from: the configured bundle, the prebuilt one, or the sources. */
export function workflowSource(
  bundle?: string,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  if (bundle) return { workflowBundle: { codePath: bundle } };
  if (existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: require.resolve('./workflows'), bundlerOptions: workflowBundlerOptions };
}

/** `host:port` as the Prometheus exporter takes it (IPv6 hosts in brackets). */
export function bindAddress({ host, port }: ListenAddress): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

/** Histogram buckets (ms) for waits far longer than the SDK's defaults (50 ms to 10 s): NSE jobs take minutes to hours. */
const BUCKETS = {
  [MetricName.JobDuration]: [
    1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 1_800_000, 3_600_000, 14_400_000, 86_400_000,
  ],
};

/**
 * Routes every SDK log (workflow, activity, worker and, from WARN, core) into pino, and exposes the runtime's
 * Prometheus endpoint (`/metrics`) when `metrics` is given. Must run before any connection or worker exists.
 */
export function installRuntime(
  logger: PinoLogger,
  options: { level?: 'DEBUG' | 'INFO' | 'WARN'; metrics?: ListenAddress } = {},
): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: options.level ?? 'INFO' }), forward: {} },
      ...(options.metrics
        ? { metrics: { prometheus: { bindAddress: bindAddress(options.metrics), histogramBucketOverrides: BUCKETS } } }
        : {}),
    },
    shutdownSignals: [], // runWorker handles signals itself so it can log and drain
  });
}

/** Creates a worker on `connection` with the NSE activities (payloads encrypted when keys are configured); the caller closes `nse`. */
export async function createNseWorker(options: {
  config: Config;
  logger: PinoLogger;
  connection: NativeConnection;
  source?: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;
}): Promise<{ worker: Worker; nse: NseClient }> {
  const { config, logger, connection } = options;
  const nse = new NseClient({ ...config.nse, logger: logger.child({ component: 'nse-client' }) });
  try {
    const dataConverter = dataConverterFor(config.codec);
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      ...(options.source ?? workflowSource(config.workflowBundle)),
      activities: createActivities({ nse }),
      nexusServices: [nseFlowNexusHandler],
      // Codecs run in the worker's main thread, outside the workflow sandbox, so a prebuilt bundle needs nothing else.
      ...(dataConverter ? { dataConverter } : {}),
      shutdownGraceTime: config.shutdownGraceMs,
      ...(config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: config.maxCachedWorkflows }),
    });
    return { worker, nse };
  } catch (err) {
    nse.close();
    throw err;
  }
}

/**
 * Runs the worker until SIGINT or SIGTERM, then stops polling and lets in-flight activities finish within
 * `NSE_FLOW_SHUTDOWN_GRACE_MS` (after that the SDK cancels them). Later signals are ignored: Ctrl-C reaches the
 * whole process group, so a supervisor's SIGTERM may follow it. Resolves after a clean drain, logging `worker stopped`.
 */
export async function runWorker(config: Config, logger: PinoLogger): Promise<void> {
  rememberConfigSecrets(config);
  installRuntime(logger, { metrics: config.metrics });
  let worker: Worker | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopSignal) return; // shut down only once
    stopSignal = signal;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: draining in-flight activities');
    if (worker?.getState() === 'RUNNING') worker.shutdown();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let health: RunningHealthServer | undefined;
  let connection: NativeConnection | undefined;
  let nse: NseClient | undefined;
  try {
    if (config.health) {
      health = await startHealthServer({
        ...config.health,
        workerState: () => worker?.getState() ?? (stopSignal ? 'STOPPED' : 'STARTING'),
      });
    }
    connection = await NativeConnection.connect(config.temporal.connection);
    ({ worker, nse } = await createNseWorker({ config, logger, connection }));
    logger.info(
      {
        taskQueue: config.temporal.taskQueue,
        namespace: config.temporal.namespace,
        address: config.temporal.address,
        metrics: config.metrics && `http://${bindAddress(config.metrics)}/metrics`,
        health: health?.url,
        encryption: config.codec ? { activeKeyId: config.codec.activeKeyId } : 'off',
        config: maskConfig(config),
      },
      'worker started',
    );
    // A signal that arrived while connecting or bundling stops the worker as soon as it runs.
    const running = worker.run();
    if (stopSignal && worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    nse?.close();
    await connection?.close();
    await health?.close();
    logger.info({ signal: stopSignal }, 'worker stopped');
    logger.flush();
  }
}
