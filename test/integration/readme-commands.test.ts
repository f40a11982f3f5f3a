/**
 * README.md's commands, run as a reader pastes them: every command of its ```sh, ```bash and ```console blocks, in
 * order, through bash in the project's folder, against a stack started as `npm start` starts it (a Temporal dev
 * server of its own on a free port, the NSE simulator, a worker) and found, as the README says, through the stack's
 * connection file with nothing exported. Each must exit with the code the README gives it: 0, or the `# exits N`
 * written after it. A placeholder (`<run-id>`) is refused: the README's commands run as written.
 *
 * Not run here: the two set-up commands of the Quick start, `npm ci && npm start` and `npm test`: the stack is this
 * test's own, and the test suite cannot run itself. The ```ts snippet is test/integration/client-package.test.ts's.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeStackConnection } from '../../src/cli/stack-connection';
import { Stack } from '../../tools/stack';
import type { RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { useTestWorker } from '../helpers/worker';

const ROOT = path.join(__dirname, '..', '..');
const SET_UP_COMMANDS = new Set(['npm ci && npm start', 'npm test']);

interface ReadmeCommand {
  command: string;
  exitCode: number;
}

/** Whether bash reads `text` as whole commands (no open quote, no trailing `\`). */
function isComplete(text: string): boolean {
  if (text.endsWith('\\')) return false; // bash -n takes a trailing `\` of a -c string for a literal
  try {
    execFileSync('bash', ['-n', '-c', text], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The commands of README.md's shell blocks, in order; a ```console block's commands are its `$ ` lines. */
function readmeCommands(): ReadmeCommand[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const commands: ReadmeCommand[] = [];
  for (const block of readme.matchAll(/^( *)```(sh|bash|console)\n([\s\S]*?)^\1```$/gm)) {
    const [, indent = '', language, body = ''] = block;
    let lines = body.split('\n').map((line) => line.slice(indent.length));
    if (language === 'console') lines = lines.filter((line) => line.startsWith('$ ')).map((line) => line.slice(2));
    let pending = '';
    for (const line of lines) {
      if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
      pending = pending === '' ? line : `${pending}\n${line}`;
      if (!isComplete(pending)) continue;
      const exitCode = Number(/#\s*exits (\d+)/.exec(pending)?.[1] ?? 0);
      if (!SET_UP_COMMANDS.has(pending.trim())) commands.push({ command: pending, exitCode });
      pending = '';
    }
    if (pending !== '') throw new Error(`README.md: an unfinished command in a ${language} block: ${pending}`);
  }
  return commands;
}

const commands = readmeCommands();

describe("README.md's commands against the stack", () => {
  const stack = new Stack();
  let server: RunningDevServer | undefined;
  let stackFile = '';
  beforeAll(async () => {
    server = await stack.startTemporal({ logLevel: 'error' });
  }, 120_000);
  const harness = useTestWorker({ queue: 'readme', address: () => (server as RunningDevServer).address });
  beforeAll(() => {
    // As `npm start` writes it; the pid is this (living) process, so the CLI does not take the file for a stale one.
    stackFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'nse-flow-readme-')), 'stack.json');
    writeStackConnection(
      {
        pid: process.pid,
        temporal: { address: harness.temporal.address, namespace: 'default', taskQueue: harness.taskQueue },
        nse: { baseUrl: harness.sim.url, username: harness.sim.username, password: harness.sim.password },
      },
      stackFile,
    );
  });
  afterAll(async () => {
    await stack.stop();
    rmSync(path.dirname(stackFile), { recursive: true, force: true });
  });

  it('finds the commands of the walk-through, placeholders filled in', () => {
    expect(commands.length).toBeGreaterThanOrEqual(7);
    expect(commands.filter(({ command }) => /<[a-z][^>]*>/i.test(command))).toEqual([]);
  });

  it.each(commands)(
    '$command',
    async ({ command, exitCode }) => {
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, NSE_FLOW_STACK_FILE: stackFile };
      const ran = await new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) => {
        execFile('bash', ['-c', command], { cwd: ROOT, env, timeout: 240_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (error.code ?? String(error.signal)) : 0, stdout, stderr });
        });
      });
      // The whole output in the failure message: what the reader would have seen.
      expect(ran).toMatchObject({ code: exitCode });
      expect(ran.stderr).toContain('using the local stack');
    },
    300_000,
  );
});
