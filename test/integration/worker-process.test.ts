/**
 * `nse-flow worker` as operators run it: a child process (bin/nse-flow.js) against the test dev server and a
 * simulator. Bad config exits 2 with one line; --print-config masks secrets; while running, /healthz and /readyz
 * answer and the Prometheus endpoint exports the SDK's and nse-flow's metrics; SIGTERM drains an in-flight activity
 * and the process exits 0 with a `worker stopped` JSON line. The worker joins a deployment of its own with the build
 * id derived from its bundle, and takes runs once the test made that build current, as an operator's rollout does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { freePort } from '../../tools/dev/ports';
import { buildIdFor, setCurrentVersion } from '../../src/deployment';
import { MetricName } from '../../src/shared/metric-names';
import { NseClient } from '../../src/nse/client';
import type { OperationInput } from '../../src/shared/workflow-api';
import type { nseOperationWorkflow } from '../../src/workflows';
import { waitFor } from '../helpers/scenario';
import { startSimulator, type RunningSimulator } from '../helpers/simulator';
import { settle, testAddress, uniqueTaskQueue } from '../helpers/temporal';
import { hostgroupOperation } from '../helpers/fixtures';

jest.setTimeout(180_000);

const CLI = path.join(__dirname, '..', '..', 'bin', 'nse-flow.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-process-'));

interface CliProcess {
  child: ChildProcess;
  /** stdout lines, parsed when JSON. */
  lines: (Record<string, unknown> | string)[];
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runCli(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lines: CliProcess['lines'] = [];
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    partial += chunk.toString('utf8');
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete.filter((l) => l.trim())) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push(line);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, stderr: () => err, stdout: () => out, exited };
}

async function httpGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const response = await fetch(url);
    return { status: response.status, body: await response.text() };
  } catch {
    return undefined; // not listening (yet)
  }
}

describe('nse-flow worker configuration', () => {
  it('exits 2 with one line naming a bad variable, without a stack trace', async () => {
    const cli = runCli(['worker'], { NSE_USERNAME: 'svc', NSE_PASSWORD: 'pw', NSE_TIMEOUT_MS: 'soon' });
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    const lines = cli.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^nse-flow: configuration: NSE_TIMEOUT_MS: /);
    expect(cli.stdout()).toBe('');
  });

  it('--print-config shows the effective config with every secret masked', async () => {
    const codecKey = randomBytes(32).toString('base64');
    const secrets = {
      NSE_PASSWORD: 'pw-Secret-1',
      TEMPORAL_API_KEY: 'api-Secret-2',
      NSE_FLOW_CODEC_KEYS: `k1:${codecKey}`,
    };
    const cli = runCli(['worker', '--print-config'], {
      NSE_USERNAME: 'svc',
      ...secrets,
      NSE_FLOW_METRICS_PORT: '9464',
    });
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    for (const secret of ['pw-Secret-1', 'api-Secret-2', codecKey]) expect(cli.stdout()).not.toContain(secret);
    expect(JSON.parse(cli.stdout())).toMatchObject({
      temporal: { address: 'localhost:7233', connection: { apiKey: '****', tls: true } },
      nse: { auth: { username: 'svc', password: '****' } },
      codec: { activeKeyId: 'k1', keys: [{ id: 'k1', key: '****' }] },
      metrics: { port: 9464 },
      health: { port: 9465 },
    });
  });
});

describe('a running nse-flow worker process', () => {
  let sim: RunningSimulator;
  let worker: CliProcess;
  let connection: Connection;
  let client: Client;
  let taskQueue: string;
  let metricsUrl: string;
  let healthUrl: string;
  const started: WorkflowHandle[] = [];
  const deploymentName = `nse-flow-process-${randomUUID().slice(0, 8)}`;
  const buildId = buildIdFor(readFileSync(process.env.TEMPORAL_TEST_BUNDLE as string, 'utf8'));

  beforeAll(async () => {
    sim = await startSimulator({
      rules: [
        { match: { method: 'POST', name: 'proc-adopt' }, faults: { dropAfterProcessing: { times: 1 } } },
        // A firewall's 403 on the first read of the job: counted as a read error, and the run goes on.
        { match: { path: '/v2.1/jobs/:id', name: 'proc-read-fault' }, faults: { http403Html: { times: 1 } } },
        // Moves one step every second read: the drain test's read holds until the test itself reads the job.
        { match: { method: 'POST', name: 'proc-drain' }, states: ['RUNNING', 'NORMAL'], advance: { perRead: 2 } },
      ],
    });
    taskQueue = uniqueTaskQueue('process');
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    healthUrl = `http://127.0.0.1:${healthPort}`;
    connection = await Connection.connect({ address: testAddress() });
    client = new Client({ connection });
    worker = runCli(['worker'], {
      TEMPORAL_ADDRESS: testAddress(),
      NSE_BASE_URL: sim.url,
      NSE_USERNAME: sim.username,
      NSE_PASSWORD: sim.password,
      NSE_FLOW_TASK_QUEUE: taskQueue,
      NSE_FLOW_METRICS_PORT: String(metricsPort),
      NSE_FLOW_HEALTH_PORT: String(healthPort),
      NSE_FLOW_METRICS_HOST: '127.0.0.1',
      NSE_FLOW_WORKFLOW_BUNDLE: process.env.TEMPORAL_TEST_BUNDLE as string,
      NSE_FLOW_DEPLOYMENT: deploymentName,
      NSE_FLOW_SHUTDOWN_GRACE_MS: '120000', // far longer than the drain needs: the activity must finish, not be cut off
      LOG_LEVEL: 'info',
    });
    await waitFor(
      'the worker to be ready',
      async () => {
        const exit = await Promise.race([worker.exited, Promise.resolve(undefined)]);
        if (exit)
          throw new Error(`worker exited early: ${JSON.stringify(exit)}\n${worker.stderr()}\n${worker.stdout()}`);
        return (await httpGet(`${healthUrl}/readyz`))?.status === 200 ? true : undefined;
      },
      120_000,
    );
    await setCurrentVersion(connection, 'default', { deploymentName, buildId });
  });
  afterAll(async () => {
    for (const handle of started) await handle.terminate('test over').catch(() => undefined);
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
    await connection?.close();
    await sim?.close();
  });

  async function start(input: OperationInput): Promise<WorkflowHandle<typeof nseOperationWorkflow>> {
    const handle = await client.workflow.start<typeof nseOperationWorkflow>('nseOperationWorkflow', {
      taskQueue,
      workflowId: `proc-${randomUUID()}`,
      args: [input],
    });
    started.push(handle);
    return handle;
  }

  it('answers /healthz and /readyz while running', async () => {
    expect(await httpGet(`${healthUrl}/healthz`)).toEqual({
      status: 200,
      body: JSON.stringify({ status: 'ok', workerState: 'RUNNING' }),
    });
    expect(await httpGet(`${healthUrl}/readyz`)).toEqual({
      status: 200,
      body: JSON.stringify({ status: 'ready', workerState: 'RUNNING' }),
    });
    const startedLine = worker.lines.find((l) => typeof l === 'object' && l.msg === 'worker started');
    expect(startedLine).toMatchObject({ taskQueue, metrics: metricsUrl, health: healthUrl, encryption: 'off' });
    expect(startedLine).toMatchObject({ deployment: deploymentName, buildId });
    expect(JSON.stringify(worker.lines)).not.toContain(sim.password);
  });

  it("exports the SDK's and nse-flow's metrics on the Prometheus endpoint", async () => {
    const runs = await Promise.all([
      start(hostgroupOperation('proc-ok-hg')),
      start(hostgroupOperation('fail-proc-hg')),
      start(hostgroupOperation('proc-adopt-hg')),
      start(hostgroupOperation('proc-read-fault-hg')),
    ]);
    const outcomes = await Promise.all(runs.map((h) => settle(h)));
    expect(outcomes.map((o) => o.error === undefined)).toEqual([true, false, true, true]);
    const scrape = await waitFor('every metric to be exported', async () => {
      const text = (await httpGet(metricsUrl))?.body ?? '';
      return Object.values(MetricName).every((name) => text.includes(name)) ? text : undefined;
    });
    // The SDK's own worker, workflow and activity metrics share the endpoint.
    for (const name of [
      'temporal_workflow_completed',
      'temporal_workflow_failed',
      'temporal_workflow_task_execution_latency',
      'temporal_activity_execution_latency', // local activities only in poll mode local, not used here
      'temporal_worker_task_slots_available',
    ]) {
      expect(scrape).toContain(`# TYPE ${name} `);
    }
    const sample = (name: string, ...labels: string[]): string | undefined =>
      scrape.split('\n').find((line) => line.startsWith(`${name}{`) && labels.every((label) => line.includes(label)));
    expect(sample(MetricName.JobsCompleted, 'state="NORMAL"', 'operation="create-hostgroup"')).toBeDefined();
    expect(sample(MetricName.JobsCompleted, 'state="ERROR"')).toBeDefined();
    expect(sample(MetricName.Compensations, 'trigger="job-failed"', 'outcome="compensated"')).toBeDefined();
    expect(sample(MetricName.JobPolls, 'poll_mode="activity"')).toBeDefined(); // the default mode
    expect(sample(`${MetricName.JobDuration}_count`, 'state="NORMAL"')).toBeDefined();
    expect(sample(`${MetricName.JobDuration}_bucket`, 'le="3600000"')).toBeDefined(); // buckets sized for long jobs
    expect(sample(MetricName.SubmitAdoptions, 'activityType="submitOperation"')).toBeDefined();
    expect(sample(MetricName.NseRequestErrors, 'error="NseNetworkError"')).toBeDefined();
  });

  it('on SIGTERM stops being ready, lets the in-flight activity finish, and exits 0 logging "worker stopped"', async () => {
    const handle = await start(hostgroupOperation('proc-drain-hg', { mode: 'long-poll', longPollSeconds: 60 }));
    // The long read the simulator is holding: a job read with poll_timeout that has no answer yet.
    const held = await waitFor('a held long-poll read', async () => {
      const reads = await sim.requests('GET', '/v2.1/jobs/:id');
      return reads.find((r) => r.query.poll_timeout !== undefined && r.status === 0);
    });
    worker.child.kill('SIGTERM');
    await waitFor('readiness to drop', async () =>
      (await httpGet(`${healthUrl}/readyz`))?.status === 503 ? true : undefined,
    );
    expect(worker.child.exitCode).toBeNull(); // draining, not gone

    // Reading the job ourselves moves it on, so the held read answers and the activity completes.
    const nse = new NseClient({
      baseUrl: sim.url,
      auth: { kind: 'basic', username: sim.username, password: sim.password },
    });
    try {
      await nse.getJob(held.path.split('/').pop() as string);
    } finally {
      nse.close();
    }
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const messages = worker.lines.map((line) => (typeof line === 'object' ? line.msg : line));
    expect(messages).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight activities', 'worker stopped']),
    );
    expect(worker.lines.find((l) => typeof l === 'object' && l.msg === 'worker stopped')).toMatchObject({
      level: 30,
      signal: 'SIGTERM',
    });
    expect(worker.lines.every((line) => typeof line === 'object')).toBe(true); // JSON only, even while stopping
    expect(worker.stderr()).toBe('');

    // The read that was in flight at SIGTERM completed; nothing failed, timed out or was cancelled.
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'getJob');
    expect(scheduled.length).toBeGreaterThanOrEqual(1);
    const firstRead = scheduled[0]?.eventId?.toString();
    expect(events.some((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === firstRead)).toBe(
      true,
    );
    expect(
      events.filter(
        (e) =>
          e.activityTaskFailedEventAttributes ||
          e.activityTaskTimedOutEventAttributes ||
          e.activityTaskCanceledEventAttributes,
      ),
    ).toEqual([]);
  });
});
