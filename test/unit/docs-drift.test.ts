/**
 * The contract and configuration documents cannot drift from the code: every update, phase and failure type the code
 * defines, and every environment variable src/ reads, is named in docs/contract.md or docs/configuration.md.
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
  // NsePaused and JobUnchanged never end a run: an NSE call raises them while `pause` holds the call, or when an
  // `activity` mode read found the job unchanged (each said below the table).
  const neverEnd: string[] = [FailureType.NsePaused, FailureType.JobUnchanged];
  const endsARun = Object.values(FailureType).filter((type) => !neverEnd.includes(type));
  expect(tabled.sort()).toEqual(endsARun.sort());
  for (const type of neverEnd) expect(contract).toContain(`\`${type}\``);
});

/** Every .ts file under `dir`, relative to the project root. */
function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const file = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/**
 * Every environment variable src/ reads, with the files that read it: `env.X` and `env['X']` (`process.env` included),
 * the keys of src/config.ts's schema of the environment (`NSE_TIMEOUT_MS: z...`), and a name passed as a string
 * (`readSecretFile('NSE_TOKEN_FILE', ...)`).
 */
function variablesReadBySrc(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  const patterns = [
    /\benv(?:\.|\[['"])([A-Z][A-Z0-9_]*)\b/g,
    /^\s+([A-Z][A-Z0-9]*_[A-Z0-9_]+): (?:z\.|optional)/gm,
    /['"`]((?:NSE|TEMPORAL|OTEL)_[A-Z0-9_]+)['"`]/g,
  ];
  for (const file of sourceFiles('src')) {
    const text = read(file);
    for (const pattern of patterns) {
      for (const [, name] of text.matchAll(pattern))
        reads.set(name as string, [...(reads.get(name as string) ?? []), file]);
    }
  }
  return reads;
}

it('documents every environment variable src/ reads in docs/configuration.md', () => {
  const configuration = read('docs/configuration.md');
  // A documented family (`TEMPORAL_TLS*`, `TEMPORAL_GRPC_META_*`) covers each variable of it.
  const families = [...configuration.matchAll(/`([A-Z][A-Z0-9_]*)\*`/g)].map((match) => match[1] as string);
  const documented = (name: string): boolean =>
    new RegExp(`\\b${name}\\b`).test(configuration) || families.some((family) => name.startsWith(family));
  const reads = variablesReadBySrc();
  expect(reads.size).toBeGreaterThan(25);
  // The ones src/config.ts's schema reads are found, not only those read one by one.
  expect(reads.get('NSE_TIMEOUT_MS')).toContain('src/config.ts');
  const undocumented = [...reads].filter(([name]) => !documented(name)).map(([name, files]) => `${name} (${files})`);
  expect(undocumented).toEqual([]);
});
