/**
 * The dev server's state (issue #24 point 6): its SQLite database holds every history in clear text, so the stack's
 * folder is 0700 and the database, its WAL and the server log 0600, also when they were left 0644 in a 0755 folder
 * by an older stack. Checked on a real dev server writing to a fresh folder, with the usual umask 022.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../tools/dev/ports';
import { secureStateDir, startDevServer, type RunningDevServer } from '../../tools/dev/temporal-dev-server';

const modeOf = (file: string): string => (statSync(file).mode & 0o777).toString(8);

describe('the dev server state folder', () => {
  let parent: string;
  let server: RunningDevServer | undefined;
  const umask = process.umask();

  beforeAll(() => {
    parent = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-state-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(parent, { recursive: true, force: true });
  });

  it('is 0700 with 0600 files, old ones included, and the WAL the server writes is 0600', async () => {
    expect(umask & 0o077).not.toBe(0o077); // the test means something only when new files would be readable
    const stateDir = path.join(parent, '.temporal');
    // What an older stack left: a world-readable folder, database, WAL and log.
    secureStateDir(stateDir);
    chmodSync(stateDir, 0o755);
    const dbFile = path.join(stateDir, 'nse-flow.db');
    for (const file of [`${dbFile}-wal`, path.join(stateDir, 'server.log')]) {
      writeFileSync(file, '');
      chmodSync(file, 0o644);
    }

    secureStateDir(stateDir);
    expect(modeOf(stateDir)).toBe('700');
    expect(modeOf(`${dbFile}-wal`)).toBe('600');
    expect(modeOf(path.join(stateDir, 'server.log'))).toBe('600');

    rmSync(`${dbFile}-wal`);
    server = await startDevServer({
      cliPath: process.env.TEMPORAL_TEST_CLI as string,
      port: await freePort(),
      dbFile,
      logLevel: 'error',
      output: 'ignore',
    });
    // The server has written its namespace and schema: the database and the WAL it created are the owner's alone.
    expect(modeOf(dbFile)).toBe('600');
    expect(modeOf(`${dbFile}-wal`)).toBe('600');
    expect(statSync(dbFile).size + statSync(`${dbFile}-wal`).size).toBeGreaterThan(0);
  });
});
