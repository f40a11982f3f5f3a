/**
 * Starts the real Temporal dev server (`temporal server start-dev`) as a child process, for the local stack,
 * the tests and the benchmarks, and waits until its frontend answers.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS, searchAttributeTypeName } from '../../src/shared/workflow-api';

/**
 * Dynamic config every Temporal server of the project sets (dev server, `npm run cluster`, docker-compose.yml through
 * deploy/dynamicconfig.yaml): the priority-aware matcher and per-key fairness (keys as in server 1.29.1's
 * common/dynamicconfig/constants.go; both default to false there), so NSE activities are dispatched by priority and
 * round the tenants' fairness keys.
 */
export const MATCHING_DYNAMIC_CONFIG = { 'matching.useNewMatcher': true, 'matching.enableFairness': true } as const;

/**
 * One partition per task queue (the server's default is 4): a partition orders only its own tasks by priority and
 * fairness key, so with four a poller may take a submit from one while another holds reads. The NSE queue carries at
 * most the request budget, which one partition serves easily; the cluster sets this for its NSE queue alone.
 */
export const ONE_PARTITION_DYNAMIC_CONFIG = {
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
} as const;

/**
 * The largest event or protocol message the history service takes (`limit.blobSize.error`, 2 MiB by default in
 * server 1.29.1). The frontend bounds an update's arguments only by gRPC's 4 MiB, and the SDK's rejection of an update
 * repeats them: refusing a 2-4 MiB update made a message over 2 MiB, for which the history service terminates the run
 * (issue #24). Above 4 MiB, every update that reaches a worker can be refused. What a run keeps stays bounded by the
 * entry gate (64 KiB of caller input), not by this limit.
 */
export const PAYLOAD_DYNAMIC_CONFIG = { 'limit.blobSize.error': 5 * 1024 * 1024 } as const;

/**
 * How soon a dev server reports a version that lost its current status as drained (`describe-version`). The server's
 * defaults (server 1.29.1, common/dynamicconfig/constants.go) wait 3 minutes for visibility to catch up and check
 * every 3 minutes: for a production store. A dev server's visibility is its own SQLite, so it checks every second.
 */
export const DRAINAGE_DYNAMIC_CONFIG = {
  'matching.wv.VersionDrainageStatusVisibilityGracePeriod': '1s',
  'matching.wv.VersionDrainageStatusRefreshInterval': '1s',
} as const;

/** Where the repository lives, for .tools and .temporal. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Runs scripts/install-temporal-cli.sh (idempotent) and returns the CLI path it prints. */
export function installTemporalCli(): string {
  const script = path.join(REPO_ROOT, 'scripts', 'install-temporal-cli.sh');
  return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Web UI port; the UI is off when undefined. */
  uiPort?: number;
  /** SQLite file for persistence, made 0600 with its WAL (see {@link secureStateDir} for its folder); in memory when undefined. */
  dbFile?: string;
  /** The codec server the Web UI decodes payloads with (`--ui-codec-endpoint`); none when undefined. */
  uiCodecEndpoint?: string;
  ip?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where the server's stdout and stderr go; with 'pipe' the caller must consume them. */
  output?: 'inherit' | 'ignore' | 'pipe';
  extraArgs?: string[];
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** What the dev server's state files may be: read and written by their owner only (history is clear text). */
const STATE_FILE_MODE = 0o600;
const STATE_DIR_MODE = 0o700;

/**
 * Makes `dir` the stack's private state folder: created (or chmodded) 0700, and every file already in it (an older
 * database, its WAL and shared memory, the server log) 0600. Only for a folder of the stack's own, such as .temporal.
 */
export function secureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  chmodSync(dir, STATE_DIR_MODE);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (lstatSync(file).isFile()) chmodSync(file, STATE_FILE_MODE);
  }
}

/** Makes an existing SQLite file, WAL and shared-memory file 0600 (new ones are, by the server's umask). */
function secureDbFiles(dbFile: string): void {
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) if (existsSync(file)) chmodSync(file, STATE_FILE_MODE);
}

/** The dev server's command line: persistent SQLite with WAL, the project's search attributes and dynamic config. */
function devServerArgs(options: DevServerOptions): string[] {
  const args = ['server', 'start-dev', '--port', String(options.port), '--ip', options.ip ?? '127.0.0.1'];
  args.push('--log-level', options.logLevel ?? 'warn', '--log-format', 'json');
  args.push(...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]));
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFile) {
    args.push('--db-filename', options.dbFile);
    args.push('--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  for (const key of SEARCH_ATTRIBUTE_KEYS)
    args.push('--search-attribute', `${key.name}=${searchAttributeTypeName(key)}`);
  // A dev server serves one machine: one partition for every queue (the NSE queue's name is not known here).
  const dynamicConfig = {
    ...MATCHING_DYNAMIC_CONFIG,
    ...ONE_PARTITION_DYNAMIC_CONFIG,
    ...DRAINAGE_DYNAMIC_CONFIG,
    ...PAYLOAD_DYNAMIC_CONFIG,
  };
  for (const [key, value] of Object.entries(dynamicConfig))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  return [...args, ...(options.extraArgs ?? [])];
}

/** Spawns the dev server and resolves once its gRPC frontend answers; rejects if it exits first. */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  if (options.dbFile) secureDbFiles(options.dbFile);
  // Through sh for its umask: every file the server creates (database, WAL, shared memory) is the owner's alone.
  // SQLite needs to create the database itself (an empty file gets no schema), so its mode cannot be set before.
  const child = spawn('/bin/sh', ['-c', 'umask 077 && exec "$0" "$@"', options.cliPath, ...devServerArgs(options)], {
    stdio: ['ignore', options.output ?? 'inherit', options.output ?? 'inherit'],
  });
  const address = `${options.ip ?? '127.0.0.1'}:${options.port}`;
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`temporal dev server exited early (${signal ?? code})`)));
    child.once('error', reject);
  });
  exited.catch(() => undefined); // observed below; avoid an unhandled rejection after a clean stop
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  };
  try {
    await Promise.race([waitUntilServing(address), exited]);
  } catch (err) {
    await stop();
    throw err;
  }
  const uiUrl = options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`;
  return { address, uiUrl, process: child, stop };
}

/** Retries a cheap frontend call until it succeeds; a cold SQLite start can take several seconds. */
async function waitUntilServing(address: string, attempts = 120): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await sleep(250); // readiness back-off, not test synchronisation
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer: ${String(lastError)}`);
}
