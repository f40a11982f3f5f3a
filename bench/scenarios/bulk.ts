/**
 * Fleet F5: one bulk of `bulkItems` items (`bulkWorkflow`, create-hostgroup per item, jobs NORMAL on their first
 * read) runs to its end; every run of its continue-as-new chain is listed with its history length, against the
 * server's threshold for suggesting continue-as-new: `limit.historyCount.suggestContinueAsNew`, 4,096 events by
 * default (Temporal server, common/dynamicconfig/constants.go).
 * @module
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { FleetProfile } from '../fleet-profile';
import type { Bench } from '../harness';
import { ACME, pollEverySecond } from '../inputs';
import { median } from '../stats';
import type { BulkInput, BulkResult } from '../../src/shared/bulk';

/** The server's default `limit.historyCount.suggestContinueAsNew`. */
export const SUGGEST_CONTINUE_AS_NEW_EVENTS = 4_096;

export interface BulkFigures {
  items: number;
  maxConcurrency: number;
  seconds: number;
  done: number;
  failed: number;
  /** Runs of the bulk's continue-as-new chain. */
  runs: number;
  maxEventsPerRun: number;
  medianEventsPerRun: number;
  threshold: number;
  /** The bulk's failure, when it did not complete. */
  failure?: string;
}

export async function measureBulk(bench: Bench, fleet: FleetProfile): Promise<BulkFigures> {
  const namePrefix = `bulk-${bench.runTag}-`;
  await bench.setRules([{ match: { method: 'POST', name: namePrefix }, states: ['NORMAL'] }]);
  const input: BulkInput = {
    name: `bench bulk ${bench.runTag}`,
    operation: 'create-hostgroup',
    tenantId: ACME.tenantId,
    input: { subtenant_id: ACME.subtenantId, zone: 'zone-a', protocol: 'iscsi', os_type: 'linux' },
    poll: pollEverySecond('local'),
    maxConcurrency: fleet.bulkConcurrency,
    items: Array.from({ length: fleet.bulkItems }, (_, i) => ({ key: `i${i}`, input: { name: `${namePrefix}${i}` } })),
  };
  const workflowId = `bench-bulk-${bench.runTag}`;
  const t0 = Date.now();
  const handle = await bench.client.workflow.start('bulkWorkflow', {
    taskQueue: bench.taskQueue,
    workflowId,
    args: [input],
  });
  // A bulk whose workflow task keeps failing (e.g. over the SDK's 5 s limit per task) retries for ever: give up.
  let giveUp: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    giveUp = setTimeout(() => reject(new Error(`bulk ${workflowId} did not end within 30 min`)), 30 * 60_000);
  });
  let result: BulkResult | undefined;
  let failure: string | undefined;
  try {
    result = (await Promise.race([handle.result(), deadline]).finally(() => clearTimeout(giveUp))) as BulkResult;
  } catch (err) {
    // Reported, not thrown: the fleet's other figures still run. The failure's details carry the outcomes so far.
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    failure = cause instanceof ApplicationFailure ? `${cause.type ?? 'failure'}: ${cause.message}` : String(cause);
    const details = cause instanceof ApplicationFailure ? (cause.details?.[0] as BulkResult | undefined) : undefined;
    if (details && typeof details.done === 'number') result = details;
    bench.log(`  bulk failed: ${failure}`);
  }
  const seconds = (Date.now() - t0) / 1000;
  const lengths: number[] = [];
  for await (const run of bench.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    lengths.push(run.historyLength);
  }
  const figures: BulkFigures = {
    items: fleet.bulkItems,
    maxConcurrency: fleet.bulkConcurrency,
    seconds,
    done: result?.done ?? 0,
    failed: result?.failed ?? 0,
    ...(failure === undefined ? {} : { failure }),
    runs: lengths.length,
    maxEventsPerRun: Math.max(...lengths),
    medianEventsPerRun: median(lengths),
    threshold: SUGGEST_CONTINUE_AS_NEW_EVENTS,
  };
  bench.log(
    `  bulk: ${figures.done}/${figures.items} done in ${seconds.toFixed(0)} s over ${figures.runs} runs, ` +
      `at most ${figures.maxEventsPerRun} events per run`,
  );
  return figures;
}
