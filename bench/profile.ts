/**
 * How big each measurement is: `--quick` (under 3 minutes) or the full run.
 * @module
 */

export interface Profile {
  name: 'quick' | 'full';
  /** 1. History events per poll cycle: runs per poll mode; `loadRuns` activity runs at once for the cost per job. */
  events: { runsPerMode: number; loadRuns: number };
  /**
   * 2 and 4. Throughput and CPU at saturation: blocks of (operation, baseline), each a closed loop, at the level of
   * `ladder` (runs in flight) where both sides saturate; `concurrency` if the ladder is empty.
   */
  throughput: { blocks: number; ladder: number[]; concurrency: number; warmupMs: number; windowMs: number };
  /** 3. Reaction delay: blocks, each with this many runs of every poll mode at once. */
  reaction: { blocks: number; runsPerMode: number };
  /** 5. Memory: runs polling at once. */
  memory: { runs: number };
  /** 6. Against a plain Node poller: blocks of (workflow batch, plain batch); jobs arrive one every `spacingMs`. */
  naive: { blocks: number; runs: number; spacingMs: number };
  /** 7. The accepted contract: (bare POST, startOperation) pairs, one at a time. */
  accepted: { samples: number };
}

export const QUICK: Profile = {
  name: 'quick',
  events: { runsPerMode: 1, loadRuns: 10 },
  throughput: { blocks: 3, ladder: [60, 120, 240, 480], concurrency: 60, warmupMs: 3_000, windowMs: 4_000 },
  reaction: { blocks: 2, runsPerMode: 8 },
  memory: { runs: 200 },
  naive: { blocks: 2, runs: 24, spacingMs: 150 },
  accepted: { samples: 10 },
};

export const FULL: Profile = {
  name: 'full',
  events: { runsPerMode: 2, loadRuns: 40 },
  throughput: { blocks: 8, ladder: [60, 120, 240, 480, 960], concurrency: 60, warmupMs: 5_000, windowMs: 12_000 },
  reaction: { blocks: 3, runsPerMode: 20 },
  memory: { runs: 1_000 },
  naive: { blocks: 5, runs: 60, spacingMs: 150 },
  accepted: { samples: 30 },
};
