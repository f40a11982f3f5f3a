/**
 * 8. What the pause check costs Temporal: every NSE activity asks the server whether its call is paused before it
 * calls NSE (src/activities/pause-check.ts). Runs in `activity` mode (submit, three reads, NORMAL) are started and
 * awaited; the server's own counters give the DescribeWorkflowExecution requests its frontend answered meanwhile,
 * the simulator the requests NSE saw. Nothing else in the bench describes a run during this window.
 * @module
 */
import type { Bench } from '../harness';
import { hostgroupInput, pollEverySecond } from '../inputs';

export interface PauseCheckResult {
  runs: number;
  /** DescribeWorkflowExecution requests at the server's frontend during the window. */
  describeRequests: number;
  /** API requests the simulator saw during the window (sign-ins included). */
  nseRequests: number;
  /** `results.pauseCheck.temporalRequestsPerNseRequest` in bench-results/latest.json. */
  temporalRequestsPerNseRequest: number;
}

const DESCRIBE = 'DescribeWorkflowExecution';

export async function measurePauseCheck(bench: Bench, runs: number): Promise<PauseCheckResult | undefined> {
  const serverRequests = bench.serverRequests;
  if (!serverRequests) return undefined; // the cluster's server is not started with a metrics endpoint here
  // The server publishes its counters with a lag: read them once they stopped moving, so that the describes of the
  // figure before (7's) are not counted here, and this figure's own are all in.
  const settledDescribes = async (): Promise<number> => {
    let last = (await serverRequests()).get(DESCRIBE) ?? 0;
    for (let read = 0; read < 15; read++) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const now = (await serverRequests()).get(DESCRIBE) ?? 0;
      if (now === last) return now;
      last = now;
    }
    return last;
  };
  const before = await settledDescribes();
  const from = Date.now();
  const handles = await Promise.all(
    Array.from({ length: runs }, (_, i) =>
      bench.client.workflow.start('nseOperationWorkflow', {
        taskQueue: bench.taskQueue,
        workflowId: `bench-pc-${bench.runTag}-${i}`,
        args: [hostgroupInput(`pc-${bench.runTag}-${i}`, pollEverySecond('activity'))],
      }),
    ),
  );
  await Promise.all(handles.map((handle) => handle.result()));
  const to = Date.now();
  const describeRequests = (await settledDescribes()) - before;
  // The simulator counts whole seconds: the window ends at the next second after the last run.
  const nseRequests = (await bench.simRequestRate(from - 1_000, to + 1_000)).requests;
  bench.log(`  pause check: ${describeRequests} describes for ${nseRequests} NSE requests`);
  return { runs, describeRequests, nseRequests, temporalRequestsPerNseRequest: describeRequests / nseRequests };
}
