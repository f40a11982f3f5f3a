/**
 * The one stack orchestrator of development: the Temporal dev server, the NSE simulator and nse-flow workers as
 * child processes, started in order and stopped newest first, also when a later part fails to start. `npm start`
 * (scripts/start-stack.ts), the Jest global setup, the bench and chaos each build theirs with their own options;
 * parts a caller runs in-process (chaos's simulator, the bench's worker) join the stack through {@link Stack.defer}.
 * Development tooling: it lives outside src/, so it never ships in lib/.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { freePort } from './dev/ports';
import { installTemporalCli, REPO_ROOT, startDevServer, type RunningDevServer } from './dev/temporal-dev-server';

/** Options of {@link Stack.startTemporal}. */
export interface TemporalOptions {
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Web UI port; no UI when absent. */
  uiPort?: number;
  /** SQLite file (WAL), so the server can restart with its state; in memory when absent. */
  dbFile?: string;
  /** File the server's output is appended to; discarded when absent. */
  logFile?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** A child process of the stack running the `nse-flow` CLI (`simulator`, `worker`). */
export interface NseFlowProcessOptions {
  /** Named in the messages about it. */
  name: string;
  args: string[];
  /** Added to this process's environment, or the whole environment with `cleanEnv`. */
  env?: NodeJS.ProcessEnv;
  cleanEnv?: boolean;
  /** Called when the process exits while the stack is not stopping. */
  onUnexpectedExit?: (description: string) => void;
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
      dbFile: options.dbFile,
      logLevel: options.logLevel ?? 'error',
      output: options.logFile ? 'pipe' : 'ignore',
    });
    if (options.logFile) {
      const log = createWriteStream(options.logFile, { flags: 'a' });
      server.process.stdout?.pipe(log, { end: false });
      server.process.stderr?.pipe(log, { end: false });
      server.process.once('exit', () => log.end());
    }
    return server;
  }

  /**
   * Runs `node bin/nse-flow.js <args>` with this terminal's output, stopped with the stack (SIGTERM, then SIGKILL
   * after {@link STOP_GRACE_MS}).
   */
  startNseFlowProcess(options: NseFlowProcessOptions): ChildProcess {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'nse-flow.js'), ...options.args], {
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
