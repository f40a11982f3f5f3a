/**
 * 7. The accepted contract: how long a caller waits from `startOperation` to the NSE job id in hand (update-with-start
 * of the `accepted` update: start, first workflow task, submit activity, update answer), as a ratio to one bare NSE
 * POST of the same call from plain Node. Samples alternate (bare, accepted) so both see the same conditions; one
 * call at a time, so the ratio is latency, not throughput. Each run's history splits its wait into segments by event
 * time (the client, the server and the worker share this machine's clock).
 *
 * The floor is what no design that answers through Temporal can beat: an update-with-start of a workflow that answers
 * in its first task (no activity), plus one bare POST for NSE's own time. `floorRatio` is accepted ÷ floor per sample.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { NseFlowClient } from '../../src/client';
import { buildRequest, findOperation, type OperationSpec } from '../../src/shared/operations';
import { acceptedFloorWorkflow, floorAcceptedUpdate } from '../baseline-workflows';
import type { Bench } from '../harness';
import { eventMs, readRuns, type RunRecord } from '../history';
import { hostgroupInput, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import { median, spread, type Spread } from '../stats';

/** Where the wait goes, in order; each the median over the runs, ms. */
export interface AcceptedSegments {
  /** The start call to the run's started event: gRPC, the server's start and the update's admission. */
  startCall: number;
  /** First workflow task scheduled → picked up by the worker (the worker's poll). */
  firstTaskQueued: number;
  /** First workflow task started → completed: the worker builds the run and runs its first activation. */
  firstTaskRun: number;
  /** Submit activity scheduled → started (its dispatch to the worker). */
  activityQueued: number;
  /** Submit activity started → completed: the NSE POST and the activity's own work. */
  activityRun: number;
  /** The workflow task after the activity, scheduled → started. */
  answerTaskQueued: number;
  /** That task started → completed: the update's answer is sent with its completion. */
  answerTaskRun: number;
  /** The update's completed event → the caller has the answer. */
  answerToCaller: number;
}

export interface AcceptedResult {
  samples: number;
  /** Median ms from the start call to the job id in hand, through nse-flow. */
  acceptedMs: number;
  /** Median ms of one bare NSE POST (plain Node, same client code as the worker's). */
  barePostMs: number;
  /** accepted ÷ bare, per pair of samples. */
  ratio: Spread;
  /** Median ms of the floor: update-with-start answered in the first workflow task, plus one bare POST. */
  floorMs?: number;
  /** accepted ÷ floor, per sample (absent in results recorded before the floor). */
  floor?: Spread;
  /** The median of {@link floor}: `results.accepted.floorRatio` in bench-results/latest.json. */
  floorRatio?: number;
  /** Absent in results recorded before the split. */
  segments?: AcceptedSegments;
}

export async function measureAccepted(bench: Bench, profile: Profile): Promise<AcceptedResult> {
  const nseFlow = new NseFlowClient(bench.client, bench.taskQueue);
  const nse = bench.newNseClient();
  const spec = findOperation('create-hostgroup') as OperationSpec;
  const accepted: number[] = [];
  const bare: number[] = [];
  const floor: number[] = [];
  const calls: { workflowId: string; calledAt: number; answeredAt: number }[] = [];
  try {
    for (let i = 0; i < profile.accepted.samples; i++) {
      const name = `acc-${bench.runTag}-${i}-`;
      const { method, path, body } = buildRequest(spec, hostgroupInput(`${name}bare`, {}).input);
      let begin = performance.now();
      const submitted = await nse.submit(method, path, body);
      bare.push(performance.now() - begin);
      if (submitted.kind !== 'job') throw new Error('accepted scenario: the bare POST answered without a job');
      const calledAt = Date.now();
      begin = performance.now();
      const run = await nseFlow.startOperation(hostgroupInput(`${name}run`, pollEverySecond('local')), {
        workflowId: `bench-${name}run`,
      });
      accepted.push(performance.now() - begin);
      calls.push({ workflowId: run.workflowId, calledAt, answeredAt: Date.now() });
      if (!run.nseJobId) throw new Error('accepted scenario: startOperation returned no job id');
      const second = buildRequest(spec, hostgroupInput(`${name}floor`, {}).input);
      floor.push(
        await floorSample(bench, `bench-${name}floor`, () => nse.submit(second.method, second.path, second.body)),
      );
    }
  } finally {
    nse.close();
  }
  // The runs poll on after answering: let them end, so the next figure counts only its own NSE requests.
  await Promise.all(calls.map((call) => bench.client.workflow.getHandle(call.workflowId).result()));
  const records = await readRuns(
    bench.client,
    calls.map((c) => c.workflowId),
  );
  const split = calls.map((call, i) => segmentsOf(records[i] as RunRecord, call.calledAt, call.answeredAt));
  const segments = Object.fromEntries(
    Object.keys(split[0] ?? {}).map((key) => [key, median(split.map((s) => s[key as keyof AcceptedSegments]))]),
  ) as unknown as AcceptedSegments;
  bench.log(`  accepted: median ${median(accepted).toFixed(0)} ms; segments ${JSON.stringify(segments)}`);
  return {
    samples: accepted.length,
    acceptedMs: median(accepted),
    barePostMs: median(bare),
    ratio: spread(accepted.map((ms, i) => ms / (bare[i] as number))),
    floorMs: median(floor),
    floor: spread(accepted.map((ms, i) => ms / (floor[i] as number))),
    floorRatio: median(accepted.map((ms, i) => ms / (floor[i] as number))),
    segments,
  };
}

/** One floor sample, ms: an update-with-start answered in the run's first task, then one bare POST. */
async function floorSample(bench: Bench, workflowId: string, barePost: () => Promise<unknown>): Promise<number> {
  const begin = performance.now();
  await bench.client.workflow.executeUpdateWithStart(floorAcceptedUpdate, {
    startWorkflowOperation: new WithStartWorkflowOperation(acceptedFloorWorkflow, {
      workflowId,
      taskQueue: bench.taskQueue,
      workflowIdConflictPolicy: 'FAIL',
    }),
  });
  await barePost();
  return performance.now() - begin;
}

/** One run's wait, split at its events (see {@link AcceptedSegments}). */
function segmentsOf(record: RunRecord, calledAt: number, answeredAt: number): AcceptedSegments {
  const events = record.events;
  const at = (index: number): number => (index >= 0 ? eventMs(events[index] as (typeof events)[number]) : Number.NaN);
  const first = (from: number, is: (e: (typeof events)[number]) => boolean): number =>
    events.findIndex((e, i) => i >= from && is(e));
  const scheduled = first(0, (e) => Boolean(e.workflowTaskScheduledEventAttributes));
  const started = first(scheduled, (e) => Boolean(e.workflowTaskStartedEventAttributes));
  const completed = first(started, (e) => Boolean(e.workflowTaskCompletedEventAttributes));
  const activityScheduled = first(0, (e) => Boolean(e.activityTaskScheduledEventAttributes));
  const activityStarted = first(activityScheduled, (e) => Boolean(e.activityTaskStartedEventAttributes));
  const activityCompleted = first(activityScheduled, (e) => Boolean(e.activityTaskCompletedEventAttributes));
  const answerScheduled = first(activityCompleted, (e) => Boolean(e.workflowTaskScheduledEventAttributes));
  const answerStarted = first(answerScheduled, (e) => Boolean(e.workflowTaskStartedEventAttributes));
  const answerCompleted = first(answerStarted, (e) => Boolean(e.workflowTaskCompletedEventAttributes));
  const updateCompleted = first(0, (e) => Boolean(e.workflowExecutionUpdateCompletedEventAttributes));
  return {
    startCall: at(0) - calledAt,
    firstTaskQueued: at(started) - at(scheduled),
    firstTaskRun: at(completed) - at(started),
    activityQueued: at(activityStarted) - at(activityScheduled),
    activityRun: at(activityCompleted) - at(activityStarted),
    answerTaskQueued: at(answerStarted) - at(answerScheduled),
    answerTaskRun: at(answerCompleted) - at(answerStarted),
    answerToCaller: answeredAt - at(updateCompleted),
  };
}
