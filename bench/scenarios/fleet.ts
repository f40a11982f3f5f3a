/**
 * Fleet F1–F3: many runs in flight on one worker, as NSE and the worker see them.
 *
 * `runs` operation runs whose jobs never end (rule `states: [RUNNING]`) start on a worker of their own (same bundle,
 * activities and options, its workflow cache sized to hold them all), each polling every `pollIntervalMs` ±20%.
 * Once every run has read its job once:
 * - F1, request rate: the simulator counts API requests per second (`GET /_sim/request-rate`); over `windowMs` the
 *   peak second and the mean are compared with the fleet's demand (runs ÷ interval) and, once a budget exists,
 *   with the budget;
 * - F2, 429 at overload: the fleet's requests get a `rateLimit` of (F1's measured mean ÷ `overload`) per second,
 *   so the fleet asks `overload` × what NSE admits; over `limitWindowMs` the 429 answers are counted;
 * - F3, memory: the worker process's RSS with every run cached, against its RSS before the fleet.
 * The runs are left running: the fleet is the bench's last section and the stack's clean-up stops the server.
 * @module
 */
import type { FleetProfile } from '../fleet-profile';
import { foreignMs, meterDelta, type Bench } from '../harness';
import { hostgroupInput } from '../inputs';
import { collectGarbage, rssBytes } from '../proc';
import { median, percentile } from '../stats';
import type { RequestRateReport } from '../../simulator/request-rate';
import type { SimRule } from '../../simulator/rules';

export interface RateWindow {
  seconds: number;
  requests: number;
  meanPerSecond: number;
  peakPerSecond: number;
  p99PerSecond: number;
  tooMany: number;
  /** The most requests admitted (not answered 429) in one second. */
  peakAdmittedPerSecond: number;
}

export interface FleetResult {
  runs: number;
  pollIntervalMs: number;
  pollMode: string;
  /** NSE activities per second the fleet's worker may start, if a budget was set. */
  budget: number | undefined;
  /** runs ÷ interval: what the fleet asks of NSE. */
  demandPerSecond: number;
  startSeconds: number;
  /** Start of the first run to every run having read its job once (with a budget: having been cached). */
  settleSeconds: number;
  /** Runs that had read their job once when the count window began. */
  readTheirJob: number;
  failedStarts: number;
  rate: RateWindow;
  /** The rate the simulator admitted in F2, and what it saw. */
  limitPerSecond: number;
  limited: RateWindow;
  cachedWorkflows: number;
  idleRssMiB: number;
  loadedRssMiB: number;
  perRunMiB: number;
  /** Cores used during the F1 window. */
  workerCores: number;
  serverCores: number;
  foreignCores: number;
}

const MiB = 2 ** 20;

function rateWindow(report: RequestRateReport, seconds: number): RateWindow {
  const counts = report.seconds.map((s) => s.requests);
  // Seconds without a request are absent from the report; they count as 0 in the percentiles.
  const padded = [...counts, ...Array<number>(Math.max(0, Math.round(seconds) - counts.length)).fill(0)];
  return {
    seconds,
    requests: report.requests,
    meanPerSecond: report.requests / seconds,
    peakPerSecond: report.peak?.requests ?? 0,
    p99PerSecond: percentile(padded, 99),
    tooMany: report.tooMany,
    peakAdmittedPerSecond: Math.max(0, ...report.seconds.map((s) => s.requests - s.tooMany)),
  };
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > giveUpAt) throw new Error(`fleet: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // re-check interval of a condition
  }
}

async function sampleRss(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 500)); // spacing between samples
    collectGarbage();
    samples.push(rssBytes());
  }
  return median(samples);
}

/** Waits `ms` and returns the simulator's request counts of that window. */
async function countWindow(bench: Bench, ms: number): Promise<{ report: RequestRateReport; seconds: number }> {
  // Whole seconds of the simulator's clock, so the first and last are not partial.
  const from = Math.ceil(Date.now() / 1000) * 1000;
  const to = from + Math.round(ms / 1000) * 1000;
  await new Promise((resolve) => setTimeout(resolve, to + 200 - Date.now())); // the window itself
  return { report: await bench.simRequestRate(from, to), seconds: (to - from) / 1000 };
}

export async function measureFleet(bench: Bench, fleet: FleetProfile): Promise<FleetResult> {
  const namePrefix = `fleet-${bench.runTag}-`;
  const neverEnds: SimRule = { match: { method: 'POST', name: namePrefix }, states: ['RUNNING'] };
  await bench.setRules([neverEnds]);
  const worker = await bench.startWorker(
    `nse-flow-bench-fleet-${bench.runTag}`,
    undefined,
    fleet.runs + 100,
    fleet.budget,
  );
  const status = (): ReturnType<Bench['worker']['main']['getStatus']> => worker.worker.main.getStatus();
  await bench.starter.run(
    [{ workflowType: 'baselineWorkflow', workflowId: `bench-fleetwarm-${bench.runTag}`, args: [] }],
    {
      taskQueue: worker.taskQueue,
    },
  );
  const idle = await sampleRss();

  const poll = {
    mode: fleet.pollMode,
    initialIntervalMs: fleet.pollIntervalMs,
    maxIntervalMs: fleet.pollIntervalMs,
    backoffCoefficient: 1,
    jitterRatio: 0.2,
    timeoutMs: 24 * 3_600_000,
  };
  const t0 = Date.now();
  const outcomes = await bench.starter.run(
    Array.from({ length: fleet.runs }, (_, i) => ({
      workflowType: 'nseOperationWorkflow',
      workflowId: `bench-${namePrefix}${i}`,
      args: [hostgroupInput(`${namePrefix}${i}`, poll)],
    })),
    { wait: false, startConcurrency: 32, taskQueue: worker.taskQueue },
  );
  const startSeconds = (Date.now() - t0) / 1000;
  bench.log(`  fleet: ${fleet.runs} runs started in ${startSeconds.toFixed(0)} s`);
  let polled = 0;
  const readTheirJob = async (): Promise<boolean> => {
    polled = (await bench.simJobs(namePrefix)).filter((job) => job.reads > 0).length;
    return polled >= fleet.runs;
  };
  // With a budget below the fleet's demand the fleet never settles: submits and reads of accepted jobs share the
  // budget, so the later submits wait their turn behind reads. The window starts once every run had its first
  // workflow task (it is cached, waiting for its submit or a read).
  if (fleet.budget === undefined) await waitUntil(`${fleet.runs} runs to read their job`, 900_000, readTheirJob);
  else {
    await waitUntil(`${fleet.runs} runs cached`, 900_000, () => status().numCachedWorkflows >= fleet.runs);
    await readTheirJob();
  }
  const settleSeconds = (Date.now() - t0) / 1000;
  bench.log(
    `  fleet: ${polled} of ${fleet.runs} runs have read their job after ${settleSeconds.toFixed(0)} s; ` +
      `counting ${fleet.windowMs / 1000} s`,
  );

  const loaded = await sampleRss();
  const cachedWorkflows = status().numCachedWorkflows;
  const before = bench.meter();
  const steady = await countWindow(bench, fleet.windowMs);
  const cpu = meterDelta(before, bench.meter());
  const rate = rateWindow(steady.report, steady.seconds);
  bench.log(
    `  fleet: NSE saw ${rate.meanPerSecond.toFixed(1)} requests/s (peak ${rate.peakPerSecond}); RSS ` +
      `${(loaded / MiB).toFixed(0)} MiB with ${cachedWorkflows} cached`,
  );

  // Without a budget NSE admits the fleet's measured rate ÷ overload; with one, NSE admits exactly the budget while the
  // fleet asks demand ÷ budget times as much (the profile sets runs and interval for that ratio).
  const limitPerSecond = fleet.budget ?? Math.max(1, Math.round(rate.meanPerSecond / fleet.overload));
  // One bucket for the fleet's submits and its job reads (a GET of a job matches the rule by the job's name).
  const limit = { rateLimit: { perSecond: limitPerSecond, bucket: 'fleet' } };
  await bench.setRules([
    { ...neverEnds, faults: limit },
    { match: { name: namePrefix }, faults: limit },
  ]);
  const limitedWindow = await countWindow(bench, fleet.limitWindowMs);
  const limited = rateWindow(limitedWindow.report, limitedWindow.seconds);
  await bench.setRules([neverEnds]);
  bench.log(`  fleet: at ${fleet.overload}x overload (${limitPerSecond}/s admitted), ${limited.tooMany} answers 429`);

  return {
    runs: fleet.runs,
    pollIntervalMs: fleet.pollIntervalMs,
    pollMode: fleet.pollMode,
    budget: fleet.budget,
    demandPerSecond: fleet.runs / (fleet.pollIntervalMs / 1000),
    startSeconds,
    settleSeconds,
    readTheirJob: polled,
    failedStarts: outcomes.filter((o) => o.failure).length,
    rate,
    limitPerSecond,
    limited,
    cachedWorkflows,
    idleRssMiB: idle / MiB,
    loadedRssMiB: loaded / MiB,
    perRunMiB: (loaded - idle) / MiB / Math.max(1, cachedWorkflows),
    workerCores: cpu.workerProcessMs / cpu.wallMs,
    serverCores: cpu.serverMs / cpu.wallMs,
    foreignCores: foreignMs(cpu) / cpu.wallMs,
  };
}
