/**
 * Imports flow one way in src/: no module imports itself back through others, type-only imports included. ESLint's
 * `import-x/no-cycle` (4.18) skips type-only imports and has no option to count them, so this test walks the import
 * graph itself (TypeScript's own pre-processor lists every import, `import type` too) and fails on any cycle.
 * The same graph keeps the product and its test double apart: src/ never imports simulator/, and the simulator takes
 * from src/ only what is no reading of NSE (the HTTP server limits), so a client bug is caught instead of mirrored.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** The project files `file` imports by a relative path (types included), resolved to .ts files. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => path.resolve(path.dirname(file), name))
    .map((base) => [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => existsSync(candidate)))
    .filter((resolved): resolved is string => resolved !== undefined);
}

/** The .ts files under `dir`. */
function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

/** Each import from a file under `from` of a file under `to`, as `importer -> imported` relative to the project. */
function importsAcross(from: string, to: string): string[] {
  return tsFilesUnder(path.join(ROOT, from)).flatMap((file) =>
    importsOf(file)
      .filter((imported) => !path.relative(path.join(ROOT, to), imported).startsWith('..'))
      .map((imported) => `${path.relative(ROOT, file)} -> ${path.relative(ROOT, imported)}`),
  );
}

/** Every import cycle among the .ts files under `dir`, each as the list of files on it (relative to the project). */
function importCycles(dir: string): string[][] {
  const files = tsFilesUnder(dir);
  const graph = new Map(files.map((file) => [file, importsOf(file)]));
  // Tarjan's strongly connected components: a component of more than one file (or a self-import) is a cycle.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file) as number);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file) as number, low.get(next) as number));
      } else if (stack.includes(next)) {
        low.set(file, Math.min(low.get(file) as number, index.get(next) as number));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    for (let top = stack.pop(); top !== undefined; top = top === file ? undefined : stack.pop()) component.push(top);
    if (component.length > 1 || (graph.get(file) ?? []).includes(file))
      cycles.push(component.map((member) => path.relative(ROOT, member)).sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return cycles;
}

it('src/ has no import cycle, type-only imports included', () => {
  expect(importCycles(path.join(ROOT, 'src'))).toEqual([]);
});

it('finds a cycle made of type-only imports (the probe in test/fixtures/import-cycle)', () => {
  expect(importCycles(path.join(ROOT, 'test', 'fixtures', 'import-cycle'))).toEqual([
    ['test/fixtures/import-cycle/left.ts', 'test/fixtures/import-cycle/right.ts'],
  ]);
});

it('src/ imports nothing from the simulator, type-only imports included', () => {
  expect(importsAcross('src', 'simulator')).toEqual([]);
});

it('the simulator imports from src/ only the HTTP server limits', () => {
  expect(new Set(importsAcross('simulator', 'src').map((edge) => edge.split(' -> ')[1]))).toEqual(
    new Set(['src/server-limits.ts']),
  );
});

it('sees an import of the simulator from src/ (the probe in test/fixtures/import-across)', () => {
  expect(importsAcross('test/fixtures/import-across/src', 'test/fixtures/import-across/simulator')).toEqual([
    'test/fixtures/import-across/src/product.ts -> test/fixtures/import-across/simulator/double.ts',
  ]);
});
