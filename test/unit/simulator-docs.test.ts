/**
 * The simulator's name rules, which the README's commands rely on (`fail-` fails, ...), are documented in
 * docs/simulator.md and cannot drift: every prefix the simulator's rule code tests is in the document's table, and
 * every row of the table is what the simulator does for a create and an update of such a name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { planJob, type StateWord } from '../../simulator/rules';

const ROOT = path.join(__dirname, '..', '..');
const doc = readFileSync(path.join(ROOT, 'docs', 'simulator.md'), 'utf8');

/** The table under "Names decide how a job ends": each row's prefix (undefined: any other name) and its reads. */
function documentedRules(): { prefix: string | undefined; reads: StateWord[] }[] {
  const section = doc.split('## Names decide how a job ends')[1]?.split('\n## ')[0] ?? '';
  const rows = section.split('\n').filter((line) => /^\| (`[^`]+`|any other name) /.test(line));
  return rows.map((row) => {
    const [first = '', reads = ''] = row.split('|').slice(1, 3);
    const prefix = /`([^`]+)`/.exec(first)?.[1];
    // "RUNNING ×19, NORMAL": a word, repeated when a count follows it.
    const words = reads
      .trim()
      .split(/,\s*/)
      .flatMap((cell) => {
        const [word, times] = cell.split(/\s*×\s*/);
        return Array<StateWord>(times ? Number(times) : 1).fill(word as StateWord);
      });
    return { prefix, reads: words };
  });
}

it('documents every name prefix the simulator tests, with the reads its jobs answer', () => {
  const rules = documentedRules();
  // The prefixes in the simulator's code: each `startsWith('…')` on the name that decides a job's fate.
  const source = readFileSync(require.resolve('../../simulator/rules'), 'utf8');
  const coded = [...source.matchAll(/fateName\.startsWith\('([^']+)'\)/g)].map((match) => match[1]);
  expect(coded.length).toBeGreaterThanOrEqual(4);
  expect(rules.map((rule) => rule.prefix).filter(Boolean)).toEqual(coded);
  expect(rules.some((rule) => rule.prefix === undefined)).toBe(true);
});

it.each(['create', 'update'] as const)('does what the table says, name by name, on a %s', (action) => {
  for (const { prefix, reads } of documentedRules()) {
    expect({ prefix, steps: planJob(undefined, action, `${prefix ?? ''}demo`).steps }).toEqual({
      prefix,
      steps: reads,
    });
  }
});

it('ends every delete NORMAL on the second read, whatever the name, as the document says', () => {
  expect(doc).toContain('Deletes (an undo included) always end `NORMAL` on the second read, whatever the name.');
  for (const { prefix } of documentedRules()) {
    expect(planJob(undefined, 'delete', `${prefix ?? ''}demo`).steps).toEqual(['RUNNING', 'NORMAL']);
  }
});

it('is linked from the README where its commands rely on a name rule', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('(docs/simulator.md');
});
