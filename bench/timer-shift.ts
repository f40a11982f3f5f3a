/**
 * `npx ts-node --transpile-only bench/timer-shift.ts`: where the ~1 s lateness of short timers comes from. On the
 * dev server with the history service's `history.timerProcessorMaxTimeShift` at its default (1 s), at 100 ms and at
 * 1 s, eight runs each wait on one timer of 20 ms and of 200 ms (`baselineTimerWorkflow`); prints, per setting, the
 * TimerStarted → TimerFired time of every run. The server code is the same as the cluster's (1.29.1).
 * @module
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { freePort } from '../tools/dev/ports';
import { installTemporalCli, startDevServer } from '../tools/dev/temporal-dev-server';
import { baselineActivities } from './baseline-activities';
import { quietBundlerLogger } from './harness';
import { eventMs } from './history';

const TIMERS_MS = [20, 200];
const RUNS = 8;

/** Fired-after times (ms) per timer length, on a fresh dev server with the given time shift (default when undefined). */
async function trial(shift: string | undefined, code: string): Promise<Map<number, number[]>> {
  const extraArgs = shift ? ['--dynamic-config-value', `history.timerProcessorMaxTimeShift="${shift}"`] : [];
  const server = await startDevServer({
    cliPath: installTemporalCli(),
    port: await freePort(),
    logLevel: 'error',
    output: 'ignore',
    extraArgs,
  });
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await Worker.create({
    connection: native,
    taskQueue: 'timer-shift',
    workflowBundle: { code },
    activities: baselineActivities,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const firedAfter = new Map<number, number[]>();
  try {
    for (const ms of TIMERS_MS) {
      const handles = await Promise.all(
        Array.from({ length: RUNS }, (_, i) =>
          client.workflow.start('baselineTimerWorkflow', {
            taskQueue: 'timer-shift',
            workflowId: `timer-${ms}-${i}`,
            args: [ms],
          }),
        ),
      );
      await Promise.all(handles.map((handle) => handle.result()));
      const times: number[] = [];
      for (const handle of handles) {
        const events = (await handle.fetchHistory()).events ?? [];
        const started = events.find((e) => e.timerStartedEventAttributes);
        const fired = events.find((e) => e.timerFiredEventAttributes);
        if (started && fired) times.push(eventMs(fired) - eventMs(started));
      }
      firedAfter.set(ms, times);
    }
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await server.stop();
  }
  return firedAfter;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('./baseline-workflows'),
    logger: quietBundlerLogger,
  });
  for (const shift of [undefined, '100ms', '1s']) {
    const firedAfter = await trial(shift, code);
    const cells = TIMERS_MS.map((ms) => `${ms} ms timer: ${(firedAfter.get(ms) ?? []).join(', ')}`);
    process.stdout.write(`timerProcessorMaxTimeShift ${shift ?? 'default'}: ${cells.join('; ')} (fired after, ms)\n`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`timer-shift: ${String(err)}\n`);
    process.exit(1);
  },
);
