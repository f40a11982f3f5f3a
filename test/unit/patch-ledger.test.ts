/**
 * The patch ledger (src/workflows/patches.ts) and the code agree: every `patched(` / `deprecatePatch(` call in src/
 * names, as a string literal, an id the ledger lists, and every ledger id is used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PATCH_LEDGER } from '../../src/workflows/patches';

const SRC = path.join(__dirname, '..', '..', 'src');
const CALL = /\b(?:patched|deprecatePatch)\s*\(/g;
const LITERAL_ARGUMENT = /^\s*(['"`])([^'"`]+)\1\s*\)/;

/** The id each call in `source` names (undefined when it is not a string literal); comments are skipped. */
function calledIds(source: string): (string | undefined)[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  return [...code.matchAll(CALL)].map(
    (match) => LITERAL_ARGUMENT.exec(code.slice((match.index ?? 0) + match[0].length))?.[2],
  );
}

/** Each call in src/: its file and the id it names. */
function patchCalls(): { file: string; id: string | undefined }[] {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return files.flatMap((file) => calledIds(readFileSync(path.join(SRC, file), 'utf8')).map((id) => ({ file, id })));
}

const ledgerIds = PATCH_LEDGER.map((entry) => entry.id);

it('every patched()/deprecatePatch() call in src/ names a ledger id as a string literal', () => {
  const unlisted = patchCalls().filter(({ id }) => id === undefined || !ledgerIds.includes(id));
  expect(unlisted).toEqual([]);
});

it('every ledger id is used in src/, once listed, with its date, reason and removal condition', () => {
  const used = new Set(patchCalls().map(({ id }) => id));
  expect(ledgerIds.filter((id) => !used.has(id))).toEqual([]);
  expect(new Set(ledgerIds).size).toBe(ledgerIds.length);
  for (const entry of PATCH_LEDGER) {
    expect(entry.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(entry.why.length).toBeGreaterThan(0);
    expect(entry.removeWhen.length).toBeGreaterThan(0);
  }
});

it('reads the ids of calls as the check sees them (so it can fail)', () => {
  const probe =
    "/* patched('in-a-comment') */ if (patched('a-patch')) x();\ndeprecatePatch(Patches.Old); // patched('no')";
  expect(calledIds(probe)).toEqual(['a-patch', undefined]);
});
