/**
 * 5. Memory: the worker process's RSS with many runs polling at once, and per cached workflow.
 *
 * The runs' jobs never end (rule `states: [RUNNING]`). Once every run has submitted, read its job and sits in the
 * worker's workflow cache waiting on its poll timer, RSS is sampled and compared with the idle RSS just before. The
 * runs poll every 30 s here, not every second: the cache holds a run between polls whatever the interval, and a 1 s
 * interval for this many runs would exceed the dev server's throughput (see figure 2) and measure its backlog
 * instead. Then as many `baselineSleepWorkflow` runs (same bundle, nothing but a timer) are cached on top, for
 * comparison. The runs go to a worker of their own (same bundle and options as the main one), which is stopped
 * after the runs are terminated.
 * @module
 */
import type { Bench } from '../harness';
import { hostgroupInput } from '../inputs';
import type { Profile } from '../profile';
import { collectGarbage, rssBytes } from '../proc';
import { median } from '../stats';

export interface MemoryResult {
  runs: number;
  cachedWorkflows: number;
  /** Jobs the simulator answered at least one read for. */
  polledRuns: number;
  idleRssMiB: number;
  loadedRssMiB: number;
  /** (loaded - idle) / cached workflows, in MiB (the SDK documents about 1 MB per cached workflow). */
  perCachedWorkflowMiB: number;
  /** The same for `baselineSleepWorkflow` runs cached on top: the share a run's own state has in the figure above. */
  perCachedSleeperMiB: number;
  /** Main-thread V8 heap growth (activity bookkeeping), MiB: part of the RSS growth; the simulator has its own heap. */
  mainHeapDeltaMiB: number;
  /** Time to start every run and see it cached and polled, s. */
  settleSeconds: number;
}

const MiB = 2 ** 20;
const POLL_30S = {
  mode: 'local',
  initialIntervalMs: 30_000,
  maxIntervalMs: 30_000,
  backoffCoefficient: 1,
  jitterRatio: 0,
} as const;

async function sampleRss(samples = 5, everyMs = 400): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, everyMs)); // spacing between samples
    collectGarbage();
    rss.push(rssBytes());
    heap.push(process.memoryUsage().heapUsed);
  }
  return { rss: median(rss), heap: median(heap) };
}

async function waitUntil(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`memory scenario: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250)); // re-check interval of a condition
  }
}

export async function measureMemory(bench: Bench, profile: Profile): Promise<MemoryResult> {
  const { runs } = profile.memory;
  // A worker of its own: terminated runs stay in a worker's cache until evicted, and thousands of them would slow
  // the main worker's garbage collection for every later scenario. Stopping this worker frees them.
  const memory = await bench.startWorker(`nse-flow-bench-memory-${bench.runTag}`);
  const taskQueue = memory.taskQueue;
  const status = (): ReturnType<Bench['worker']['main']['getStatus']> => memory.worker.main.getStatus();
  const quiet = (): Promise<void> =>
    waitUntil('the worker to go quiet', 30_000, () => status().numInFlightWorkflowActivations === 0);
  const names = Array.from({ length: runs }, (_, i) => `mem-${bench.runTag}-${i}`);
  const sleeperIds = Array.from({ length: runs }, (_, i) => `bench-sleep-${bench.runTag}-${i}`);
  try {
    // One run first, so the new worker's workflow context is set up before the idle reading.
    await bench.starter.run(
      [{ workflowType: 'baselineWorkflow', workflowId: `bench-memwarm-${bench.runTag}`, args: [] }],
      {
        taskQueue,
      },
    );
    await waitUntil('the worker cache to empty', 60_000, () => status().numCachedWorkflows === 0);
    const idle = await sampleRss();
    const t0 = Date.now();
    await bench.starter.run(
      names.map((name) => ({
        workflowType: 'nseOperationWorkflow',
        workflowId: `bench-${name}`,
        args: [hostgroupInput(name, POLL_30S)],
      })),
      { wait: false, startConcurrency: 16, taskQueue },
    );
    const polled = async (): Promise<number> =>
      (await bench.simJobs(`mem-${bench.runTag}-`)).filter((job) => job.reads > 0).length;
    await waitUntil(`${runs} runs to poll their job`, 30_000 + runs * 200, async () => (await polled()) >= runs);
    // A run is cached from its first task; wait until each has also finished the task after its first read.
    await quiet();
    const settleSeconds = (Date.now() - t0) / 1000;
    const loaded = await sampleRss();
    const cachedWorkflows = status().numCachedWorkflows;

    // The same number of runs that only sleep, on top: what a cached run costs with no state of its own.
    await bench.starter.run(
      sleeperIds.map((workflowId) => ({ workflowType: 'baselineSleepWorkflow', workflowId, args: [] })),
      { wait: false, startConcurrency: 16, taskQueue },
    );
    await waitUntil(
      `${runs} sleeping runs to be cached`,
      30_000 + runs * 100,
      () => status().numCachedWorkflows >= cachedWorkflows + runs,
    );
    await quiet();
    const withSleepers = await sampleRss();
    const sleepers = status().numCachedWorkflows - cachedWorkflows;
    return {
      runs,
      cachedWorkflows,
      polledRuns: await polled(),
      idleRssMiB: idle.rss / MiB,
      loadedRssMiB: loaded.rss / MiB,
      perCachedWorkflowMiB: (loaded.rss - idle.rss) / MiB / cachedWorkflows,
      perCachedSleeperMiB: (withSleepers.rss - loaded.rss) / MiB / sleepers,
      mainHeapDeltaMiB: (loaded.heap - idle.heap) / MiB,
      settleSeconds,
    };
  } finally {
    await bench.starter.terminate([...names.map((name) => `bench-${name}`), ...sleeperIds]);
    await memory.stop();
    bench.log(`  memory: runs terminated and their worker stopped; RSS now ${(rssBytes() / MiB).toFixed(0)} MiB`);
  }
}
