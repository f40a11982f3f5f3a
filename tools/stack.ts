/**
 * The one stack orchestrator of development: the Temporal dev server, the NSE simulator and nse-flow workers as
 * child processes, started in order and stopped newest first, also when a later part fails to start. `npm start`
 * (scripts/start-stack.ts), the Jest global setup, the bench and chaos each build theirs with their own options:
 * child processes (`startNseFlowProcess`, a restartable `startWorkerProcess`) or parts in this process
 * (`startSimulator`, `startWorker`); anything else a caller starts joins the stack through {@link Stack.defer}.
 * Development tooling: it lives outside src/, so it never ships in lib/.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import { buildSimulator, type SimulatorApp, type SimulatorOptions } from '../simulator/app';
import { createWorkerPair, type NseWorkerOptions, type WorkerPair } from '../src/worker-pair';
import { makeCurrent } from './dev/deployment';
import { freePort } from './dev/ports';
import { installTemporalCli, REPO_ROOT, startDevServer, type RunningDevServer } from './dev/temporal-dev-server';

/** Options of {@link Stack.startTemporal}. */
export interface TemporalOptions {
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  /** The codec server the Web UI decodes payloads with (dev/ui-codec-server.ts). */
  uiCodecEndpoint?: string;
  /** SQLite file (WAL), so the server can restart with its state; in memory when absent. */
  dbFile?: string;
  /** File the server's output is appended to; discarded when absent. */
  logFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** More `temporal server start-dev` arguments (the bench adds `--metrics-port`). */
  extraArgs?: string[];
}

/** A child process of the stack: the `nse-flow` CLI (e.g. `worker`) or the NSE simulator's own entry. */
export interface NseFlowProcessOptions {
  /** Named in the messages about it. */
  name: string;
  /** `bin/nse-flow.js` unless `simulator` (simulator/bin.js, outside nse-flow's package). */
  entry?: 'nse-flow' | 'simulator';
  args: string[];
  /** Added to this process's environment, or the whole environment with `cleanEnv`. */
  env?: NodeJS.ProcessEnv;
  cleanEnv?: boolean;
  /** Called when the process exits while the stack is not stopping. */
  onUnexpectedExit?: (description: string) => void;
}

/** Options of {@link Stack.startSimulator}: the simulator's own, where it listens, and hooks added before it does. */
export interface InProcessSimulatorOptions extends SimulatorOptions {
  /** A free one when absent; always on 127.0.0.1. */
  port?: number;
  /** Called before the simulator listens, e.g. to add fastify hooks that watch its traffic. */
  prepare?: (app: SimulatorApp) => void;
}

/** A simulator running in this process. */
export interface RunningSimulator {
  app: SimulatorApp;
  /** `http://127.0.0.1:<port>`: the control endpoints live under `/_sim`. */
  origin: string;
  /** The API's base URL (`<origin>/api`), NSE_BASE_URL for a worker. */
  url: string;
}

/** Options of {@link Stack.startWorkerProcess}. */
export interface WorkerProcessOptions {
  /** The worker's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Its stdout (JSON log lines) is appended here. */
  logPath: string;
  stderrPath: string;
}

/** A worker started by {@link Stack.startWorker}, in this process. */
export interface RunningWorker {
  /** The workflow worker and the NSE activity worker on `<taskQueue>-nse`. */
  worker: WorkerPair;
  taskQueue: string;
  /** Shuts the worker down and waits for it (idempotent; also done when the stack stops). */
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 15_000;

/** A stack being built or running; stop it once, whatever was started. */
export class Stack {
  private readonly stops: { name: string; stop: () => Promise<unknown> }[] = [];
  private stopping: Promise<void> | undefined;
  private temporalOptions: TemporalOptions | undefined;
  private server: RunningDevServer | undefined;
  /** The `temporal` CLI, found or built on first use (`scripts/install-temporal-cli.sh`, or TEMPORAL_CLI). */
  private cli: string | undefined;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  get cliPath(): string {
    this.cli ??= installTemporalCli();
    return this.cli;
  }

  /** The running dev server; throws before {@link startTemporal}. */
  get temporal(): RunningDevServer {
    if (!this.server) throw new Error('the stack has no Temporal server yet');
    return this.server;
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Registers a part the caller started, to be stopped with the stack (newest first). */
  defer(name: string, stop: () => Promise<unknown>): void {
    this.stops.push({ name, stop });
  }

  /** Starts the dev server with the project's search attributes and waits until it answers. */
  async startTemporal(options: TemporalOptions = {}): Promise<RunningDevServer> {
    this.temporalOptions = { ...options, port: options.port ?? (await freePort()) };
    this.server = await this.launchTemporal(this.temporalOptions);
    this.defer('Temporal dev server', () => this.server?.stop() ?? Promise.resolve());
    return this.server;
  }

  /** Stops the dev server and starts it again on the same port and SQLite file (chaos). */
  async restartTemporal(): Promise<RunningDevServer> {
    if (!this.temporalOptions) throw new Error('the stack has no Temporal server to restart');
    await this.server?.stop();
    this.server = await this.launchTemporal(this.temporalOptions);
    return this.server;
  }

  private async launchTemporal(options: TemporalOptions): Promise<RunningDevServer> {
    const server = await startDevServer({
      cliPath: this.cliPath,
      port: options.port as number,
      uiPort: options.uiPort,
      uiCodecEndpoint: options.uiCodecEndpoint,
      dbFile: options.dbFile,
      logLevel: options.logLevel ?? 'error',
      output: options.logFile ? 'pipe' : 'ignore',
      extraArgs: options.extraArgs,
    });
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a', mode: 0o600 });
      server.process.stdout?.pipe(log, { end: false });
      server.process.stderr?.pipe(log, { end: false });
      server.process.once('exit', () => log.end());
    }
    return server;
  }

  /**
   * Runs `node bin/nse-flow.js <args>` (or `node simulator/bin.js <args>`) with this terminal's output, stopped with
   * the stack (SIGTERM, then SIGKILL after {@link STOP_GRACE_MS}).
   */
  startNseFlowProcess(options: NseFlowProcessOptions): ChildProcess {
    const entry =
      options.entry === 'simulator'
        ? path.join(REPO_ROOT, 'simulator', 'bin.js')
        : path.join(REPO_ROOT, 'bin', 'nse-flow.js');
    const child = spawn(process.execPath, [entry, ...options.args], {
      cwd: REPO_ROOT,
      env: options.cleanEnv ? options.env : { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (!this.isStopping) options.onUnexpectedExit?.(`${options.name} exited (${signal ?? code})`);
    });
    this.defer(options.name, async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    });
    return child;
  }

  /** Builds the NSE simulator in this process and listens on 127.0.0.1; it closes with the stack. */
  async startSimulator(options: InProcessSimulatorOptions = {}): Promise<RunningSimulator> {
    const { port, prepare, ...simulatorOptions } = options;
    const app = buildSimulator(simulatorOptions);
    prepare?.(app);
    await app.listen({ port: port ?? 0, host: '127.0.0.1' });
    this.defer('simulator', () => app.close());
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    return { app, origin, url: `${origin}/api` };
  }

  /**
   * Starts `node bin/nse-flow.js worker` as a child process that can be killed and started again (chaos), waits
   * until it logged `worker started`, and makes its build current (a versioned worker gets no task before); it is
   * stopped and its log files closed with the stack.
   */
  async startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
    const worker = new WorkerProcess(options.env, options.logPath, options.stderrPath, this.log);
    this.defer('worker', () => worker.close());
    await worker.start();
    const address = options.env.TEMPORAL_ADDRESS ?? this.temporal.address;
    if (worker.version) await makeCurrent(address, options.env.TEMPORAL_NAMESPACE || 'default', worker.version);
    return worker;
  }

  /**
   * Creates a worker pair in this process (the bench) and runs it until it is stopped or the stack stops. The NSE
   * queue's worker runs `nse.activities` (default: `options.activities`), at most `nse.requestBudget` NSE activities
   * in any second (none by default).
   */
  async startWorker(options: WorkerOptions, nse: Partial<NseWorkerOptions> = {}): Promise<RunningWorker> {
    const worker = await createWorkerPair(options, {
      activities: nse.activities ?? options.activities ?? {},
      requestBudget: nse.requestBudget,
    });
    const running = worker.run();
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      })();
      return stopped;
    };
    this.defer(`worker on ${options.taskQueue}`, stop);
    return { worker, taskQueue: options.taskQueue, stop };
  }

  /** Stops every part, newest first; a part that fails to stop is logged and the others still stop. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, stop } of [...this.stops].reverse()) {
        await stop().catch((err: unknown) => this.log(`stopping ${name}: ${String(err)}`));
      }
    })();
    return this.stopping;
  }
}

/** A worker child process that can be killed and started again; its stdout lines are appended to `logPath`. */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly out: WriteStream;
  private readonly err: WriteStream;
  /** Times a worker process reached `worker started`. */
  starts = 0;
  /** The deployment version the worker logged in `worker started`; undefined when unversioned. */
  version: WorkerDeploymentVersion | undefined;
  /** Exits the suite did not cause. */
  readonly crashes: string[] = [];
  /** Called when a worker exits on its own, after it is recorded in {@link crashes}. */
  onCrash: (() => void) | undefined;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    readonly logPath: string,
    readonly stderrPath: string,
    private readonly log: (line: string) => void,
  ) {
    this.out = createWriteStream(logPath, { flags: 'a' });
    this.err = createWriteStream(stderrPath, { flags: 'a' });
  }

  /** True while a worker process runs. */
  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.alive ? this.child?.pid : undefined;
  }

  /** Spawns the worker and resolves once it logged `worker started`; rejects if it exits first. */
  async start(): Promise<void> {
    if (this.alive) throw new Error('worker already running');
    this.stopping = false;
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'nse-flow.js'), 'worker'], {
      cwd: REPO_ROOT,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr?.pipe(this.err, { end: false });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        this.out.write(`${line}\n`);
        if (!ready && line.includes('"worker started"')) {
          ready = true;
          this.starts++;
          this.version = versionLogged(line);
          resolve();
        }
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        if (!ready) reject(new Error(`worker exited before it started (${signal ?? code}); see ${this.stderrPath}`));
        else if (!this.stopping && signal !== 'SIGKILL') {
          this.crashes.push(`worker pid ${child.pid} exited on its own (${signal ?? code})`);
          this.log(`worker pid ${child.pid} exited on its own (${signal ?? code})`);
          this.onCrash?.();
        }
      });
    });
  }

  /** SIGKILL, as a crashed host would; resolves once the process is gone. False when no worker ran. */
  async kill9(): Promise<boolean> {
    const child = this.child;
    if (!child || !this.alive) return false;
    child.kill('SIGKILL');
    await this.exited;
    return true;
  }

  /** SIGTERM (the worker drains and flushes its log), SIGKILL after `graceMs`. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    const child = this.child;
    this.stopping = true;
    if (child && this.alive) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Stops the worker if needed and closes the log files. */
  async close(): Promise<void> {
    await this.stop();
    await Promise.all([this.out, this.err].map((s) => new Promise<void>((resolve) => s.end(() => resolve()))));
  }
}

/** The `deployment` and `buildId` fields of a worker's `worker started` line; undefined for an unversioned worker. */
function versionLogged(line: string): WorkerDeploymentVersion | undefined {
  const { deployment, buildId } = JSON.parse(line) as { deployment?: string; buildId?: string };
  return deployment && buildId ? { deploymentName: deployment, buildId } : undefined;
}

/**
 * Builds a stack with `build` and returns it; when `build` throws, stops what it had started and rethrows, so a
 * failed start leaves no process behind.
 */
export async function startStack(
  build: (stack: Stack) => Promise<unknown>,
  log?: (line: string) => void,
): Promise<Stack> {
  const stack = new Stack(log);
  try {
    await build(stack);
    return stack;
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
