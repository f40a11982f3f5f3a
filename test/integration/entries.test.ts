/**
 * The Temporal-level property test of every entry (test/fuzz/entries.ts), bounded and with a fixed seed so
 * `npm test` is repeatable: 200 hostile cases across every workflow type, update and signal, on the real dev server
 * with the simulator; `npm run fuzz -- --entries --runs N` runs more with a fresh seed.
 */
import fc from 'fast-check';
import { SIGNAL_ARGUMENTS, UPDATE_ARGUMENTS, WORKFLOW_INPUTS } from '../../src/shared/entries';
import { checkEntries, entryCase } from '../fuzz/entries';
import { useTestWorker } from '../helpers/worker';

const SEED = 20_261_207;
const CASES = 200;

describe('every entry a workflow has, with hostile arguments', () => {
  const harness = useTestWorker({ queue: 'entries' });

  it(`${CASES} cases: typed refusals only, no failed workflow task, no NSE request`, async () => {
    const cases = fc.sample(entryCase, { numRuns: CASES, seed: SEED });
    const report = await checkEntries(
      {
        client: harness.temporal.client,
        taskQueue: harness.taskQueue,
        nseRequests: async () => (await harness.sim.ledger()).requests.map((r) => `${r.method} ${r.path}`),
      },
      cases,
    );
    expect(report.problems).toEqual([]);
    expect(report.cases).toBe(CASES);
    // Every workflow type, update and signal of the gate's tables was reached: an entry added without cases fails here.
    const reached = (kind: string): string[] =>
      [
        ...new Set(
          Object.keys(report.byKind)
            .filter((label) => label.startsWith(`${kind} `))
            .map((label) => label.slice(kind.length + 1).replace(/^[a-z]+\./, '')),
        ),
      ].sort();
    expect(reached('start')).toEqual(Object.keys(WORKFLOW_INPUTS).sort());
    expect(reached('update')).toEqual(Object.keys(UPDATE_ARGUMENTS).sort());
    expect(reached('signal')).toEqual(Object.keys(SIGNAL_ARGUMENTS).sort());
    expect(Object.keys(report.byKind).sort()).toEqual([
      'signal operation.resume',
      'signal plan.stepAccepted',
      'signal sweep.resume',
      'start bulkWorkflow',
      'start nseFlowControlWorkflow',
      'start nseOperationWorkflow',
      'start nseSweepWorkflow',
      'start provisionWorkflow',
      'update bulk.setBulkLimits',
      'update control.pause',
      'update control.resume',
      'update operation.accepted',
      'update operation.decide',
      'update operation.extendDeadline',
      'update operation.setPollPolicy',
      'update plan.accepted',
      'update sweep.sweepFindings',
      'update sweep.undoSweptObject',
    ]);
  }, 300_000);
});
