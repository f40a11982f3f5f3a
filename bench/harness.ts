/**
 * The benchmark's stack, all on 127.0.0.1 and all stopped on exit, Ctrl-C or error: the Temporal server of the
 * target, the NSE simulator (real HTTP, on a thread of its own so its CPU is not counted as the worker's:
 * bench/sim-thread.ts), and one or more in-process workers on the same task queue, built once from one bundle of the
 * real workflows plus the baseline workflow. Targets: `dev`, the real Temporal dev server (a child process, SQLite
 * file with WAL pragmas in a temp dir); `cluster`, the server of `npm run cluster` on PostgreSQL (tools/dev/cluster.ts,
 * 8 history shards, SQL visibility; data directory in a temp dir), whose CPU counts the database's processes too.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import type { WorkerPair } from '../src/worker-pair';
import { createActivities } from '../src/activities';
import { workflowBundlerOptions } from '../src/bundler-options';
import { startTemporalOnPostgres } from '../tools/dev/cluster';
import { freePort } from '../tools/dev/ports';
import { createLogger, temporalLogger } from '../src/logging';
import { NseClient } from '../src/nse/client';
import { SIM_FIXTURES } from '../simulator/fixtures';
import type { RequestRateReport } from '../simulator/request-rate';
import type { SimRule } from '../simulator/rules';
import { baselineActivities } from './baseline-activities';
import {
  machineBusyMs,
  machineInfo,
  nodeThreadsNow,
  processCpuMs,
  processTreeCpuMs,
  selfCpuMs,
  threadCpuMs,
  type MachineInfo,
  type ThreadCpu,
} from './proc';
import { startSimulatorThread, type SimJobView } from './sim-thread';
import { Starter } from './starter';
import { startWorkerProcess } from './worker-process';
import { Stack, type RunningWorker } from '../tools/stack';

/** Everything a scenario needs. */
export interface Bench {
  client: Client;
  worker: WorkerPair;
  taskQueue: string;
  simUrl: string;
  /** The simulator's jobs whose resource name starts with `namePrefix`, with their reads. */
  simJobs(namePrefix?: string): Promise<SimJobView[]>;
  /** API requests per second the simulator saw in [from, to) (epoch ms), with the peak and the 429s. */
  simRequestRate(from?: number, to?: number): Promise<RequestRateReport>;
  /** Requests the server's frontend has answered so far, by operation (its Prometheus metrics); dev server only. */
  serverRequests: (() => Promise<Map<string, number>>) | undefined;
  /** A client like the worker's, for the plain-Node comparison. */
  newNseClient(): NseClient;
  /** Which server the figures are from. */
  target: BenchTarget;
  /** Workers polling the main task queue (all in this process). */
  workers: number;
  serverAddress: string;
  /** The child process that starts runs and waits for results (its gRPC client is not the worker's cost). */
  starter: Starter;
  /** CPU and wall clock now; subtract two readings with {@link meterDelta}. */
  meter(): Meter;
  /** The workflow bundle every worker of the run uses (src/workflows plus the baselines). */
  bundleCode: string;
  /** Unique per bench run, so workflow ids and resource names never collide with an earlier run. */
  runTag: string;
  /**
   * Starts another worker like the main one (same activities and options; same bundle unless `bundleCode` is given)
   * on its own task queue, for a scenario whose runs must not stay in the main worker's cache; stop it when done.
   * `cacheSize` sets its `maxCachedWorkflows` (SDK default otherwise, as production without the setting);
   * `requestBudget` is its NSE request budget (src/worker-pair.ts; none otherwise).
   */
  startWorker(
    taskQueue: string,
    bundleCode?: string,
    cacheSize?: number,
    requestBudget?: number,
  ): Promise<RunningWorker>;
  /** Replaces the simulator's rules: the standing ones, with `extra` checked before the last (catch-all) one. */
  setRules(extra: SimRule[]): Promise<void>;
  machine: MachineInfo;
  /** Seconds spent starting the stack (server, bundle, workers). */
  setupSeconds: { server: number; bundle: number; worker: number };
  log(line: string): void;
}

/** A worker started by {@link Bench.startWorker}. */
export type { RunningWorker } from '../tools/stack';

/** CPU (ms) of each process and thread group, and the wall clock (ms). */
export interface Meter {
  wallMs: number;
  /**
   * This process but the simulator's thread: worker (and the plain-Node poller of scenario 6); all threads. With
   * `--workers N`, plus the N - 1 worker processes (bench/worker-process.ts), which `threads` does not break down.
   */
  workerProcessMs: number;
  /** By thread group; `threads.simulator` is the simulator's thread, which `workerProcessMs` leaves out. */
  threads: ThreadCpu;
  /** The Temporal server: the dev server, or the cluster's server plus PostgreSQL's processes. */
  serverMs: number;
  starterMs: number;
  /** Every process of the machine, ours included: the rest is the noise of other work on the machine. */
  machineMs: number;
}

/** CPU ms that processes other than the worker process, the dev server and the starter used. */
export function foreignMs(delta: Meter): number {
  return Math.max(
    0,
    delta.machineMs - delta.workerProcessMs - delta.threads.simulator - delta.serverMs - delta.starterMs,
  );
}

export function meterDelta(from: Meter, to: Meter): Meter {
  return {
    wallMs: to.wallMs - from.wallMs,
    workerProcessMs: to.workerProcessMs - from.workerProcessMs,
    threads: {
      main: to.threads.main - from.threads.main,
      workflow: to.threads.workflow - from.threads.workflow,
      v8AndLibuv: to.threads.v8AndLibuv - from.threads.v8AndLibuv,
      core: to.threads.core - from.threads.core,
      simulator: to.threads.simulator - from.threads.simulator,
    },
    serverMs: to.serverMs - from.serverMs,
    starterMs: to.starterMs - from.starterMs,
    machineMs: to.machineMs - from.machineMs,
  };
}

/** The standing simulator rules, matched by resource-name prefix: each scenario names its resources. */
export const STANDING_RULES: SimRule[] = [
  {
    comment: 'events per cycle: 8 reads RUNNING, then NORMAL',
    match: { method: 'POST', name: 'ev-' },
    states: [...Array<'RUNNING'>(8).fill('RUNNING'), 'NORMAL'],
  },
  {
    comment: 'events per unchanged read (activity): a new RUNNING step every 3 s, NORMAL after 6 changes',
    match: { method: 'POST', name: 'evact-' },
    states: ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'],
    advance: { everyMs: 3_000 },
  },
  {
    comment: 'events and server CPU per job (activity): RUNNING, then NORMAL after 12 s',
    match: { method: 'POST', name: 'evload-' },
    states: ['RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'],
    advance: { everyMs: 3_000 },
  },
  {
    comment: 'events per change (long poll): a new RUNNING step every 700 ms, NORMAL after 6 changes',
    match: { method: 'POST', name: 'evlp-' },
    states: ['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'],
    advance: { everyMs: 700 },
  },
  { comment: 'memory: jobs that never end', match: { method: 'POST', name: 'mem-' }, states: ['RUNNING'] },
  {
    comment: 'full operation runs: submit, three polls, NORMAL',
    match: { method: 'POST' },
    states: ['RUNNING', 'RUNNING', 'NORMAL'],
  },
];

/** Reads the frontend's `service_requests` counters by operation from a Temporal server's Prometheus endpoint. */
function frontendRequests(metricsUrl: string): () => Promise<Map<string, number>> {
  return async () => {
    const text = await (await fetch(metricsUrl)).text();
    const counts = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (!line.startsWith('service_requests{') || !line.includes('service_name="frontend"')) continue;
      const operation = /operation="([^"]+)"/.exec(line)?.[1];
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (operation) counts.set(operation, (counts.get(operation) ?? 0) + value);
    }
    return counts;
  };
}

let signalled = false;
/** True once SIGINT or SIGTERM has stopped the benchmark. */
export function interrupted(): boolean {
  return signalled;
}

const quiet = (): void => undefined;
/** A logger for bundleWorkflowCode that prints nothing. */
export const quietBundlerLogger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet };

export type BenchTarget = 'dev' | 'cluster';

/** The Temporal server the bench runs against, and how to read its CPU time. */
interface BenchServer {
  address: string;
  cpuMs(): number;
  description: string;
  /** The server's Prometheus endpoint, where the bench started it with one. */
  metricsUrl?: string;
}

async function startBenchServer(
  stack: Stack,
  target: BenchTarget,
  tmp: string,
  log: (line: string) => void,
): Promise<BenchServer> {
  if (target === 'cluster') {
    chmodSync(tmp, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach its data directory
    const cluster = await startTemporalOnPostgres({ dir: tmp, log: (line) => log(`  ${line.trim()}`) });
    stack.defer('cluster', () => cluster.stop());
    const postgresPid = cluster.postgres.service.process.pid;
    const serverPid = cluster.server.process.pid;
    if (postgresPid === undefined || serverPid === undefined) throw new Error('the cluster has no pids');
    return {
      address: cluster.address,
      cpuMs: () => processCpuMs(serverPid) + processTreeCpuMs(postgresPid),
      description: `Temporal server pid ${serverPid} + PostgreSQL pid ${postgresPid}, data in ${tmp}`,
    };
  }
  const metricsPort = await freePort();
  const server = await stack.startTemporal({
    dbFile: path.join(tmp, 'bench.db'),
    logLevel: 'error',
    extraArgs: ['--metrics-port', String(metricsPort)],
  });
  const serverPid = server.process.pid;
  if (serverPid === undefined) throw new Error('the dev server has no pid');
  return {
    address: server.address,
    cpuMs: () => processCpuMs(serverPid),
    description: `dev server pid ${serverPid}, SQLite+WAL in ${tmp}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
  };
}

/**
 * Starts the stack, runs `body`, and stops everything whatever happens, also on SIGINT/SIGTERM (then exits 130).
 * `log` receives progress lines.
 */
export async function withBench<T>(
  log: (line: string) => void,
  body: (bench: Bench) => Promise<T>,
  options: { target: BenchTarget; workers: number } = { target: 'dev', workers: 1 },
): Promise<T> {
  // Every part joins the one stack (tools/stack.ts) and is stopped with it, newest first.
  const stack = new Stack(log);
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = true;
    log(`${signal}: stopping the dev server, the worker and the simulator`);
    const hardStop = setTimeout(() => process.exit(130), 20_000);
    hardStop.unref();
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-bench-'));
    stack.defer('temp dir', async () => rmSync(tmp, { recursive: true, force: true }));

    let t = Date.now();
    const server = await startBenchServer(stack, options.target, tmp, log);
    const serverSeconds = (Date.now() - t) / 1000;
    log(`${options.target} server on ${server.address} (${server.description}) in ${serverSeconds.toFixed(1)} s`);

    const sim = await startSimulatorThread(STANDING_RULES);
    stack.defer('simulator thread', () => sim.stop());
    const simUrl = sim.url;

    t = Date.now();
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./workflows'),
      logger: quietBundlerLogger,
      ...workflowBundlerOptions,
    });
    const bundleSeconds = (Date.now() - t) / 1000;

    // Worker logs go to a file at the production default level (info), so their cost is counted but not printed.
    const logger = createLogger('info', pino.destination({ dest: path.join(tmp, 'worker.log'), sync: false }));
    Runtime.install({
      logger: temporalLogger(logger),
      telemetryOptions: {
        logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'INFO' }), forward: {} },
      },
      shutdownSignals: [],
    });
    t = Date.now();
    const connection = await Connection.connect({ address: server.address });
    stack.defer('client connection', () => connection.close());
    const client = new Client({ connection });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    stack.defer('worker connection', () => nativeConnection.close());

    const nseClients: NseClient[] = [];
    stack.defer('NSE clients', async () => nseClients.forEach((c) => c.close()));
    const newNseClient = (maxRequestsPerSecond?: number): NseClient => {
      const { username, password } = SIM_FIXTURES.defaultUser;
      const nse = new NseClient({
        baseUrl: simUrl,
        auth: { kind: 'jwt', username, password },
        ...(maxRequestsPerSecond === undefined ? {} : { maxRequestsPerSecond }),
      });
      nseClients.push(nse);
      return nse;
    };
    // The production worker's options (src/worker.ts): SDK defaults for concurrency and cache; one bundle for all.
    const activities = { ...createActivities({ nse: newNseClient() }), ...baselineActivities };
    const startWorker = (
      queue: string,
      bundleCode: string = code,
      cacheSize?: number,
      requestBudget?: number,
    ): Promise<RunningWorker> =>
      stack.startWorker(
        {
          connection: nativeConnection,
          taskQueue: queue,
          workflowBundle: { code: bundleCode },
          activities,
          ...(cacheSize === undefined ? {} : { maxCachedWorkflows: cacheSize }),
        },
        // With a budget the NSE queue's worker spaces its requests with a client of its own, as src/worker.ts does.
        requestBudget === undefined
          ? {}
          : { activities: createActivities({ nse: newNseClient(requestBudget) }), requestBudget },
      );
    const taskQueue = `nse-flow-bench-${randomUUID()}`;
    const nodeThreadsBefore = nodeThreadsNow();
    const { worker } = await startWorker(taskQueue);
    const workflowThreads = new Set([...nodeThreadsNow()].filter((tid) => !nodeThreadsBefore.has(tid)));
    // More workers on the same task queue run in processes of their own (the SDK allows one per process).
    const bundlePath = path.join(tmp, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);
    const workerPids: number[] = [];
    for (let extra = 1; extra < options.workers; extra++) {
      const child = await startWorkerProcess({
        address: server.address,
        taskQueue,
        simUrl,
        bundlePath,
        logFile: path.join(tmp, `worker-${extra + 1}.log`),
      });
      stack.defer(`worker process ${extra + 1}`, () => child.stop());
      workerPids.push(child.pid);
    }
    const workerSeconds = (Date.now() - t) / 1000;
    log(
      `bundle ${bundleSeconds.toFixed(1)} s, ${options.workers} worker(s) on task queue ${taskQueue} in ` +
        `${workerSeconds.toFixed(1)} s`,
    );
    const starter = await Starter.start(server.address, taskQueue);
    stack.defer('starter', () => starter.stop());
    const meter = (): Meter => {
      const threads = threadCpuMs(workflowThreads, sim.threadIds);
      return {
        wallMs: performance.now(),
        workerProcessMs:
          selfCpuMs() - threads.simulator + workerPids.reduce((total, pid) => total + processCpuMs(pid), 0),
        threads,
        serverMs: server.cpuMs(),
        starterMs: processCpuMs(starter.pid),
        machineMs: machineBusyMs(),
      };
    };

    const bench: Bench = {
      client,
      worker,
      taskQueue,
      simUrl,
      simJobs: (namePrefix) => sim.jobs(namePrefix),
      simRequestRate: (from, to) => sim.requestRate(from, to),
      serverRequests: server.metricsUrl === undefined ? undefined : frontendRequests(server.metricsUrl),
      newNseClient,
      target: options.target,
      workers: options.workers,
      serverAddress: server.address,
      starter,
      meter,
      machine: machineInfo(),
      runTag: randomUUID().slice(0, 8),
      startWorker,
      bundleCode: code,
      setRules: (extra) => sim.setRules([...STANDING_RULES.slice(0, -1), ...extra, ...STANDING_RULES.slice(-1)]),
      setupSeconds: { server: serverSeconds, bundle: bundleSeconds, worker: workerSeconds },
      log,
    };
    return await body(bench);
  } finally {
    await stack.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
