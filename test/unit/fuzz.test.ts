/**
 * The fuzzing properties of test/fuzz/properties.ts, bounded and with a fixed seed so `npm test` is repeatable;
 * `npm run fuzz -- --runs N` runs the same properties for longer with a fresh seed.
 */
import fc from 'fast-check';
import { PROPERTIES } from '../fuzz/properties';

const SEED = 20_261_203;
const RUNS = 150;

describe('fuzzing (fixed seed, bounded)', () => {
  it.each(PROPERTIES.map((p) => [p.name, p]))('%s', async (_name, { property }) => {
    await fc.assert(property, { seed: SEED, numRuns: RUNS });
  });
});
