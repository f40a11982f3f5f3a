/**
 * `npm run test:cluster`: nse-flow on the production-like cluster of `npm run cluster` (PostgreSQL, the Temporal
 * server with SQL persistence and visibility and 8 history shards, created by deploy/'s scripts) with two worker
 * processes, against an NSE simulator over HTTP. The example plans, a failed job and its undo, a worker killed with
 * SIGKILL while its runs poll, and the Temporal server killed mid-run and started again on the same database; then
 * the simulator's ledger must show every intended resource created once and alive, and nothing else left alive.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client } from '@temporalio/client';
import { duplicates } from '../../chaos/invariants';
import { connect, RunFailedError, type NseFlowClient } from '../../src/client';
import { startCluster, type RunningCluster } from '../../tools/dev/cluster';
import type { ProvisionPlan } from '../../src/shared/plans';
import type { OperationResult, PollPolicy, ProvisionResult } from '../../src/shared/workflow-api';
import { hostgroupOperation } from '../helpers/fixtures';
import { waitFor } from '../helpers/scenario';
import { startSimulator, type RunningSimulator } from '../helpers/simulator';

// The first run may build the Temporal server and UI server (several minutes on a cold Go cache).
jest.setTimeout(30 * 60_000);

/** Half-second polls: the cluster's timers are not the dev server's 1 s ticks, and the tests stay short. */
const POLL: Partial<PollPolicy> = { initialIntervalMs: 500, maxIntervalMs: 500, jitterRatio: 0 };
const LONG_JOB = [...Array<'RUNNING'>(12).fill('RUNNING'), 'NORMAL' as const];

let sim: RunningSimulator;
let cluster: RunningCluster;
let nseFlow: NseFlowClient;
let temporal: Client;
let dir: string;
const log: string[] = [];

/** The object ids each successful run reported, and the ids each failed run was held to remove. */
const kept = new Set<string>();
const runs: { workflowId: string; outcome: 'success' | 'failure' }[] = [];

beforeAll(async () => {
  sim = await startSimulator({
    rules: [
      {
        comment: 'runs that are still polling when a worker or the server dies',
        match: { name: 'long-' },
        states: LONG_JOB,
      },
    ],
  });
  dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-cluster-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach its data directory
  cluster = await startCluster({
    dir,
    nse: { baseUrl: sim.url, username: sim.username, password: sim.password },
    workers: 2,
    log: (line) => void log.push(line),
  });
  nseFlow = await connect({ address: cluster.address, env: {} });
  temporal = nseFlow.temporal;
});

afterAll(async () => {
  await nseFlow?.close();
  await cluster?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function example(name: string): ProvisionPlan {
  const file = path.join(__dirname, '..', '..', 'examples', `${name}.json`);
  return { ...(JSON.parse(readFileSync(file, 'utf8')) as ProvisionPlan), poll: POLL };
}

async function operationRun(name: string): Promise<{ workflowId: string; done: Promise<OperationResult> }> {
  const handle = await nseFlow.startOperation(hostgroupOperation(name, POLL));
  runs.push({ workflowId: handle.workflowId, outcome: 'success' });
  const done = handle.result().then((result) => {
    if (result.objectId) kept.add(result.objectId);
    return result;
  });
  return { workflowId: handle.workflowId, done };
}

/** Waits until the simulator has answered at least `reads` reads of each named resource's job. */
async function untilPolled(names: string[], reads: number): Promise<void> {
  await waitFor(`${names.length} runs to poll ${reads} times`, async () => {
    const { requests, events } = await sim.ledger();
    return names.every((name) => {
      const job = events.find((e) => e.kind === 'create' && e.name === name)?.jobId;
      return job !== undefined && requests.filter((r) => r.path === `/v2.1/jobs/${job}`).length >= reads;
    });
  });
}

/** Process ids of the workers that took workflow tasks of a run (the poller's identity is `pid@host`). */
async function taskWorkers(workflowId: string): Promise<Set<number>> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const pids = new Set<number>();
  for (const event of history.events ?? []) {
    const identity = event.workflowTaskStartedEventAttributes?.identity;
    if (identity) pids.add(Number(identity.split('@')[0]));
  }
  return pids;
}

describe('nse-flow on the PostgreSQL cluster', () => {
  it.each(['block-storage', 'file-storage', 'object-storage'])('provisions the %s example plan', async (name) => {
    const plan = example(name);
    const handle = await nseFlow.startProvisioning(plan);
    runs.push({ workflowId: handle.workflowId, outcome: 'success' });
    const result = (await handle.result()) as ProvisionResult;
    expect(result.steps.map((step) => step.outcome)).toEqual(plan.steps.map(() => 'done'));
    for (const step of result.steps) if (step.objectId) kept.add(step.objectId);
  });

  it('undoes a create whose job ends ERROR, and the run is found by its search attributes', async () => {
    const handle = await nseFlow.startOperation(hostgroupOperation('fail-cluster-hg', POLL));
    runs.push({ workflowId: handle.workflowId, outcome: 'failure' });
    const error = await nseFlow.result(handle.workflowId).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RunFailedError);
    expect((error as RunFailedError).failureType).toBe('NseJobFailed');
    const { events } = await sim.ledger();
    const created = events.find((e) => e.kind === 'create' && e.name === 'fail-cluster-hg');
    expect(events.filter((e) => e.id === created?.id).map((e) => e.kind)).toEqual(['create', 'delete']);
    // SQL visibility with the Nse* attributes deploy/create-namespace.sh registered.
    await waitFor('the failed run in visibility', async () => {
      const found = await nseFlow.list(`NseJobState = 'ERROR' AND NseObjectType = 'hostgroup'`);
      return found.some((run) => run.workflowId === handle.workflowId);
    });
  });

  it('finishes every run when a worker is killed mid-run and the other takes over', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `long-kill-${i}`);
    const started = await Promise.all(names.map((name) => operationRun(name)));
    await untilPolled(names, 2);
    // The victim: the worker that has taken tasks of the most runs so far (both poll the same task queue).
    const firstWorkers = await Promise.all(started.map((run) => taskWorkers(run.workflowId)));
    const pids = cluster.workers.map((worker) => worker.process.pid);
    const load = pids.map((pid) => firstWorkers.filter((seen) => seen.has(pid ?? -1)).length);
    const victimIndex = (load[0] ?? 0) >= (load[1] ?? 0) ? 0 : 1;
    const victimPid = pids[victimIndex] ?? -1;
    const victimRuns = load[victimIndex] ?? 0;
    expect(victimRuns).toBeGreaterThan(0);
    await cluster.workers[victimIndex]?.stop('SIGKILL');
    const results = await Promise.all(started.map((run) => run.done));
    expect(results.map((r) => r.job?.state)).toEqual(names.map(() => 'NORMAL'));
    // The survivor finished every run the killed worker had taken tasks of before it died.
    const workersPerRun = await Promise.all(started.map((run) => taskWorkers(run.workflowId)));
    const victimsRuns = workersPerRun.filter((_, i) => firstWorkers[i]?.has(victimPid));
    expect(victimsRuns).toHaveLength(victimRuns);
    for (const seen of victimsRuns) expect([...seen].sort()).toEqual([...pids].sort());
    await cluster.startWorker(victimIndex);
  });

  it('finishes every run when the Temporal server is killed mid-run and started again', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `long-restart-${i}`);
    const started = await Promise.all(names.map((name) => operationRun(name)));
    await untilPolled(names, 2);
    await cluster.restartServer(true);
    const results = await Promise.all(started.map((run) => run.done));
    expect(results.map((r) => r.job?.state)).toEqual(names.map(() => 'NORMAL'));
  });

  it('leaves the ledger with 0 lost, 0 duplicates and 0 orphans', async () => {
    const ledger = await sim.ledger();
    expect(duplicates(ledger)).toEqual([]);
    const live = ledger.resources.filter((r) => r.deleted === undefined).map((r) => r.id);
    const lost = [...kept].filter((id) => !live.includes(id));
    const orphans = live.filter((id) => !kept.has(id));
    expect({ lost, orphans }).toEqual({ lost: [], orphans: [] });
    // Every run this suite started is closed, as its test expected.
    for (const run of runs) {
      const { status } = await temporal.workflow.getHandle(run.workflowId).describe();
      expect([run.workflowId, status.name]).toEqual([
        run.workflowId,
        run.outcome === 'success' ? 'COMPLETED' : 'FAILED',
      ]);
    }
  });
});
