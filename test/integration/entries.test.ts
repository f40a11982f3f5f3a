/**
 * The Temporal-level property test of every entry (test/fuzz/entries.ts), bounded and with a fixed seed so
 * `npm test` is repeatable: 200 hostile cases across every workflow type, update and signal, on the real dev server
 * with the simulator; `npm run fuzz -- --entries --runs N` runs more with a fresh seed.
 */
import fc from 'fast-check';
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
        nseRequests: async () => (await harness.sim.ledger()).requests.length,
      },
      cases,
    );
    expect(report.problems).toEqual([]);
    expect(report.cases).toBe(CASES);
    // Every workflow type, update and signal was reached.
    expect(Object.keys(report.byKind).sort()).toEqual([
      'signal operation.resume',
      'signal plan.stepAccepted',
      'start bulkWorkflow',
      'start nseFlowControlWorkflow',
      'start nseOperationWorkflow',
      'start provisionWorkflow',
      'update bulk.setBulkLimits',
      'update control.pause',
      'update control.resume',
      'update operation.accepted',
      'update operation.decide',
      'update operation.extendDeadline',
      'update operation.setPollPolicy',
      'update plan.accepted',
    ]);
  }, 300_000);
});
