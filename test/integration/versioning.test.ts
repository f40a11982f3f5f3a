/**
 * Worker Deployment Versioning on the real dev server: two builds of one deployment, each a worker pair as
 * `nse-flow worker` builds it. A run started on build 1 stays on build 1 (operation runs are pinned) while build 2,
 * made current, takes the new runs; once build 1's last run ends, the server reports build 1 drained.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { packageVersion, runBuild, setCurrentVersion, versionDrainage } from '../../src/deployment';
import { decideUpdate, operationStatusQuery, type OperationInput } from '../../src/shared/workflow-api';
import { hostgroupOperation } from '../helpers/fixtures';
import { waitFor } from '../helpers/scenario';
import { rootFailure, settle, testBundlePath } from '../helpers/temporal';
import { createConfiguredWorker, useTestWorker } from '../helpers/worker';

jest.setTimeout(180_000);

describe('versioned deploys', () => {
  const stops: (() => Promise<void>)[] = [];
  // Declared before the harness's hooks, so the workers stop before their connection closes.
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });
  const harness = useTestWorker({ queue: 'versioning', worker: false });
  const deploymentName = `nse-flow-test-${randomUUID().slice(0, 8)}`;

  /** Starts a worker pair of `deploymentName` (build id derived from the bundle unless given) until the tests end. */
  async function startBuild(buildId?: string): Promise<WorkerDeploymentVersion> {
    const env = { NSE_FLOW_DEPLOYMENT: deploymentName, ...(buildId ? { NSE_FLOW_BUILD_ID: buildId } : {}) };
    const { worker, nse, version } = await createConfiguredWorker(harness, env);
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      nse.close();
    });
    if (!version) throw new Error('the worker should be versioned');
    return version;
  }

  async function start(input: OperationInput): Promise<WorkflowHandle> {
    return await harness.temporal.client.workflow.start('nseOperationWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: `versioning-${randomUUID()}`,
      args: [input],
    });
  }

  /** The build ids of the workers that completed each of the run's workflow tasks, in order. */
  async function taskBuilds(handle: WorkflowHandle): Promise<string[]> {
    const { events } = await handle.fetchHistory();
    return (events ?? []).flatMap((event) => {
      const completed = event.workflowTaskCompletedEventAttributes;
      return completed ? [completed.deploymentVersion?.buildId ?? '(unversioned)'] : [];
    });
  }

  async function buildOf(handle: WorkflowHandle): Promise<ReturnType<typeof runBuild>> {
    return runBuild((await handle.describe()).raw.workflowExecutionInfo);
  }

  it('finishes build 1 runs on build 1 while build 2 takes new runs, then reports build 1 drained', async () => {
    const { connection } = harness.temporal.client;
    const namespace = harness.temporal.client.options.namespace;
    const build1 = await startBuild();
    const bundleHash = createHash('sha256').update(readFileSync(testBundlePath(), 'utf8')).digest('hex');
    expect(build1).toEqual({ deploymentName, buildId: `${packageVersion()}+${bundleHash.slice(0, 12)}` });
    await setCurrentVersion(connection, namespace, build1);

    // A job that fails, held for a decision: the run stays open on build 1 until the test decides.
    const held = await start({ ...hostgroupOperation('fail-versioned-held'), onFailure: 'hold' });
    await waitFor('the build 1 run to await a decision', async () => {
      const status = await held.query(operationStatusQuery);
      return status.phase === 'awaiting-decision' ? status : undefined;
    });
    expect(await buildOf(held)).toEqual({ ...build1, behavior: 'PINNED' });

    const build2 = await startBuild('second');
    await setCurrentVersion(connection, namespace, build2);
    expect(await versionDrainage(connection, namespace, build1)).toBe('draining');

    const fresh = await start(hostgroupOperation('versioned-fresh'));
    expect((await settle(fresh)).error).toBeUndefined();
    expect(await buildOf(fresh)).toEqual({ ...build2, behavior: 'PINNED' });
    expect(new Set(await taskBuilds(fresh))).toEqual(new Set([build2.buildId]));

    // The decision reaches build 1, which undoes the job (NSE activities on its own NSE queue worker) and ends the run.
    await held.executeUpdate(decideUpdate, { args: ['compensate'] });
    const { error } = await settle(held);
    expect(rootFailure(error)?.details?.[0]).toMatchObject({ compensation: { outcome: 'compensated' } });
    expect(new Set(await taskBuilds(held))).toEqual(new Set([build1.buildId]));
    expect((await harness.sim.ledger()).events.map((e) => e.kind)).toEqual(['create', 'create', 'delete']);

    // The server computes drainage on its own schedule (tools/dev/temporal-dev-server.ts shortens it): poll it.
    await waitFor(
      'build 1 to be drained',
      async () => ((await versionDrainage(connection, namespace, build1)) === 'drained' ? true : undefined),
      60_000,
    );
    expect(await versionDrainage(connection, namespace, build2)).toBeUndefined();
  });
});
