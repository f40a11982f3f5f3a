/**
 * PostgreSQL as `npm run cluster` runs it (tools/dev/postgres.ts), without the Go build: CI's smoke part of the
 * cluster suite. initdb (as an unprivileged user when root), password login of `temporal` over TCP on 127.0.0.1, a
 * wrong password refused, and a restart on the same data directory that keeps the data and runs no second initdb.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../tools/dev/ports';
import { findPostgresBin, PG_USER, startPostgres, type PostgresOptions } from '../../tools/dev/postgres';

jest.setTimeout(120_000);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-postgres-'));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as an unprivileged user that must reach its data directory
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** psql as the cluster's Temporal user; resolves with its output, rejects when psql fails. */
async function psql(port: number, password: string, sql: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    path.join(findPostgresBin(), 'psql'),
    ['-h', '127.0.0.1', '-p', String(port), '-U', PG_USER, '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-tAc', sql],
    { env: { ...process.env, PGPASSWORD: password } },
  );
  return stdout.trim();
}

it('initialises once, logs in with the password only, and keeps its data across a restart', async () => {
  const lines: string[] = [];
  const options: PostgresOptions = {
    dataDir: path.join(dir, 'postgres'),
    port: await freePort(),
    password: 'smoke-password',
    logFile: path.join(dir, 'postgres.log'),
    log: (line) => void lines.push(line),
  };
  const first = await startPostgres(options);
  try {
    await psql(options.port, options.password, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
    await expect(psql(options.port, 'wrong-password', 'SELECT 1')).rejects.toThrow(/password authentication failed/);
  } finally {
    await first.stop();
  }
  expect(lines.filter((line) => line.startsWith('initdb'))).toHaveLength(1);

  const second = await startPostgres(options);
  try {
    expect(await psql(options.port, options.password, 'SELECT v FROM kept')).toBe('42');
  } finally {
    await second.stop();
  }
  expect(lines.filter((line) => line.startsWith('initdb'))).toHaveLength(1);
});
