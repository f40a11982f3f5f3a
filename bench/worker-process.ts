/**
 * A second (third, ...) benchmark worker in a process of its own: the SDK refuses two workers of one task queue in
 * one process. Same bundle, activities and options as the bench's in-process worker (bench/harness.ts); forked by
 * {@link startWorkerProcess}, it answers `ready` over IPC once polling and stops on SIGTERM or when the parent goes.
 * @module
 */
import { fork } from 'node:child_process';
import { NativeConnection, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../src/activities';
import { createLogger, temporalLogger } from '../src/logging';
import { NseClient } from '../src/nse/client';
import { createWorkerPair } from '../src/worker-pair';
import { SIM_FIXTURES } from '../simulator/fixtures';
import { baselineActivities } from './baseline-activities';

export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  simUrl: string;
  bundlePath: string;
  logFile: string;
}

/** A running worker process: its pid (for its CPU time) and a stop that waits for its exit. */
export interface WorkerProcess {
  pid: number;
  stop(): Promise<void>;
}

/** Forks a worker process and resolves once it polls. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = fork(__filename, [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, BENCH_WORKER: JSON.stringify(options) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker process did not start within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`the worker process exited early (${code})`)));
    child.on('message', (message) => {
      if (message !== 'ready') return;
      clearTimeout(timer);
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error('the worker process has no pid');
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runChild(options: WorkerProcessOptions): Promise<void> {
  const logger = createLogger('info', pino.destination({ dest: options.logFile, sync: false }));
  Runtime.install({ logger: temporalLogger(logger), shutdownSignals: ['SIGTERM', 'SIGINT'] });
  const { username, password } = SIM_FIXTURES.defaultUser;
  const nse = new NseClient({ baseUrl: options.simUrl, auth: { kind: 'jwt', username, password } });
  const activities = { ...createActivities({ nse }), ...baselineActivities };
  const worker = await createWorkerPair(
    {
      connection: await NativeConnection.connect({ address: options.address }),
      taskQueue: options.taskQueue,
      workflowBundle: { codePath: options.bundlePath },
      activities,
    },
    { activities, requestBudget: undefined },
  );
  const running = worker.run();
  process.send?.('ready');
  process.once('disconnect', () => worker.shutdown()); // the bench went away
  await running;
  nse.close();
}

if (require.main === module && process.env.BENCH_WORKER) {
  runChild(JSON.parse(process.env.BENCH_WORKER) as WorkerProcessOptions).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`bench worker process: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
