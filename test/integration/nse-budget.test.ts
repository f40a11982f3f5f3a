/**
 * The NSE request budget, priorities and per-tenant fairness on the real dev server (started with
 * `matching.useNewMatcher` and `matching.enableFairness`): NSE activities go to the NSE task queue with a priority
 * and the tenant as fairness key; the server reports the worker's budget as the queue's rate limit, and an API limit
 * overrides it; with a backlog on the NSE queue, a small tenant's calls are dispatched before most of a large tenant's
 * earlier backlog, of submits or of job reads alike. Dispatch order is observed by a worker that takes
 * one NSE activity at a time and records each start; no timing is asserted.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { temporal as proto } from '@temporalio/proto';
import { createActivities } from '../../src/activities';
import { NseClient } from '../../src/nse/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { nseTaskQueue, type OperationInput } from '../../src/shared/workflow-api';
import { NsePriority } from '../../src/workflows/nse-calls';
import { hostgroupOperation } from '../helpers/fixtures';
import { waitFor } from '../helpers/scenario';
import type { RunningSimulator } from '../helpers/simulator';
import { createTestWorker, testBundlePath, type TestTemporal } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const run = promisify(execFile);
const TaskQueueType = proto.api.enums.v1.TaskQueueType;
const RateLimitSource = proto.api.enums.v1.RateLimitSource;

/** One NSE activity start as the recording worker saw it. */
interface Start {
  type: string;
  priorityKey: number | undefined;
  fairnessKey: string | undefined;
}

/** Wraps each NSE activity so it records its start (type and priority) before calling NSE. */
function recording(activities: Record<string, (...args: never[]) => Promise<unknown>>, starts: Start[]): object {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        const { activityType, priority } = Context.current().info;
        starts.push({ type: activityType, priorityKey: priority?.priorityKey, fairnessKey: priority?.fairnessKey });
        return await fn(...args);
      },
    ]),
  );
}

/** A worker on the NSE task queue that runs one NSE activity at a time and records the order it got them in. */
async function recordingNseWorker(
  temporal: TestTemporal,
  sim: RunningSimulator,
  taskQueue: string,
  starts: Start[],
): Promise<{ worker: Worker; nse: NseClient }> {
  const nse = new NseClient({
    baseUrl: sim.url,
    auth: { kind: 'jwt', username: sim.username, password: sim.password },
  });
  const worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue: nseTaskQueue(taskQueue),
    activities: recording(createActivities({ nse }) as never, starts),
    maxConcurrentActivityTaskExecutions: 1,
  });
  return { worker, nse };
}

/** The server's view of the NSE task queue's activity side, with what `report` asks for. */
async function describeNseQueue(
  temporal: TestTemporal,
  taskQueue: string,
  report: { reportStats?: boolean; reportConfig?: boolean },
) {
  return await temporal.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: nseTaskQueue(taskQueue) },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    ...report,
  });
}

/**
 * Waits until the NSE task queue holds `count` tasks, as the server's matcher counts them: a run's describe shows an
 * activity scheduled before the server has queued it (a retry's back-off, the history-to-matching hand-over), so the
 * queue's own backlog is what a recording worker will find.
 */
async function untilQueued(temporal: TestTemporal, taskQueue: string, count: number): Promise<void> {
  await waitFor(
    `${count} NSE calls queued on ${nseTaskQueue(taskQueue)}`,
    async () => {
      const response = await describeNseQueue(temporal, taskQueue, { reportStats: true });
      return Number(response.stats?.approximateBacklogCount ?? 0) >= count ? true : undefined;
    },
    120_000, // generous on a loaded machine: a condition, not a speed
  );
}

function operation(name: string, tenantId: string, extra: Partial<OperationInput> = {}): OperationInput {
  return { ...hostgroupOperation(name, { initialIntervalMs: 500, maxIntervalMs: 500 }), tenantId, ...extra };
}

describe('NSE request budget', () => {
  // Jobs named long-… stay RUNNING, so their runs keep reading them.
  const harness = useTestWorker({
    queue: 'budget',
    per: 'each',
    worker: false,
    simulator: { rules: [{ match: { name: 'long-' }, states: ['RUNNING'] }] },
  });

  /** Starts `inputs` on the harness's queue, each with its own id; terminated by the test's clean-up. */
  const started: WorkflowHandle[] = [];
  async function start(inputs: OperationInput[]): Promise<WorkflowHandle[]> {
    const handles = await Promise.all(
      inputs.map((input) =>
        harness.temporal.client.workflow.start('nseOperationWorkflow', {
          taskQueue: harness.taskQueue,
          workflowId: `budget-${input.input.name as string}-${harness.taskQueue}`,
          args: [input],
        }),
      ),
    );
    started.push(...handles);
    return handles;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((handle) => handle.terminate('test over').catch(() => undefined)));
  });

  it('schedules every NSE call on the NSE task queue with its priority and the tenant as fairness key', async () => {
    const { worker, nse } = await createTestWorker(harness.temporal, harness.sim, harness.taskQueue, 50);
    try {
      await worker.runUntil(async () => {
        const [handle] = await start([
          { ...hostgroupOperation('budget-queue'), poll: { initialIntervalMs: 20, maxIntervalMs: 40 } },
        ]);
        await (handle as WorkflowHandle).result();
        const history = await (handle as WorkflowHandle).fetchHistory();
        const scheduled = (history.events ?? []).flatMap((event) => {
          const attributes = event.activityTaskScheduledEventAttributes;
          return attributes ? [attributes] : [];
        });
        // No poll mode in the input: the job is read by an activity (the default), not a local activity.
        expect(scheduled.map((a) => a.activityType?.name)).toEqual(
          expect.arrayContaining(['submitOperation', 'awaitJobChange']),
        );
        for (const attributes of scheduled) {
          expect(attributes.taskQueue?.name).toBe(nseTaskQueue(harness.taskQueue));
          expect(attributes.priority?.priorityKey).toBe(NsePriority.Call);
          expect(attributes.priority?.fairnessKey).toBe(SIM_FIXTURES.tenantId);
        }
        // The only local activity is the worker scrubbing the run's texts of its secrets: it calls no NSE.
        const localActivities = (history.events ?? []).flatMap((event) => {
          const marker = event.markerRecordedEventAttributes;
          if (marker?.markerName !== 'core_local_activity') return [];
          const data = marker.details?.data?.payloads?.[0]?.data;
          return [(JSON.parse(Buffer.from(data ?? []).toString('utf8')) as { activity_type: string }).activity_type];
        });
        expect(localActivities.filter((type) => type !== 'scrubTexts')).toEqual([]);
      });
    } finally {
      nse.close();
    }
  });

  it("is the NSE queue's rate limit at the server, from the worker; the API's limit overrides it", async () => {
    // A budget of 14 in any second is a server rate of 7 per second (its limiter bursts one second's worth).
    const { worker, nse } = await createTestWorker(harness.temporal, harness.sim, harness.taskQueue, 14);
    const describe = async (): Promise<{ rps: number; source: number; perTenant: number | undefined }> => {
      const response = await describeNseQueue(harness.temporal, harness.taskQueue, { reportConfig: true });
      const limit = response.effectiveRateLimit;
      const perTenant = response.config?.fairnessKeysRateLimitDefault?.rateLimit?.requestsPerSecond ?? undefined;
      return { rps: limit?.requestsPerSecond ?? Number.NaN, source: limit?.rateLimitSource ?? 0, perTenant };
    };
    try {
      await worker.runUntil(async () => {
        // The server learns the worker's limit from its polls.
        const fromWorker = await waitFor('the worker budget at the server', async () => {
          const limit = await describe();
          return limit.source === RateLimitSource.RATE_LIMIT_SOURCE_WORKER ? limit : undefined;
        });
        expect(fromWorker.rps).toBeCloseTo(7);
        const cli = process.env.TEMPORAL_TEST_CLI as string;
        const address = harness.temporal.address;
        const queue = ['--task-queue', nseTaskQueue(harness.taskQueue), '--task-queue-type', 'activity'];
        await run(cli, ['task-queue', 'config', 'set', '--address', address, ...queue, '--queue-rps-limit', '3']);
        const fromApi = await waitFor('the API limit at the server', async () => {
          const limit = await describe();
          return limit.source === RateLimitSource.RATE_LIMIT_SOURCE_API ? limit : undefined;
        });
        expect(fromApi.rps).toBeCloseTo(3);
        // A per-tenant (fairness key) rate: stored and reported by the server (its effect is not asserted here).
        await run(cli, [
          'task-queue',
          'config',
          'set',
          '--address',
          address,
          ...queue,
          '--fairness-key-rps-limit-default',
          '2',
        ]);
        expect((await describe()).perTenant).toBeCloseTo(2);
      });
    } finally {
      nse.close();
    }
  });

  it("dispatches a small tenant's submits before a large tenant's earlier backlog of job reads", async () => {
    const { worker: pair, nse } = await createTestWorker(harness.temporal, harness.sim, harness.taskQueue);
    const starts: Start[] = [];
    let recorder: { worker: Worker; nse: NseClient } | undefined;
    const large = SIM_FIXTURES.tenantId;
    const small = SIM_FIXTURES.otherTenantId;
    try {
      await pair.main.runUntil(async () => {
        // The large tenant's runs have accepted jobs that stay RUNNING; a first NSE worker submits them, then stops.
        await pair.nse.runUntil(async () => {
          await start(Array.from({ length: 8 }, (_, i) => operation(`long-reader-${i}`, large)));
          await waitFor('the readers to read their jobs', async () => {
            const reads = await harness.sim.requests('GET', '/v2.1/jobs/:id');
            return new Set(reads.map((read) => read.path)).size >= 8 ? true : undefined;
          });
        });
        // With no NSE worker their next reads pile up on the NSE queue, and the small tenant's submits after them.
        await untilQueued(harness.temporal, harness.taskQueue, 8);
        await start([operation('long-small-0', small), operation('long-small-1', small)]);
        await untilQueued(harness.temporal, harness.taskQueue, 10);
        recorder = await recordingNseWorker(harness.temporal, harness.sim, harness.taskQueue, starts);
        const smallStarted = (): number => starts.filter((s) => s.fairnessKey === small).length;
        await recorder.worker.runUntil(
          waitFor('the small tenant to be dispatched', async () => (smallStarted() >= 2 ? true : undefined), 120_000),
        );
      });
      // The small tenant's first two starts (its reads may follow before the worker stops: they are not counted).
      const firstSmall = starts.flatMap((s, index) => (s.fairnessKey === small ? [{ ...s, index }] : [])).slice(0, 2);
      // First in, first out (and reads on a priority before submits, as before) would start them 9th and 10th.
      // Fairness alternates the keys; the worker's concurrent pollers may swap neighbours: both among the first six.
      expect(firstSmall.map((s) => s.type)).toEqual(['submitOperation', 'submitOperation']);
      expect(Math.max(...firstSmall.map((s) => s.index))).toBeLessThan(6);
      expect(starts.slice(0, 6).some((s) => s.type === 'awaitJobChange' && s.fairnessKey === large)).toBe(true);
    } finally {
      nse.close();
      recorder?.nse.close();
    }
  });

  it("dispatches a small tenant's calls before most of a large tenant's earlier backlog", async () => {
    // Workflows only on the main queue: the NSE queue gets its backlog and, later, the recording worker alone.
    const main = await Worker.create({
      connection: harness.temporal.nativeConnection,
      taskQueue: harness.taskQueue,
      workflowBundle: { codePath: testBundlePath() },
    });
    const starts: Start[] = [];
    let recorder: { worker: Worker; nse: NseClient } | undefined;
    const large = SIM_FIXTURES.tenantId;
    const small = SIM_FIXTURES.otherTenantId;
    try {
      await main.runUntil(async () => {
        // The large tenant's burst is on the queue first; the small tenant's two submits come after it.
        await start(Array.from({ length: 16 }, (_, i) => operation(`long-large-${i}`, large)));
        await untilQueued(harness.temporal, harness.taskQueue, 16);
        await start([operation('long-small-0', small), operation('long-small-1', small)]);
        await untilQueued(harness.temporal, harness.taskQueue, 18);
        recorder = await recordingNseWorker(harness.temporal, harness.sim, harness.taskQueue, starts);
        const submitsStarted = (): number => starts.filter((s) => s.type === 'submitOperation').length;
        await recorder.worker.runUntil(
          waitFor('the backlog to be dispatched', async () => (submitsStarted() >= 18 ? true : undefined), 120_000),
        );
      });
      const submits = starts.filter((s) => s.type === 'submitOperation').slice(0, 18);
      const smallAt = submits.flatMap((s, index) => (s.fairnessKey === small ? [index] : []));
      // First in, first out would dispatch them 17th and 18th. Fairness alternates the keys (LSLSLLL…), but the
      // worker's concurrent pollers may start neighbouring tasks in either order (LLSLS… was seen): both among the
      // first eight is what no first-in-first-out queue does.
      expect(smallAt).toHaveLength(2);
      expect(Math.max(...smallAt)).toBeLessThan(8);
    } finally {
      recorder?.nse.close();
    }
  });
});
