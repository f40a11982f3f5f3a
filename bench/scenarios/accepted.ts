/**
 * 7. The accepted contract: how long a caller waits from `startOperation` to the NSE job id in hand (update-with-start
 * of the `accepted` update: start, first workflow task, submit activity, update answer), as a ratio to one bare NSE
 * POST of the same call from plain Node. Samples alternate (bare, accepted) so both see the same conditions; one
 * call at a time, so the ratio is latency, not throughput.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { NseFlowClient } from '../../src/client';
import { buildRequest, findOperation, type OperationSpec } from '../../src/shared/operations';
import type { Bench } from '../harness';
import { hostgroupInput, pollEverySecond } from '../inputs';
import type { Profile } from '../profile';
import { median, spread, type Spread } from '../stats';

export interface AcceptedResult {
  samples: number;
  /** Median ms from the start call to the job id in hand, through nse-flow. */
  acceptedMs: number;
  /** Median ms of one bare NSE POST (plain Node, same client code as the worker's). */
  barePostMs: number;
  /** accepted ÷ bare, per pair of samples. */
  ratio: Spread;
}

export async function measureAccepted(bench: Bench, profile: Profile): Promise<AcceptedResult> {
  const nseFlow = new NseFlowClient(bench.client, bench.taskQueue);
  const nse = bench.newNseClient();
  const spec = findOperation('create-hostgroup') as OperationSpec;
  const accepted: number[] = [];
  const bare: number[] = [];
  try {
    for (let i = 0; i < profile.accepted.samples; i++) {
      const name = `acc-${bench.runTag}-${i}-`;
      const { method, path, body } = buildRequest(spec, hostgroupInput(`${name}bare`, {}).input);
      let begin = performance.now();
      const submitted = await nse.submit(method, path, body);
      bare.push(performance.now() - begin);
      if (submitted.kind !== 'job') throw new Error('accepted scenario: the bare POST answered without a job');
      begin = performance.now();
      const run = await nseFlow.startOperation(hostgroupInput(`${name}run`, pollEverySecond('local')), {
        workflowId: `bench-${name}run`,
      });
      accepted.push(performance.now() - begin);
      if (!run.nseJobId) throw new Error('accepted scenario: startOperation returned no job id');
    }
  } finally {
    nse.close();
  }
  return {
    samples: accepted.length,
    acceptedMs: median(accepted),
    barePostMs: median(bare),
    ratio: spread(accepted.map((ms, i) => ms / (bare[i] as number))),
  };
}
