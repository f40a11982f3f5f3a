/**
 * The contract and configuration documents cannot drift from the code: every update, phase and failure type the code
 * defines, and every variable src/config.ts reads, is named in docs/contract.md or docs/configuration.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FailureType } from '../../src/shared/failures';
import { Phase } from '../../src/shared/workflow-api';

const ROOT = path.join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const contract = read('docs/contract.md');

/** The first cells of the markdown table rows under `heading` (up to the next heading). */
function tableNames(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = markdown.slice(start + heading.length + 2).split(/\n#{1,3} /)[0] ?? '';
  return [...section.matchAll(/^\| `([^`]+)`/gm)].map((match) => match[1] as string);
}

it('names every update the code defines in the Updates and Pause tables of docs/contract.md', () => {
  // Every update definition, found in the code rather than listed here, so a new one cannot be missed.
  const shared = readdirSync(path.join(ROOT, 'src', 'shared')).map((file) => read(`src/shared/${file}`));
  const defined = shared.flatMap((text) =>
    [...text.matchAll(/defineUpdate<[^(]*>\('([A-Za-z]+)'\)/g)].map((m) => m[1]),
  );
  expect(defined.length).toBeGreaterThanOrEqual(7);
  const documented = [...tableNames(contract, '## Updates'), ...tableNames(contract, '## Pause and resume')];
  expect(new Set(documented)).toEqual(new Set(defined));
});

it('names every phase in the NsePhase row of docs/contract.md', () => {
  const row = contract.split('\n').find((line) => line.startsWith('| `NsePhase`')) ?? '';
  const documented = [...row.matchAll(/`([a-z-]+)`/g)].map((match) => match[1]);
  expect(documented.sort()).toEqual(Object.values(Phase).sort());
});

it('names every failure type in docs/contract.md, each ending a run in the Failures table', () => {
  const tabled = tableNames(contract, '## Failures');
  // NsePaused never ends a run: an NSE call raises it while `pause` holds the call (said below the table).
  const endsARun = Object.values(FailureType).filter((type) => type !== FailureType.NsePaused);
  expect(tabled.sort()).toEqual(endsARun.sort());
  expect(contract).toContain(`\`${FailureType.NsePaused}\``);
});

it('documents every variable src/config.ts and the codec configuration read in docs/configuration.md', () => {
  const configuration = read('docs/configuration.md');
  const sources = read('src/config.ts') + read('src/codec/config.ts');
  const variables = new Set([...sources.matchAll(/\b(?:NSE|TEMPORAL)_[A-Z0-9_]+\b|\bLOG_LEVEL\b/g)].map((m) => m[0]));
  expect(variables.size).toBeGreaterThan(10);
  expect([...variables].filter((variable) => !configuration.includes(variable))).toEqual([]);
});
