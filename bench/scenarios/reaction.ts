/**
 * 3. Reaction delay: from the moment the job turns terminal in the simulator to the moment the run closes.
 *
 * Every run gets its own rule `states: [RUNNING, RUNNING, NORMAL]` with `advance: { everyMs }`, `everyMs` drawn
 * from [1000, 2000) ms (seeded), so the job turns NORMAL at `created + 3 * everyMs` (the simulator stores that
 * instant as the job's `updated`) at a random phase of the 1 s poll cycle. The run's close time comes from the
 * server (DescribeWorkflowExecution). The delay splits into waiting for the next read (until the simulator first
 * answered NORMAL, recorded by the benchmark's onSend hook) and processing (from that answer to the close).
 * All three poll modes run at once in each block, so they share the same server conditions.
 * @module
 */
import type { Bench } from '../harness';
import { readRuns } from '../history';
import { hostgroupInput, POLL_INTERVAL_MS, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import { mean, percentile } from '../stats';
import type { SimRule } from '../../simulator/rules';
import { createRng } from '../../simulator/prng';
import type { PollMode } from '../../src/shared/workflow-api';
import { POLL_MODES } from './events';

export interface ReactionSample {
  mode: PollMode;
  everyMs: number;
  /** Close minus the instant the job turned terminal, ms. */
  delayMs: number;
  /** First terminal answer minus the instant the job turned terminal, ms. */
  waitMs: number;
  /** Close minus the first terminal answer, ms. */
  processMs: number;
}

export interface ModeReaction {
  mode: PollMode;
  samples: number;
  meanMs: number;
  p99Ms: number;
  /** Divided by the 1 s poll interval in force. */
  meanIntervals: number;
  p99Intervals: number;
  meanWaitMs: number;
  meanProcessMs: number;
  p99ProcessMs: number;
}

export async function measureReaction(
  bench: Bench,
  profile: Profile,
): Promise<{ modes: ModeReaction[]; samples: ReactionSample[] }> {
  const random = createRng(20_240_601).next; // every benchmark run draws the same phases
  const samples: ReactionSample[] = [];
  for (let block = 0; block < profile.reaction.blocks; block++) {
    const runs: Array<{ mode: PollMode; name: string; everyMs: number; workflowId: string }> = [];
    for (let i = 0; i < profile.reaction.runsPerMode; i++) {
      for (const mode of POLL_MODES) {
        const name = `rx-${bench.runTag}-${block}-${mode}-${i}-`;
        runs.push({ mode, name, everyMs: 1000 + Math.floor(random() * 1000), workflowId: `bench-${name}` });
      }
    }
    const rules: SimRule[] = runs.map((run) => ({
      match: { method: 'POST', name: run.name },
      states: ['RUNNING', 'RUNNING', 'NORMAL'],
      advance: { everyMs: run.everyMs },
    }));
    await bench.setRules(rules);
    const outcomes = await bench.starter.run(
      runs.map((run) => ({
        workflowType: 'nseOperationWorkflow',
        workflowId: run.workflowId,
        args: [
          hostgroupInput(run.name, pollEverySecond(run.mode, run.mode === 'long-poll' ? { longPollSeconds: 10 } : {})),
        ],
      })),
    );
    const failed = outcomes.filter((o) => o.failure);
    if (failed.length > 0)
      throw new Error(`reaction scenario: ${failed.length} runs failed, first: ${failed[0]?.failure}`);
    const records = new Map(
      (
        await readRuns(
          bench.client,
          runs.map((r) => r.workflowId),
        )
      ).map((r) => [r.workflowId, r]),
    );
    const jobs = new Map((await bench.simJobs()).map((job) => [job.objectName, job]));
    for (const run of runs) {
      const job = jobs.get(run.name);
      const closeMs = records.get(run.workflowId)?.closeMs;
      const answeredAt = job?.firstTerminalAt;
      if (!job || closeMs === undefined || answeredAt === undefined)
        throw new Error(`reaction scenario: no job, close or terminal answer for ${run.name}`);
      const terminalAt = job.updated; // created + 3 * everyMs for a wall-clock job
      samples.push({
        mode: run.mode,
        everyMs: run.everyMs,
        delayMs: closeMs - terminalAt,
        waitMs: answeredAt - terminalAt,
        processMs: closeMs - answeredAt,
      });
    }
    bench.log(`  reaction block ${block + 1}/${profile.reaction.blocks}: ${runs.length} runs`);
  }
  await bench.setRules([]);
  const modes = POLL_MODES.map((mode): ModeReaction => {
    const own = samples.filter((s) => s.mode === mode);
    const delays = own.map((s) => s.delayMs);
    return {
      mode,
      samples: own.length,
      meanMs: mean(delays),
      p99Ms: percentile(delays, 99),
      meanIntervals: mean(delays) / POLL_INTERVAL_MS,
      p99Intervals: percentile(delays, 99) / POLL_INTERVAL_MS,
      meanWaitMs: mean(own.map((s) => s.waitMs)),
      meanProcessMs: mean(own.map((s) => s.processMs)),
      p99ProcessMs: percentile(
        own.map((s) => s.processMs),
        99,
      ),
    };
  });
  return { modes, samples };
}
