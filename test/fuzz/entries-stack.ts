/**
 * `npm run fuzz -- --entries`: the entry property test (./entries) against a stack of its own: a dev server, the
 * simulator and a worker in this process, on a fresh task queue, all stopped again afterwards.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import fc from 'fast-check';
import { createActivities, createSweepActivities } from '../../src/activities';
import { nseFlowNexusHandler } from '../../src/nexus/handler';
import { NseClient } from '../../src/nse/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { bundleWorkflows } from '../../tools/bundle-workflows';
import { startStack } from '../../tools/stack';
import { checkEntries, entryCase, type CheckOptions, type EntryReport } from './entries';

/**
 * Runs `runs` entry cases drawn with `seed`; returns the report and the seconds the cases took. `onProgress` hears
 * after each set of targets how many cases are done and how many problems were found.
 */
export async function runEntryFuzz(
  runs: number,
  seed: number,
  onProgress?: CheckOptions['onProgress'],
): Promise<{ report: EntryReport; seconds: number }> {
  // The SDK's own warnings (payloads over 512 KiB: the megabyte strings are the point) are not the report; the core's
  // go through the same logger.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    shutdownSignals: [],
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-fuzz-'));
  const stack = await startStack(async (s) => await s.startTemporal());
  try {
    const bundle = path.join(dir, 'workflow-bundle.js');
    await bundleWorkflows(bundle);
    const sim = await stack.startSimulator();
    const address = stack.temporal.address;
    const connection = await Connection.connect({ address });
    stack.defer('client connection', () => connection.close());
    const nativeConnection = await NativeConnection.connect({ address });
    stack.defer('worker connection', () => nativeConnection.close());
    const { username, password } = SIM_FIXTURES.defaultUser;
    const auth = { kind: 'jwt', username, password } as const;
    const nseCallers: string[] = [];
    const nse = recordingCallers(new NseClient({ baseUrl: sim.url, auth }), nseCallers);
    stack.defer('NSE client', async () => nse.close());
    const taskQueue = `fuzz-entries-${randomUUID()}`;
    // The sweep's too, as a worker has them: without them the sweep runs fail their first activity, paused or not.
    const activities = { ...createActivities({ nse }), ...createSweepActivities({ nse, auth }) };
    await stack.startWorker({
      connection: nativeConnection,
      taskQueue,
      workflowBundle: { codePath: bundle },
      activities,
      nexusServices: [nseFlowNexusHandler],
    });
    const cases = fc.sample(entryCase, { numRuns: runs, seed });
    const started = Date.now();
    const report = await checkEntries(
      {
        client: new Client({ connection }),
        taskQueue,
        nseRequests: async () => sim.app.sim.ledger().requests.map((r) => `${r.method} ${r.path}`),
        nseCallers: () => nseCallers,
      },
      cases,
      { onProgress },
    );
    return { report, seconds: (Date.now() - started) / 1000 };
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `nse`, recording in `callers` the run and activity of each of its calls (none should be made: all are paused). */
function recordingCallers(nse: NseClient, callers: string[]): NseClient {
  return new Proxy(nse, {
    get(client, key, receiver) {
      const value: unknown = Reflect.get(client, key, receiver);
      if (typeof value !== 'function' || key === 'close') return value;
      return (...args: unknown[]) => {
        try {
          const { workflowExecution, activityType } = Context.current().info;
          callers.push(`${workflowExecution?.workflowId ?? '?'} ${activityType}`);
        } catch {
          callers.push(`(outside an activity) ${String(key)}`);
        }
        return (value as (...a: unknown[]) => unknown).apply(client, args);
      };
    },
  });
}
