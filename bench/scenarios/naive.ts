/**
 * 6. Against the naive way: the same jobs (submit, three reads, NORMAL) polled by a plain Node loop (setTimeout
 * and the same NseClient, nothing durable) on the same simulator, at the same 1 s interval.
 *
 * Each block runs a batch of workflow runs (local poll mode) and a batch of plain loops of the same size, in
 * alternating order; in both, a job arrives every `spacingMs` (150 ms: about 20 jobs in flight, well below
 * saturation). Latency is end to end as a caller sees it: the workflow side from the start call to the
 * result (in the starter), the plain side from the submit call to the terminal read. CPU is /proc time over the
 * batch, with a 1.5 s tail after the last job: for the workflow side this whole process, plus the dev server and
 * the starter for the total; for the plain side this process minus the worker's workflow thread and Rust core
 * threads, which the plain loop never uses (the idle worker's background work, such as a late garbage collection
 * of its isolate, would otherwise be charged to the loop).
 * @module
 */
import { meterDelta, type Bench, type Meter } from '../harness';
import { readRuns } from '../history';
import { hostgroupInput, POLL_INTERVAL_MS, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import { collectGarbage, type ThreadCpu } from '../proc';
import type { RunOutcome } from '../starter';
import { median, spread, type Spread } from '../stats';
import type { NseClient } from '../../src/nse/client';
import { buildRequest, findOperation } from '../../src/shared/operations';
import { isTerminal } from '../../src/shared/nse-types';

export interface NaiveBlock {
  block: number;
  workflowLatencyMs: number;
  /** The same runs, start to close as the server recorded them (the rest is the client's start and result calls). */
  workflowServerLatencyMs: number;
  plainLatencyMs: number;
  /** CPU ms per job. */
  workflowWorkerMs: number;
  workflowServerMs: number;
  workflowStarterMs: number;
  /** The simulator's thread, workflow side (the plain side's is in `plainThreadsMs.simulator`); in neither ratio. */
  workflowSimulatorMs: number;
  /** The plain loop: this process but the idle worker's threads and the simulator's. */
  plainMs: number;
  /** The plain side's CPU per job by thread group, including the idle worker's threads left out of `plainMs`. */
  plainThreadsMs: ThreadCpu;
}

export interface NaiveResult {
  blocks: NaiveBlock[];
  /** Median per-block ratio of median latencies, workflow over plain. */
  latencyRatio: Spread;
  /** Worker process CPU over plain process CPU (the loop and its client); the simulator is in neither. */
  workerCpuRatio: Spread;
  /** Worker process + dev server + starter over plain process. */
  totalCpuRatio: Spread;
}

/**
 * Each side's CPU window runs this long past its last job, so work a side leaves behind (garbage collection, log
 * flushing, the worker finishing its tasks) is charged to it and not to the side after it.
 */
const TAIL_MS = 1_500;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)); // a measured quiet period

/** One job the plain way: submit, then read every second until the job ends. Returns ms from submit to the end. */
async function pollPlainly(nse: NseClient, name: string): Promise<number> {
  const spec = findOperation('create-hostgroup');
  if (!spec) throw new Error('no create-hostgroup operation');
  const { method, path, body } = buildRequest(spec, hostgroupInput(name, {}).input);
  const t0 = Date.now();
  const submitted = await nse.submit(method, path, body);
  if (submitted.kind !== 'job') throw new Error(`plain poller: ${name} answered synchronously`);
  for (let reads = 0; reads < 100; reads++) {
    const job = await nse.getJob(submitted.job.id);
    if (isTerminal(job.state)) return Date.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS)); // the poll interval itself
  }
  throw new Error(`plain poller: ${name} did not end within 100 reads`);
}

export async function measureNaive(bench: Bench, profile: Profile): Promise<NaiveResult> {
  const nse = bench.newNseClient();
  const { spacingMs } = profile.naive;
  const blocks: NaiveBlock[] = [];
  for (let block = 0; block < profile.naive.blocks; block++) {
    const names = (side: string): string[] =>
      Array.from({ length: profile.naive.runs }, (_, i) => `nv-${bench.runTag}-${block}-${side}-${i}`);
    let workflow: { outcomes: RunOutcome[]; cpu: Meter } | undefined;
    let plain: { latency: number; cpu: Meter } | undefined;
    const sides = block % 2 === 0 ? ['workflow', 'plain'] : ['plain', 'workflow'];
    for (const side of sides) {
      // Pay the main isolate's garbage debt outside the windows, so neither side collects the other's garbage.
      collectGarbage();
      await pause(500);
      const before = bench.meter();
      if (side === 'workflow') {
        const outcomes = await bench.starter.run(
          names('wf').map((name) => ({
            workflowType: 'nseOperationWorkflow',
            workflowId: `bench-${name}`,
            args: [hostgroupInput(name, pollEverySecond('local'))],
          })),
          { spacingMs },
        );
        const failed = outcomes.filter((o) => o.failure);
        if (failed.length > 0)
          throw new Error(`naive scenario: ${failed.length} runs failed, first: ${failed[0]?.failure}`);
        await pause(TAIL_MS);
        workflow = { outcomes, cpu: meterDelta(before, bench.meter()) };
      } else {
        const t0 = Date.now();
        const latencies = await Promise.all(
          names('plain').map(async (name, i) => {
            await pause(t0 + i * spacingMs - Date.now()); // arrival time, as on the workflow side
            return await pollPlainly(nse, name);
          }),
        );
        await pause(TAIL_MS);
        plain = { latency: median(latencies), cpu: meterDelta(before, bench.meter()) };
      }
    }
    if (!workflow || !plain) throw new Error('naive scenario: a side did not run');
    const n = profile.naive.runs;
    const { outcomes } = workflow;
    // Read back after both sides, so these calls are in neither side's CPU.
    const records = await readRuns(
      bench.client,
      outcomes.map((o) => o.workflowId),
    );
    const workflowLatency = median(outcomes.map((o) => (o.settledAt as number) - o.startCalledAt));
    blocks.push({
      block,
      workflowLatencyMs: workflowLatency,
      workflowServerLatencyMs: median(records.map((r) => (r.closeMs ?? Number.NaN) - r.startMs)),
      plainLatencyMs: plain.latency,
      workflowWorkerMs: workflow.cpu.workerProcessMs / n,
      workflowServerMs: workflow.cpu.serverMs / n,
      workflowStarterMs: workflow.cpu.starterMs / n,
      plainMs: (plain.cpu.workerProcessMs - plain.cpu.threads.workflow - plain.cpu.threads.core) / n,
      plainThreadsMs: {
        main: plain.cpu.threads.main / n,
        workflow: plain.cpu.threads.workflow / n,
        v8AndLibuv: plain.cpu.threads.v8AndLibuv / n,
        core: plain.cpu.threads.core / n,
        simulator: plain.cpu.threads.simulator / n,
      },
      workflowSimulatorMs: workflow.cpu.threads.simulator / n,
    });
    bench.log(
      `  naive block ${block + 1}/${profile.naive.blocks}: latency workflow ${workflowLatency} ms, plain ${plain.latency} ms; ` +
        `CPU/job worker ${(workflow.cpu.workerProcessMs / n).toFixed(1)} ms + server ${(workflow.cpu.serverMs / n).toFixed(1)} ms, plain ${((plain.cpu.workerProcessMs - plain.cpu.threads.workflow - plain.cpu.threads.core) / n).toFixed(1)} ms`,
    );
  }
  return {
    blocks,
    latencyRatio: spread(blocks.map((b) => b.workflowLatencyMs / b.plainLatencyMs)),
    workerCpuRatio: spread(blocks.map((b) => b.workflowWorkerMs / b.plainMs)),
    totalCpuRatio: spread(
      blocks.map((b) => (b.workflowWorkerMs + b.workflowServerMs + b.workflowStarterMs) / b.plainMs),
    ),
  };
}
