/**
 * A long-running child process of the local cluster (database, Temporal server, UI server, simulator, worker): its
 * output appended to a log file, its unexpected exit observable, and a stop that signals it and waits.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServiceProcess {
  name: string;
  process: ChildProcess;
  /** Rejects when the process exits, whatever the reason (observe it with Promise.race while waiting for it). */
  exited: Promise<never>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** Sends `signal` (SIGTERM unless given), SIGKILL after `graceMs`, and resolves once the process is gone. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Appends stdout and stderr here. */
  logFile: string;
  /**
   * Own process group: a Ctrl-C in the terminal does not reach it, so the caller stops it in order (the database
   * after the Temporal server, the server after the workers).
   */
  detached?: boolean;
}

export function startService(options: ServiceOptions): ServiceProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
    detached: options.detached ?? false,
  });
  closeSync(out);
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new Error(`${options.name} exited (${signal ?? code}); see ${options.logFile}${logTail(options.logFile)}`),
      ),
    );
    child.once('error', reject);
  });
  exited.catch(() => undefined); // observed by callers that wait on it; a clean stop is not an error
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> => {
    if (hasExited()) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  };
  return { name: options.name, process: child, exited, hasExited, stop };
}

/** The last lines of a service's log, for an exit error: tests remove their folders, and the log with them. */
function logTail(logFile: string, lines = 15): string {
  try {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines);
    return tail.length > 0 && tail[0] !== '' ? `; its last lines:\n${tail.join('\n')}` : '';
  } catch {
    return '';
  }
}

/** Retries `probe` every 250 ms until it resolves, the service exits, or `attempts` run out. */
export async function waitUntilReady(
  service: ServiceProcess,
  what: string,
  probe: () => Promise<unknown>,
  attempts = 240,
): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (service.hasExited()) await service.exited;
    try {
      await Promise.race([probe(), service.exited]);
      return;
    } catch (err) {
      if (service.hasExited()) throw err;
      lastError = err;
      await sleep(250); // readiness back-off, not synchronisation
    }
  }
  throw new Error(`${what} did not get ready: ${String(lastError)}`);
}
