/**
 * How big the fleet section (`npm run bench -- --fleet`) is: the full figures with 10,000 runs in flight, or
 * `--quick` with 1,000, both putting the same request rate on NSE (runs ÷ poll interval). Each size can be set
 * on its own with the `--fleet-*` options.
 * @module
 */
import type { PollMode } from '../src/shared/workflow-api';

export interface FleetProfile {
  name: 'quick' | 'full';
  /** Runs in flight at once on the fleet's own worker; their jobs never end. */
  runs: number;
  /**
   * Their poll interval (fixed, ±20% jitter so the fleet spreads its reads). The dev server does ~70 workflow tasks
   * per second on this machine when nothing else runs (figure 2) and a `local` poll costs one, so the interval is
   * chosen to keep the fleet's polls well under that: 10,000 runs every 300 s are ~33 reads/s.
   */
  pollIntervalMs: number;
  pollMode: PollMode;
  /** Window over which the request rate NSE sees is counted, once every run has read its job. */
  windowMs: number;
  /** Overload factor of the 429 figure: the simulator admits the fleet's request rate divided by this. */
  overload: number;
  /** Window of the 429 figure. */
  limitWindowMs: number;
  /** Fairness: the large tenant's burst of runs started at once. */
  burst: number;
  /** Fairness: the small tenant's runs, one every `smallSpacingMs`, with and without the burst. */
  smallRuns: number;
  smallSpacingMs: number;
  /** Bulk: items of one `bulkWorkflow`, and how many run at once. */
  bulkItems: number;
  bulkConcurrency: number;
  /**
   * The NSE request budget (activities per second on the NSE task queue) of the fleet's and the fairness figure's
   * workers, with their runs in `activity` mode; undefined: no budget, the figures of the section as it was first
   * measured (before the budget existed).
   */
  budget?: number;
  /**
   * The fairness figure's budget when it should differ from the fleet's: one the small tenant alone does not fill, so
   * that its delays with the burst measure the burst, not the budget. Default: `budget`.
   */
  fairnessBudget?: number;
}

export const FLEET_FULL: FleetProfile = {
  name: 'full',
  runs: 10_000,
  pollIntervalMs: 300_000,
  pollMode: 'local',
  windowMs: 120_000,
  overload: 5,
  limitWindowMs: 60_000,
  burst: 1_000,
  smallRuns: 30,
  smallSpacingMs: 500,
  bulkItems: 10_000,
  bulkConcurrency: 200,
};

export const FLEET_QUICK: FleetProfile = {
  name: 'quick',
  runs: 1_000,
  pollIntervalMs: 30_000,
  pollMode: 'local',
  windowMs: 30_000,
  overload: 5,
  limitWindowMs: 20_000,
  burst: 200,
  smallRuns: 20,
  smallSpacingMs: 500,
  bulkItems: 1_000,
  bulkConcurrency: 200,
};
