/**
 * The `nse-flow` CLI as a child process (bin/nse-flow.js, from the sources), for tests that run it as a person does.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { testAddress } from './temporal';
import type { TestWorker } from './worker';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'nse-flow.js');

export interface CliRun {
  /** The exit code, or the signal that ended it. */
  code: number | string;
  stdout: string;
  stderr: string;
}

/** The variables that point the CLI at the test dev server and at a harness's task queue and simulator. */
export function cliEnvFor(harness: Pick<TestWorker, 'taskQueue' | 'sim'>): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: testAddress(),
    NSE_FLOW_TASK_QUEUE: harness.taskQueue,
    NSE_BASE_URL: harness.sim.url,
    NSE_USERNAME: harness.sim.username,
    NSE_PASSWORD: harness.sim.password,
  };
}

/** Runs the CLI in the project's folder with exactly `env` besides PATH and HOME; never throws. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 180_000): Promise<CliRun> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: childEnv, cwd: ROOT, timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error ? (error.code ?? String(error.signal)) : 0, stdout, stderr });
      },
    );
  });
}
