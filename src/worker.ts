/**
 * The nse-flow worker: loads config, installs the pino-backed Temporal runtime (with the Prometheus endpoint when
 * configured), connects by Temporal's environment conventions, and runs workflows and activities on the task queue
 * until SIGINT/SIGTERM, draining in-flight activities within the grace time. Probes answer on the health port.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  NativeConnection,
  Runtime,
  bundleWorkflowCode,
  makeTelemetryFilterString,
  type WorkerOptions,
} from '@temporalio/worker';
import type { DataConverter, WorkerDeploymentVersion } from '@temporalio/common';
import type { Logger as PinoLogger } from 'pino';
import { createActivities, createSweepActivities } from './activities';
import { tracedBundlerOptions, workflowBundlerOptions } from './bundler-options';
import { dataConverterFor, ENCRYPTED_FAILURES_MARKER } from './codec';
import { maskConfig, rememberConfigSecrets, type Config, type ListenAddress } from './config';
import { buildIdFor, deploymentOptions } from './deployment';
import { temporalLogger } from './logging';
import { nseFlowNexusHandler } from './nexus/handler';
import { startHealthServer, type RunningHealthServer } from './metrics/health-server';
import { MetricName } from './shared/metric-names';
import { nseTaskQueue } from './shared/workflow-api';
import { NseClient } from './nse/client';
import { shutdownTracing, startTracing, tracingActive, workerTracing } from './tracing';
import { createWorkerPair, type WorkerPair } from './worker-pair';
import { PAYLOAD_CONVERTER_PATH } from './workflows/payload-converter';

/** Prebuilt workflow bundle written by `npm run build`; used when present so start-up skips webpack. */
export const PREBUILT_BUNDLE = path.join(__dirname, 'workflow-bundle.js'); // exists only next to the compiled lib/worker.js
/** The same for workers with payload encryption: built with the failure converter that encrypts messages. */
const PREBUILT_ENCRYPTED_BUNDLE = path.join(__dirname, 'workflow-bundle-encrypted.js');

type WorkflowSource = Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;

/**
 * Where the worker takes its workflow code from: the configured bundle, the prebuilt one, or the sources. With
 * `encryptedFailures` (payload encryption on) the prebuilt bundle is the one that encrypts failure messages, and
 * the sources are bundled with it (Worker.create passes the data converter's failureConverterPath to the bundler).
 */
export function workflowSource(bundle?: string, encryptedFailures = false): WorkflowSource {
  if (bundle) return { workflowBundle: { codePath: bundle } };
  // With traces on, the workflow interceptors must be in the bundle: the sources are bundled with them.
  if (tracingActive()) return { workflowsPath: require.resolve('./workflows'), bundlerOptions: tracedBundlerOptions() };
  const prebuilt = encryptedFailures ? PREBUILT_ENCRYPTED_BUNDLE : PREBUILT_BUNDLE;
  if (existsSync(prebuilt)) return { workflowBundle: { codePath: prebuilt } };
  return { workflowsPath: require.resolve('./workflows'), bundlerOptions: workflowBundlerOptions };
}

/**
 * Refuses a prebuilt bundle without the encrypting failure converter for a worker with payload encryption: its
 * workflow failures would reach the server with their messages in clear text.
 */
function assertBundleEncryptsFailures(source: WorkflowSource): void {
  const bundle = source.workflowBundle;
  if (!bundle || !('codePath' in bundle)) {
    if (bundle && 'code' in bundle && !bundle.code.includes(ENCRYPTED_FAILURES_MARKER))
      throw new Error('the workflow bundle was built without the failure converter that encrypts failure messages');
    return;
  }
  if (!readFileSync(bundle.codePath, 'utf8').includes(ENCRYPTED_FAILURES_MARKER)) {
    throw new Error(
      `workflow bundle ${bundle.codePath} was built without the failure converter that encrypts failure messages; ` +
        'with NSE_FLOW_CODEC_KEYS use lib/workflow-bundle-encrypted.js (npm run build) or bundle the sources',
    );
  }
}

/**
 * The deployment version of a worker with this `source`: the configured build id, or one derived from the bundle's
 * content (src/deployment.ts). A worker that bundles its sources bundles them here, as Worker.create would (with the
 * data converter's failure converter), so the build id names exactly the code it runs; undefined when unversioned.
 */
async function deploymentVersionOf(
  deployment: Config['deployment'],
  source: WorkflowSource,
  dataConverter: DataConverter | undefined,
  logger: PinoLogger,
): Promise<{ version: WorkerDeploymentVersion | undefined; source: WorkflowSource }> {
  if (!deployment) return { version: undefined, source };
  const named = (buildId: string): WorkerDeploymentVersion => ({ deploymentName: deployment.name, buildId });
  if (deployment.buildId) return { version: named(deployment.buildId), source };
  const bundle = source.workflowBundle;
  if (bundle && 'codePath' in bundle)
    return { version: named(buildIdFor(readFileSync(bundle.codePath, 'utf8'))), source };
  if (bundle && 'code' in bundle) return { version: named(buildIdFor(bundle.code)), source };
  const { code } = await bundleWorkflowCode({
    workflowsPath: source.workflowsPath as string,
    ...source.bundlerOptions,
    ...(dataConverter?.failureConverterPath ? { failureConverterPath: dataConverter.failureConverterPath } : {}),
    logger: temporalLogger(logger),
  });
  return { version: named(buildIdFor(code)), source: { workflowBundle: { code } } };
}

/** `host:port` as the Prometheus exporter takes it (IPv6 hosts in brackets). */
function bindAddress({ host, port }: ListenAddress): string {
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
function installRuntime(
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

/**
 * Creates the workers on `connection` (payloads encrypted when keys are configured): workflows on the task queue,
 * NSE activities on the NSE task queue within `NSE_REQUEST_BUDGET` (see src/worker-pair.ts); the caller closes `nse`
 * (its NSE clients) once the worker stopped.
 */
export async function createNseWorker(options: {
  config: Config;
  logger: PinoLogger;
  connection: NativeConnection;
  source?: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'>;
}): Promise<{ worker: WorkerPair; nse: { close(): void }; version: WorkerDeploymentVersion | undefined }> {
  const { config, logger, connection } = options;
  const clientOptions = { ...config.nse, logger: logger.child({ component: 'nse-client' }) };
  // The NSE worker's client spaces its requests within the budget. The main worker's (local reads, runs from before
  // the NSE task queue) is another: the budget does not cover those, and they must not queue behind its calls.
  const nse = new NseClient(clientOptions);
  const budget = config.nseRequestBudget;
  const budgeted = budget === undefined ? nse : new NseClient({ ...clientOptions, maxRequestsPerSecond: budget });
  const closeClients = { close: (): void => new Set([nse, budgeted]).forEach((client) => client.close()) };
  try {
    const payloadsEncrypted = config.codec !== undefined;
    // The payload converter every bundle carries (src/bundler-options.ts): for the activities, and for
    // Worker.create's own bundling.
    const dataConverter: DataConverter = {
      payloadConverterPath: PAYLOAD_CONVERTER_PATH,
      ...dataConverterFor(config.codec),
    };
    const configured = options.source ?? workflowSource(config.workflowBundle, payloadsEncrypted);
    if (payloadsEncrypted) assertBundleEncryptsFailures(configured);
    const { version, source } = await deploymentVersionOf(config.deployment, configured, dataConverter, logger);
    const workerDeploymentOptions = deploymentOptions(version);
    const auth = config.nse.auth;
    const activities = { ...createActivities({ nse, payloadsEncrypted }), ...createSweepActivities({ nse, auth }) };
    const worker = await createWorkerPair(
      {
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        ...source,
        activities, // for runs started before the NSE task queue, whose activities are on this queue
        nexusServices: [nseFlowNexusHandler],
        ...workerTracing(), // spans of workflows, activities and Nexus calls (exported only when traces are on)
        // Codecs run in the worker's main thread; the failure converter also runs in the sandbox (see the bundle check).
        dataConverter,
        shutdownGraceTime: config.shutdownGraceMs,
        ...(config.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: config.maxCachedWorkflows }),
        // Both workers of the process join this version (see createWorkerPair).
        ...(workerDeploymentOptions ? { workerDeploymentOptions } : {}),
      },
      {
        activities: {
          ...createActivities({ nse: budgeted, payloadsEncrypted }),
          ...createSweepActivities({ nse: budgeted, auth }),
        },
        requestBudget: budget,
      },
    );
    return { worker, nse: closeClients, version };
  } catch (err) {
    closeClients.close();
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
  const tracing = startTracing('nse-flow-worker');
  let worker: WorkerPair | undefined;
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
  let nse: { close(): void } | undefined;
  try {
    if (config.health) {
      health = await startHealthServer({
        ...config.health,
        workerState: () => worker?.getState() ?? (stopSignal ? 'STOPPED' : 'STARTING'),
      });
    }
    connection = await NativeConnection.connect(config.temporal.connection);
    let version: WorkerDeploymentVersion | undefined;
    ({ worker, nse, version } = await createNseWorker({ config, logger, connection }));
    logger.info(
      {
        // Whom to make current when rolling out this build (docs/operations.md, "Versioned deploys").
        deployment: version?.deploymentName ?? 'none (unversioned)',
        buildId: version?.buildId,
        taskQueue: config.temporal.taskQueue,
        nseTaskQueue: nseTaskQueue(config.temporal.taskQueue),
        nseRequestBudget: config.nseRequestBudget ?? 'none',
        namespace: config.temporal.namespace,
        address: config.temporal.address,
        metrics: config.metrics && `http://${bindAddress(config.metrics)}/metrics`,
        health: health?.url,
        encryption: config.codec ? { activeKeyId: config.codec.activeKeyId } : 'off',
        traces: tracing ? 'OTLP/HTTP (OTEL_EXPORTER_OTLP_*)' : 'off',
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
    await shutdownTracing(); // sends the spans still buffered
    logger.info({ signal: stopSignal }, 'worker stopped');
    logger.flush();
  }
}
