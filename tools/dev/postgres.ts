/**
 * A PostgreSQL server of our own for `npm run cluster` and its tests: Debian's (or any) PostgreSQL binaries, a data
 * directory initialised once under the cluster folder, listening on 127.0.0.1 only (TCP; no Unix socket, so no
 * system directory is touched). PostgreSQL refuses to run as root: as root, it runs as an unprivileged user
 * (`NSE_FLOW_PG_USER`, default `nobody`) through `setpriv`, which creates no account and changes nothing on the
 * system; the data directory is then owned by that user.
 * @module
 */
import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startService, waitUntilReady, type ServiceProcess } from './service-process';

/** The superuser the cluster's Temporal connects as (the same name as in docker-compose.yml). */
export const PG_USER = 'temporal';

export interface PostgresOptions {
  /** The data directory (created and initialised when missing). */
  dataDir: string;
  port: number;
  /** The password of {@link PG_USER}, set at initdb. */
  password: string;
  /** Where the server's output goes (appended). */
  logFile: string;
  log(line: string): void;
}

export interface RunningPostgres {
  port: number;
  service: ServiceProcess;
  /** Fast shutdown (SIGINT: open sessions are ended), waits for the exit. */
  stop(): Promise<void>;
}

/** The directory of initdb and postgres: `PG_BIN`, else the newest /usr/lib/postgresql/N/bin, else PATH. */
export function findPostgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const debian = '/usr/lib/postgresql';
  const versions = existsSync(debian)
    ? readdirSync(debian)
        .filter((v) => /^\d+$/.test(v) && existsSync(path.join(debian, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const newest = versions[0];
  if (newest !== undefined) return path.join(debian, newest, 'bin');
  const onPath = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return path.dirname(onPath);
  throw new Error(
    'PostgreSQL is not installed: install it (Debian: apt-get install postgresql) or set PG_BIN to the directory ' +
      'of its initdb and postgres',
  );
}

/** The uid and gid PostgreSQL runs as: ours, or as root those of NSE_FLOW_PG_USER (default nobody). */
function runAs(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.NSE_FLOW_PG_USER || 'nobody';
  const id = (flag: string): number => {
    const result = spawnSync('id', [flag, name], { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(`PostgreSQL cannot run as root, and user '${name}' does not exist: set NSE_FLOW_PG_USER`);
    }
    return Number(result.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g'), name };
}

/** A command line that runs `command` as the PostgreSQL user. */
function asPgUser(command: string, args: string[]): [string, string[]] {
  const user = runAs();
  if (!user) return [command, args];
  return ['setpriv', [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--', command, ...args]];
}

/** Creates and initialises the data directory unless it already holds a cluster (PG_VERSION). */
function initDataDir(options: PostgresOptions): void {
  const { dataDir } = options;
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) return;
  const bin = findPostgresBin();
  const user = runAs();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) {
    chownSync(dataDir, user.uid, user.gid);
    const [cmd, args] = asPgUser('test', ['-w', dataDir]);
    if (spawnSync(cmd, args).status !== 0) {
      throw new Error(
        `user '${user.name}' cannot write ${dataDir} (a parent directory is closed to it): move the checkout, ` +
          'set NSE_FLOW_CLUSTER_DIR to a directory it can reach, or choose another user with NSE_FLOW_PG_USER',
      );
    }
  }
  options.log(`initdb ${dataDir}${user ? ` as user ${user.name}` : ''}`);
  // Next to the data directory: initdb wants that one empty.
  const passwordFile = `${dataDir}.initdb-password`;
  writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
  if (user) chownSync(passwordFile, user.uid, user.gid);
  const [cmd, args] = asPgUser(path.join(bin, 'initdb'), [
    '--pgdata',
    dataDir,
    '--username',
    PG_USER,
    `--pwfile=${passwordFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  const result = spawnSync(cmd, args, { encoding: 'utf8' });
  rmSync(passwordFile, { force: true });
  if (result.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true }); // half initialised: the next start begins afresh
    throw new Error(`initdb failed:\n${result.stdout}${result.stderr}`);
  }
}

/**
 * Stops a PostgreSQL left running on our data directory by an earlier start that was killed before it could stop
 * it (the server runs in its own process group, so it outlives a SIGKILLed parent). Its pid is the first line of
 * postmaster.pid.
 */
async function stopLeftover(options: PostgresOptions): Promise<void> {
  const pidFile = path.join(options.dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!Number.isInteger(pid) || pid <= 0 || !alive()) return;
  options.log(`stopping the PostgreSQL an earlier run left on ${options.dataDir} (pid ${pid})`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; alive(); waited += 100) {
    if (waited > 30_000) throw new Error(`PostgreSQL pid ${pid} on ${options.dataDir} does not stop`);
    await sleep(100); // waiting for a foreign process to exit
  }
}

/** Starts `postgres` on 127.0.0.1:port and resolves once it accepts connections. */
export async function startPostgres(options: PostgresOptions): Promise<RunningPostgres> {
  initDataDir(options);
  await stopLeftover(options);
  const bin = findPostgresBin();
  const settings = {
    listen_addresses: '127.0.0.1',
    port: String(options.port),
    unix_socket_directories: '',
    max_connections: '200',
  };
  const [command, args] = asPgUser(path.join(bin, 'postgres'), [
    '-D',
    options.dataDir,
    ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ]);
  const service = startService({ name: 'postgres', command, args, logFile: options.logFile, detached: true });
  const pgIsReady = path.join(bin, 'pg_isready');
  const probe = promisify(execFile);
  // SIGINT is PostgreSQL's fast shutdown: open sessions end, the data is checkpointed.
  const stop = (): Promise<void> => service.stop('SIGINT', 30_000);
  try {
    await waitUntilReady(service, `postgres on 127.0.0.1:${options.port}`, () =>
      probe(pgIsReady, ['-q', '-h', '127.0.0.1', '-p', String(options.port), '-U', PG_USER]),
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port: options.port, service, stop };
}
