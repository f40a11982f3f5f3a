/**
 * The fleet section, `npm run bench -- --fleet [--quick] [--fleet-runs N] ...`: F4 fairness first (on the main
 * worker, while the server is otherwise idle), F5 a bulk, then F1–F3 with the fleet in flight on a worker of its
 * own (last: its runs are left running for the stack's clean-up). Prints a
 * Markdown table and writes bench-results/fleet-<target>.json. See docs/benchmarks.md, "The fleet".
 * @module
 */
import type { FleetProfile } from './fleet-profile';
import type { Bench } from './harness';
import { measureBulk, type BulkFigures } from './scenarios/bulk';
import { measureFairness, SUBMIT_STAGES, type FairnessResult } from './scenarios/fairness';
import { measureFleet, type FleetResult } from './scenarios/fleet';

export interface FleetResults {
  fairness: FairnessResult;
  bulk: BulkFigures | undefined;
  fleet: FleetResult;
}

export async function measureFleetSection(bench: Bench, profile: FleetProfile): Promise<FleetResults> {
  bench.log(`F4. fairness: ${profile.smallRuns} small-tenant runs, alone and beside a burst of ${profile.burst}`);
  const fairness = await measureFairness(bench, profile);
  let bulk: BulkFigures | undefined;
  if (profile.bulkItems > 0) {
    bench.log(`F5. a bulk of ${profile.bulkItems} items, ${profile.bulkConcurrency} at once`);
    bulk = await measureBulk(bench, profile);
  }
  bench.log(`F1-F3. ${profile.runs} runs in flight, polling every ${profile.pollIntervalMs / 1000} s ±20%`);
  const fleet = await measureFleet(bench, profile);
  return { fairness, bulk, fleet };
}

const f = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** The section's Markdown table. */
export function fleetTable({ fairness, bulk, fleet }: FleetResults): string {
  const rows: Array<[string, string, string]> = [
    [
      'F1. NSE requests/s with the fleet in flight: peak second / mean',
      `**${f(fleet.rate.peakPerSecond)}** / ${f(fleet.rate.meanPerSecond, 1)}`,
      `${fleet.runs} runs (\`${fleet.pollMode}\`, every ${f(fleet.pollIntervalMs / 1000)} s ±20%): demand ` +
        `${f(fleet.demandPerSecond, 1)}/s; p99 second ${f(fleet.rate.p99PerSecond)}; ${f(fleet.rate.seconds)} s counted ` +
        `at the simulator; ${fleet.budget === undefined ? 'no budget' : `budget ${fleet.budget}/s`}`,
    ],
    [
      `F2. 429 answers at ${f((fleet.budget === undefined ? fleet.rate.meanPerSecond : fleet.demandPerSecond) / fleet.limitPerSecond, 1)}× overload`,
      `**${f(fleet.limited.tooMany)}** of ${f(fleet.limited.requests)} requests`,
      `simulator admits ${fleet.limitPerSecond}/s (\`rateLimit\`), peak admitted second ${fleet.limited.peakAdmittedPerSecond}; ` +
        `${f(fleet.limited.seconds)} s`,
    ],
    [
      'F3. Worker RSS with the fleet cached',
      `**${f(fleet.loadedRssMiB)} MiB**`,
      `idle ${f(fleet.idleRssMiB)} MiB; ${fleet.cachedWorkflows} cached runs, ${f(fleet.perRunMiB, 2)} MiB each; ` +
        `started in ${f(fleet.startSeconds)} s, ${fleet.readTheirJob} had read their job after ${f(fleet.settleSeconds)} s; ` +
        `cores during F1: worker ${f(fleet.workerCores, 2)}, server ${f(fleet.serverCores, 2)}, others ${f(fleet.foreignCores, 2)}`,
    ],
    [
      `F4. Small tenant's p99 submit delay, with ÷ without a burst of ${fairness.burst}`,
      `**${f(fairness.submitP99Ratio, 1)}**`,
      `start → NSE accepts the job: p99 ${f(fairness.withBurst.submitP99Ms)} ms with, ${f(fairness.alone.submitP99Ms)} ms ` +
        `without (p50 ${f(fairness.withBurst.submitP50Ms)} / ${f(fairness.alone.submitP50Ms)}); ` +
        `${fairness.alone.runs} runs each; ` +
        (fairness.budget === undefined ? 'no budget' : `budget ${fairness.budget}/s`),
    ],
    [
      "F4. Where the small tenant's submit waits: each stage's p99 (p50), with / without the burst",
      SUBMIT_STAGES.map((stage) => `${stage} ${f(fairness.withBurst.submitStages[stage].p99Ms)}`).join(', '),
      SUBMIT_STAGES.map(
        (stage) =>
          `${stage}: ${f(fairness.withBurst.submitStages[stage].p99Ms)} (${f(fairness.withBurst.submitStages[stage].p50Ms)}) / ` +
          `${f(fairness.alone.submitStages[stage].p99Ms)} (${f(fairness.alone.submitStages[stage].p50Ms)}) ms`,
      ).join('; ') +
        " (from each run's history; bench/scenarios/fairness.ts). The workflow task queue at the matcher during the " +
        `burst: at most ${fairness.workflowBacklog.maxCount} tasks waiting, the oldest ` +
        `${f(fairness.workflowBacklog.maxAgeMs)} ms (${fairness.workflowBacklog.samples} samples)`,
    ],
    [
      `F4. Small tenant's p99 reaction delay, with ÷ without the burst`,
      `**${f(fairness.reactionP99Ratio, 1)}**`,
      `job NORMAL at NSE → the read that saw it: p99 ${f(fairness.withBurst.reactionP99Ms)} ms with, ` +
        `${f(fairness.alone.reactionP99Ms)} ms without (p50 ${f(fairness.withBurst.reactionP50Ms)} / ` +
        `${f(fairness.alone.reactionP50Ms)}); 1 s polls; failed runs ${fairness.alone.failures + fairness.withBurst.failures + fairness.burstFailures}`,
    ],
  ];
  if (bulk) {
    rows.push([
      `F5. Bulk of ${bulk.items} items: most history events in one run of its chain`,
      `**${bulk.maxEventsPerRun}** (threshold ${bulk.threshold})`,
      `${bulk.failure === undefined ? '' : `**failed: ${bulk.failure}**; `}` +
        `${bulk.done} done, ${bulk.failed} failed in ${f(bulk.seconds)} s, ${bulk.maxConcurrency} at once; ${bulk.runs} runs ` +
        `(continue-as-new), median ${f(bulk.medianEventsPerRun)} events; threshold = the server's ` +
        '`limit.historyCount.suggestContinueAsNew`',
    ]);
  }
  return [
    '| Figure | Result | How / absolute values |',
    '| ------ | ------ | --------------------- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}
