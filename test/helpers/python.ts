/**
 * A Python virtual env with the `temporalio` package pinned in examples/python/requirements.txt, for the foreign
 * caller test. Kept in the git-ignored `.python-env/` and made again only when the requirements change.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');
export const PYTHON_EXAMPLE_DIR = path.join(ROOT, 'examples', 'python');
const ENV_DIR = path.join(ROOT, '.python-env');
const MARKER = path.join(ENV_DIR, 'installed-requirements.txt');

/** The env's python, installing it first when missing or stale; throws a clear error when pip cannot install. */
export async function pythonWithTemporalio(): Promise<string> {
  const requirementsFile = path.join(PYTHON_EXAMPLE_DIR, 'requirements.txt');
  const requirements = readFileSync(requirementsFile, 'utf8');
  const python = path.join(ENV_DIR, 'bin', 'python');
  if (existsSync(python) && existsSync(MARKER) && readFileSync(MARKER, 'utf8') === requirements) return python;
  rmSync(ENV_DIR, { recursive: true, force: true });
  await run('python3', ['-m', 'venv', ENV_DIR]);
  try {
    await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', requirementsFile], {
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (err) {
    const { stderr } = err as { stderr?: string };
    throw new Error(`pip could not install ${requirements.trim()} (is the Python package index reachable?): ${stderr}`);
  }
  writeFileSync(MARKER, requirements);
  return python;
}
