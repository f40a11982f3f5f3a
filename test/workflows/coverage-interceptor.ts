/**
 * The workflow interceptor of the coverage test bundle (test/helpers/workflow-coverage.ts): at the end of each
 * activation it sends the counters that Jest's instrumentation of src/ raised in this run to the worker's `coverage`
 * sink, and sets them back to zero, so each hit is counted once.
 * @module
 */
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

/** The hit counts of one file: statements, functions, branches (by istanbul's ids), only those above zero. */
export interface FileCounts {
  s: Record<string, number>;
  f: Record<string, number>;
  b: Record<string, number[]>;
}

export interface CoverageSinks extends Sinks {
  coverage: { add(counts: Record<string, FileCounts>): void };
}

const { coverage } = proxySinks<CoverageSinks>();

/** The counts raised since the last call, by file; the counters are reset. */
function takeCounts(): Record<string, FileCounts> {
  const all = (globalThis as { __coverage__?: Record<string, FileCounts> }).__coverage__ ?? {};
  const taken: Record<string, FileCounts> = {};
  for (const [file, counters] of Object.entries(all)) {
    const counts: FileCounts = { s: {}, f: {}, b: {} };
    let raised = false;
    for (const kind of ['s', 'f'] as const) {
      for (const [id, hits] of Object.entries(counters[kind])) {
        if (hits === 0) continue;
        counts[kind][id] = hits;
        counters[kind][id] = 0;
        raised = true;
      }
    }
    for (const [id, hits] of Object.entries(counters.b)) {
      if (hits.every((n) => n === 0)) continue;
      counts.b[id] = [...hits];
      hits.fill(0);
      raised = true;
    }
    if (raised) taken[file] = counts;
  }
  return taken;
}

export const interceptors: WorkflowInterceptorsFactory = () => ({
  internals: [
    {
      concludeActivation(input, next) {
        const counts = takeCounts();
        if (Object.keys(counts).length > 0) coverage.add(counts);
        return next(input);
      },
    },
  ],
});
