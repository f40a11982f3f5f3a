/**
 * The local production-like cluster behind `npm run cluster`, `npm run test:cluster` and `npm run bench -- --target
 * cluster`: PostgreSQL, the Temporal server on it (SQL persistence and visibility, 8 history shards), the schema and
 * namespace scripts of deploy/, the Web UI server, the NSE simulator and N worker processes, each a child process
 * with its log under `<dir>/logs`. State lives in `<dir>` (PostgreSQL's data directory), so a restart keeps the runs.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { bundleWorkflows } from '../bundle-workflows';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { makeCurrent, stackVersion } from './deployment';
import { assertPortFree, freePort, freePortInRange } from './ports';
import { startPostgres, type RunningPostgres } from './postgres';
import { startService, waitUntilReady, type ServiceProcess } from './service-process';
import { installTemporalCli, REPO_ROOT } from './temporal-dev-server';
import {
  createNamespace,
  setupSchemas,
  startTemporalServer,
  startUiServer,
  type ClusterTools,
  type ServerPorts,
  type ServerSettings,
} from './temporal-cluster';

export { CLUSTER_NAMESPACE } from './temporal-cluster';

/** The folder `npm run cluster` keeps its state in (git-ignored); NSE_FLOW_CLUSTER_DIR moves it. */
export const DEFAULT_CLUSTER_DIR = path.join(REPO_ROOT, '.cluster');
const HISTORY_SHARDS = 8;
const NSE_CLI = path.join(REPO_ROOT, 'bin', 'nse-flow.js');
const SIMULATOR_ENTRY = path.join(REPO_ROOT, 'simulator', 'bin.js');

export interface ClusterOptions {
  dir: string;
  /** Frontend gRPC port; a free one when undefined. */
  temporalPort?: number;
  /** Web UI port; no UI when undefined. */
  uiPort?: number;
  /** PostgreSQL port; a free one when undefined. */
  postgresPort?: number;
  /** NSE the workers talk to; when undefined a simulator process is started on `simPort` (free when undefined). */
  nse?: { baseUrl: string; username: string; password: string };
  simPort?: number;
  workers: number;
  taskQueue?: string;
  /** Extra environment of every worker (e.g. LOG_LEVEL). */
  workerEnv?: NodeJS.ProcessEnv;
  log(line: string): void;
}

export interface RunningCluster {
  dir: string;
  /** The deployment version the workers run, made current; undefined with NSE_FLOW_DEPLOYMENT=none. */
  version: WorkerDeploymentVersion | undefined;
  /** Frontend address, `127.0.0.1:port`. */
  address: string;
  uiUrl?: string;
  nseBaseUrl: string;
  taskQueue: string;
  postgres: RunningPostgres;
  server: ServiceProcess;
  ui?: ServiceProcess;
  simulator?: ServiceProcess;
  /** The worker processes, by index; a replaced worker takes its index. */
  workers: ServiceProcess[];
  /** Starts worker `index` (again) and resolves once it is ready. */
  startWorker(index: number): Promise<ServiceProcess>;
  /** Stops the Temporal server (SIGTERM, or SIGKILL when `hard`) and starts it again on the same ports. */
  restartServer(hard?: boolean): Promise<void>;
  /** Stops every process, workers first and PostgreSQL last. */
  stop(): Promise<void>;
}

/** Runs scripts/install-cluster-tools.sh (idempotent builds into .tools/bin) and the CLI install. */
function installClusterTools(): ClusterTools {
  const script = path.join(REPO_ROOT, 'scripts', 'install-cluster-tools.sh');
  const out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const paths = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const need = (key: string): string => {
    const value = paths[key];
    if (!value) throw new Error(`scripts/install-cluster-tools.sh printed no ${key}`);
    return value;
  };
  return {
    server: need('TEMPORAL_SERVER'),
    sqlTool: need('TEMPORAL_SQL_TOOL'),
    uiServer: need('TEMPORAL_UI_SERVER'),
    schemaDir: need('TEMPORAL_SCHEMA_DIR'),
    cli: installTemporalCli(),
  };
}

/** The PostgreSQL password of the cluster folder: TEMPORAL_DB_PASSWORD, else one drawn at first start and kept. */
function postgresPassword(dir: string): string {
  if (process.env.TEMPORAL_DB_PASSWORD) return process.env.TEMPORAL_DB_PASSWORD;
  const file = path.join(dir, 'postgres-password');
  if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** The server's ports; below 32768, since it stores them in a PostgreSQL smallint (cluster_membership.rpc_port). */
async function serverPorts(frontend: number | undefined): Promise<ServerPorts> {
  const taken = new Set<number>(frontend === undefined ? [] : [frontend]);
  // Each pick is free when drawn but not yet bound, so a later pick must not draw it again.
  const free = async (): Promise<number> => {
    for (;;) {
      const port = await freePortInRange(20_000, 32_767);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    frontend: frontend ?? (await free()),
    frontendHttp: await free(),
    history: await free(),
    matching: await free(),
    worker: await free(),
    membership: { frontend: await free(), history: await free(), matching: await free(), worker: await free() },
    metrics: await free(),
  };
}

/** Starts the NSE simulator as a process (the compose file's `nse-simulator` service) and waits for it. */
async function startSimulatorProcess(dir: string, port: number): Promise<ServiceProcess> {
  const { username, password } = SIM_FIXTURES.defaultUser;
  const sim = startService({
    name: 'simulator',
    command: process.execPath,
    args: [SIMULATOR_ENTRY, '--port', String(port), '--user', `${username}:${password}`],
    logFile: path.join(dir, 'logs', 'simulator.log'),
  });
  await waitUntilReady(sim, `the simulator on port ${port}`, async () => {
    await fetch(`http://127.0.0.1:${port}/api/v2.1/jobs`); // any HTTP answer means it listens
  });
  return sim;
}

/** PostgreSQL and the Temporal server on it, schemas and namespace in place: what the benchmarks need. */
export interface TemporalOnPostgres {
  tools: ClusterTools;
  /** Frontend address, `127.0.0.1:port`. */
  address: string;
  postgres: RunningPostgres;
  /** The running server process (a new one after {@link restartServer}). */
  readonly server: ServiceProcess;
  ports: ServerPorts;
  /** Stops the Temporal server (SIGTERM, or SIGKILL when `hard`) and starts it again on the same ports. */
  restartServer(hard?: boolean): Promise<void>;
  /** Stops the server, then PostgreSQL. */
  stop(): Promise<void>;
}

/**
 * Builds or finds the tools, starts PostgreSQL, runs deploy/setup-postgres.sh, starts the server and runs
 * deploy/create-namespace.sh. On failure stops what it started and rethrows.
 */
export async function startTemporalOnPostgres(
  options: Pick<ClusterOptions, 'dir' | 'temporalPort' | 'postgresPort' | 'log'>,
): Promise<TemporalOnPostgres> {
  const { dir, log } = options;
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  log('building or finding the Temporal server, SQL tool and UI server (.tools/bin)');
  const tools = installClusterTools();
  const password = postgresPassword(dir);
  const postgresPort = options.postgresPort ?? (await freePort());
  log(`starting PostgreSQL on 127.0.0.1:${postgresPort} (data in ${path.join(dir, 'postgres')})`);
  const postgres = await startPostgres({
    dataDir: path.join(dir, 'postgres'),
    port: postgresPort,
    password,
    logFile: path.join(dir, 'logs', 'postgres.log'),
    log,
  });
  let server: ServiceProcess | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    await postgres.stop();
  };
  try {
    log('creating or updating the Temporal schemas (deploy/setup-postgres.sh)');
    await setupSchemas(tools, { postgresPort, postgresPassword: password }, (line) => log(`  ${line}`));
    const settings: ServerSettings = {
      dir,
      ports: await serverPorts(options.temporalPort),
      postgresPort,
      postgresPassword: password,
      historyShards: HISTORY_SHARDS,
    };
    const address = `127.0.0.1:${settings.ports.frontend}`;
    log(`starting the Temporal server on ${address} (${HISTORY_SHARDS} history shards, PostgreSQL visibility)`);
    server = await startTemporalServer(tools, settings);
    log('creating the namespace and the Nse* search attributes (deploy/create-namespace.sh)');
    await createNamespace(tools, address, (line) => log(`  ${line}`));
    let running: ServiceProcess = server;
    return {
      tools,
      address,
      postgres,
      ports: settings.ports,
      get server() {
        return running;
      },
      async restartServer(hard = false) {
        await running.stop(hard ? 'SIGKILL' : 'SIGTERM');
        running = server = await startTemporalServer(tools, settings);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Brings the whole cluster up; on failure stops what it started and rethrows. */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const { dir, log } = options;
  const stack: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async (): Promise<void> => {
    for (const part of stack.splice(0).reverse()) await part.stop().catch(() => undefined);
  };
  try {
    for (const [port, variable] of [
      [options.temporalPort, 'TEMPORAL_PORT'],
      [options.uiPort, 'TEMPORAL_UI_PORT'],
      [options.postgresPort, 'NSE_FLOW_PG_PORT'],
      [options.nse ? undefined : options.simPort, 'NSE_SIM_PORT'],
    ] as const) {
      if (port !== undefined) await assertPortFree(port, variable);
    }
    const temporal = await startTemporalOnPostgres(options);
    stack.push(temporal);
    const { tools, address, postgres } = temporal;

    let ui: ServiceProcess | undefined;
    if (options.uiPort !== undefined) {
      log(`starting the Web UI server on http://127.0.0.1:${options.uiPort}`);
      ui = await startUiServer(tools, dir, temporal.ports.frontend, options.uiPort);
      stack.push(ui);
    }

    let simulator: ServiceProcess | undefined;
    let nse = options.nse;
    if (!nse) {
      const simPort = options.simPort ?? (await freePort());
      log(`starting the NSE simulator on http://127.0.0.1:${simPort}/api`);
      simulator = await startSimulatorProcess(dir, simPort);
      stack.push(simulator);
      nse = { baseUrl: `http://127.0.0.1:${simPort}/api`, ...SIM_FIXTURES.defaultUser };
    }

    const bundle = path.join(dir, 'workflow-bundle.js');
    log('bundling the workflows once for all workers');
    await bundleWorkflows(bundle);
    const taskQueue = options.taskQueue ?? 'nse-flow';
    const workers: ServiceProcess[] = [];
    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      NSE_FLOW_TASK_QUEUE: taskQueue,
      NSE_BASE_URL: nse.baseUrl,
      NSE_USERNAME: nse.username,
      NSE_PASSWORD: nse.password,
      NSE_AUTH: 'jwt',
      NSE_FLOW_WORKFLOW_BUNDLE: bundle,
      NSE_FLOW_METRICS_HOST: '127.0.0.1',
      ...options.workerEnv,
    };
    const startWorker = async (index: number): Promise<ServiceProcess> => {
      const healthPort = await freePort();
      const worker = startService({
        name: `worker-${index + 1}`,
        command: process.execPath,
        args: [NSE_CLI, 'worker'],
        env: {
          ...workerEnv,
          NSE_FLOW_HEALTH_PORT: String(healthPort),
          NSE_FLOW_METRICS_PORT: String(await freePort()),
        },
        logFile: path.join(dir, 'logs', `worker-${index + 1}.log`),
      });
      workers[index] = worker;
      await waitUntilReady(worker, `worker ${index + 1}`, async () => {
        const response = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
        if (!response.ok) throw new Error(`readyz answered ${response.status}`);
      });
      return worker;
    };
    const workersHandle = { stop: () => Promise.all(workers.map((w) => w.stop())).then(() => undefined) };
    stack.push(workersHandle);
    log(`starting ${options.workers} worker process(es) on task queue ${taskQueue}`);
    await Promise.all(Array.from({ length: options.workers }, (_, i) => startWorker(i)));
    // The workers run one build of one deployment: make it current, or they get no task.
    const version = stackVersion(workerEnv, bundle);
    if (version) {
      log(`making build ${version.buildId} of deployment ${version.deploymentName} current`);
      await makeCurrent(address, workerEnv.TEMPORAL_NAMESPACE ?? 'default', version);
    }

    return {
      dir,
      version,
      address,
      uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`,
      nseBaseUrl: nse.baseUrl,
      taskQueue,
      postgres,
      get server() {
        return temporal.server;
      },
      ui,
      simulator,
      workers,
      startWorker,
      restartServer: (hard) => temporal.restartServer(hard),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
