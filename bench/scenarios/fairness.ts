/**
 * Fleet F4, fairness: how much a large tenant's burst delays a small tenant's runs.
 *
 * The small tenant (Globex) starts `smallRuns` runs, one every `smallSpacingMs`, whose jobs turn NORMAL 2 s after
 * NSE accepted them (`advance: { everyMs: 1000 }`, wall clock), polled every second. Once alone, once while the
 * large tenant (Acme) starts `burst` runs at once (jobs that end after 10 s, polled every 5 s). For each small run:
 * - submit delay: the start call to NSE accepting the job (the simulator's `created`);
 * - reaction delay: the job turning NORMAL at NSE (its `updated`) to the first read that saw it.
 * The figure is each delay's p99 with the burst over its p99 alone. The submit delay is split into its stages from each
 * run's history ({@link SUBMIT_STAGES}), to say where the small tenant waits.
 * @module
 */
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import type { FleetProfile } from '../fleet-profile';
import type { Bench } from '../harness';
import { eventMs, readRuns, type RunRecord } from '../history';
import { ACME, GLOBEX, hostgroupInput, pollEverySecond } from '../inputs';
import { percentile } from '../stats';
import type { RunOutcome } from '../starter';

/**
 * The stages of a submit delay, each ending at an instant of the run's history (or NSE's `created`): the start call
 * answered by the server, the first workflow task picked up (the workflow task queue), the submit activity scheduled
 * (the worker's first task), the submit picked up (the NSE queue: budget and fairness keys), NSE accepting the POST.
 */
export const SUBMIT_STAGES = ['start', 'workflow task queue', 'first task', 'NSE queue', 'POST'] as const;
export type SubmitStage = (typeof SUBMIT_STAGES)[number];

export interface DelayFigures {
  runs: number;
  /** p50 and p99 (ms) of each stage of the submit delay. */
  submitStages: Record<SubmitStage, { p50Ms: number; p99Ms: number }>;
  submitP50Ms: number;
  submitP99Ms: number;
  reactionP50Ms: number;
  reactionP99Ms: number;
  failures: number;
}

/** The workflow task queue's backlog at the server's matcher during the burst (its normal queue; sticky queues aside). */
export interface BacklogSample {
  /** Most tasks waiting for a poller in one sample. */
  maxCount: number;
  /** Oldest task waiting for a poller in any sample (ms). */
  maxAgeMs: number;
  samples: number;
}

export interface FairnessResult {
  /** The fairness worker's NSE request budget, if any. */
  budget: number | undefined;
  /** The workflow task queue's backlog while the burst and the small tenant's runs were started. */
  workflowBacklog: BacklogSample;
  alone: DelayFigures;
  withBurst: DelayFigures;
  burst: number;
  burstFailures: number;
  /** p99 with the burst ÷ p99 alone. */
  submitP99Ratio: number;
  reactionP99Ratio: number;
}

/** The instants ending each stage of one run's submit, or undefined when its history lacks one. */
function submitInstants(run: RunRecord, startCalledAt: number, created: number): number[] | undefined {
  const firstTask = run.events.find((e) => e.workflowTaskStartedEventAttributes);
  const scheduled = run.events.find((e) => e.activityTaskScheduledEventAttributes);
  const id = scheduled?.eventId;
  const started = run.events.find(
    (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === id?.toString(),
  );
  if (!firstTask || !scheduled || !started) return undefined;
  return [startCalledAt, run.startMs, eventMs(firstTask), eventMs(scheduled), eventMs(started), created];
}

async function smallTenantDelays(bench: Bench, outcomes: RunOutcome[], namePrefix: string): Promise<DelayFigures> {
  const jobs = new Map((await bench.simJobs(namePrefix)).map((job) => [job.objectName, job]));
  const runs = new Map(
    (
      await readRuns(
        bench.client,
        outcomes.map((_, i) => `bench-${namePrefix}${i}`),
      )
    ).map((r) => [r.workflowId, r]),
  );
  const submit: number[] = [];
  const reaction: number[] = [];
  const stages: number[][] = SUBMIT_STAGES.map(() => []);
  outcomes.forEach((outcome, i) => {
    const job = jobs.get(`${namePrefix}${i}`);
    if (!job) return;
    submit.push(job.created - outcome.startCalledAt);
    if (job.firstTerminalAt !== undefined) reaction.push(job.firstTerminalAt - job.updated);
    const run = runs.get(`bench-${namePrefix}${i}`);
    const instants = run && submitInstants(run, outcome.startCalledAt, job.created);
    instants?.slice(1).forEach((at, stage) => stages[stage]?.push(at - (instants[stage] as number)));
  });
  const submitStages = Object.fromEntries(
    SUBMIT_STAGES.map((name, stage) => [
      name,
      { p50Ms: percentile(stages[stage] ?? [], 50), p99Ms: percentile(stages[stage] ?? [], 99) },
    ]),
  ) as DelayFigures['submitStages'];
  return {
    runs: outcomes.length,
    submitStages,
    submitP50Ms: percentile(submit, 50),
    submitP99Ms: percentile(submit, 99),
    reactionP50Ms: percentile(reaction, 50),
    reactionP99Ms: percentile(reaction, 99),
    failures: outcomes.filter((o) => o.failure).length,
  };
}

/**
 * Samples the workflow task queue's backlog at the matcher (`describeTaskQueue` with stats) every 250 ms until
 * `done` settles. A first workflow task waits there for a poller; before that it waits in the history service's
 * transfer queue, which no sample sees: a stage wait well above the backlog's age was spent before matching.
 */
async function sampleWorkflowBacklog(bench: Bench, taskQueue: string, done: Promise<unknown>): Promise<BacklogSample> {
  let settled = false;
  // Settled either way; the caller awaits `done` itself and sees its failure.
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  const sample: BacklogSample = { maxCount: 0, maxAgeMs: 0, samples: 0 };
  while (!settled) {
    const response = await bench.client.workflowService.describeTaskQueue({
      namespace: bench.client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: proto.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      reportStats: true,
    });
    const stats = response.stats;
    sample.maxCount = Math.max(sample.maxCount, Number(stats?.approximateBacklogCount ?? 0));
    sample.maxAgeMs = Math.max(sample.maxAgeMs, tsToMs(stats?.approximateBacklogAge));
    sample.samples += 1;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return sample;
}

export async function measureFairness(bench: Bench, fleet: FleetProfile): Promise<FairnessResult> {
  const largePrefix = `fair-l-${bench.runTag}-`;
  // With a budget the runs read in `activity` mode on a worker of their own whose NSE queue has that budget, so the
  // burst waits in the queue that carries the tenants' fairness keys; without one, on the main worker in `local`.
  const budget = fleet.fairnessBudget ?? fleet.budget;
  const worker =
    budget === undefined
      ? undefined
      : await bench.startWorker(`nse-flow-bench-fair-${bench.runTag}`, undefined, undefined, budget);
  const mode = budget === undefined ? 'local' : 'activity';
  const queue = worker === undefined ? {} : { taskQueue: worker.taskQueue };
  await bench.setRules([
    {
      match: { method: 'POST', name: `fair-s-${bench.runTag}-` },
      states: ['RUNNING', 'NORMAL'],
      advance: { everyMs: 1000 },
    },
    { match: { method: 'POST', name: largePrefix }, states: ['RUNNING', 'NORMAL'], advance: { everyMs: 5000 } },
  ]);
  const smallBatch = (block: string): { prefix: string; run: Promise<RunOutcome[]> } => {
    const prefix = `fair-s-${bench.runTag}-${block}-`;
    const run = bench.starter.run(
      Array.from({ length: fleet.smallRuns }, (_, i) => ({
        workflowType: 'nseOperationWorkflow',
        workflowId: `bench-${prefix}${i}`,
        args: [hostgroupInput(`${prefix}${i}`, pollEverySecond(mode), GLOBEX)],
      })),
      { spacingMs: fleet.smallSpacingMs, ...queue },
    );
    return { prefix, run };
  };

  const quiet = smallBatch('alone');
  const alone = await smallTenantDelays(bench, await quiet.run, quiet.prefix);
  bench.log(`  fairness alone: submit p99 ${alone.submitP99Ms} ms, reaction p99 ${alone.reactionP99Ms} ms`);

  const burstRuns = bench.starter.run(
    Array.from({ length: fleet.burst }, (_, i) => ({
      workflowType: 'nseOperationWorkflow',
      workflowId: `bench-${largePrefix}${i}`,
      args: [
        hostgroupInput(
          `${largePrefix}${i}`,
          pollEverySecond(mode, { initialIntervalMs: 5000, maxIntervalMs: 5000 }),
          ACME,
        ),
      ],
    })),
    { startConcurrency: 64, ...queue },
  );
  const busy = smallBatch('burst');
  const both = Promise.all([burstRuns, busy.run]);
  const workflowBacklog = await sampleWorkflowBacklog(bench, worker?.taskQueue ?? bench.taskQueue, both);
  const [burstOutcomes, busyOutcomes] = await both;
  const withBurst = await smallTenantDelays(bench, busyOutcomes, busy.prefix);
  bench.log(
    `  fairness with a burst of ${fleet.burst}: submit p99 ${withBurst.submitP99Ms} ms, reaction p99 ${withBurst.reactionP99Ms} ms`,
  );
  bench.log(
    `  workflow task queue at the matcher during the burst: at most ${workflowBacklog.maxCount} tasks waiting, ` +
      `the oldest ${Math.round(workflowBacklog.maxAgeMs)} ms (${workflowBacklog.samples} samples)`,
  );
  await worker?.stop();
  return {
    budget,
    workflowBacklog,
    alone,
    withBurst,
    burst: fleet.burst,
    burstFailures: burstOutcomes.filter((o) => o.failure).length,
    submitP99Ratio: withBurst.submitP99Ms / alone.submitP99Ms,
    reactionP99Ratio: withBurst.reactionP99Ms / alone.reactionP99Ms,
  };
}
