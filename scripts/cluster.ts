/**
 * `npm run cluster`: nse-flow on a production-like local cluster (tools/dev/cluster.ts): PostgreSQL, the Temporal
 * server with SQL persistence and visibility and 8 history shards, the Web UI server, the NSE simulator (unless
 * NSE_BASE_URL points at a real NSE) and two workers. State in .cluster/ (NSE_FLOW_CLUSTER_DIR); Ctrl-C stops
 * everything, and the next start finds the runs again. deploy/README.md says what differs from docker-compose.yml.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { removeStackConnection, stackFilePath, writeStackConnection } from '../src/cli/stack-connection';
import { CLUSTER_NAMESPACE, DEFAULT_CLUSTER_DIR, startCluster, type RunningCluster } from '../tools/dev/cluster';
import { SIM_FIXTURES } from '../simulator/fixtures';
import { describeVersion } from '../src/deployment';

function portFrom(variable: string, fallback: number | undefined): number | undefined {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`nse-flow cluster: ${variable}=${raw} is not a port number`);
    process.exit(2);
  }
  return port;
}

function countFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    console.error(`nse-flow cluster: ${variable}=${raw} is not a worker count (1-16)`);
    process.exit(2);
  }
  return n;
}

const started = Date.now();
const log = (line: string): void => {
  process.stdout.write(`[cluster ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
};

let cluster: RunningCluster | undefined;
let stopping = false;
async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping the workers, the simulator, the UI, the Temporal server and PostgreSQL ...');
  if (cluster) removeStackConnection();
  await cluster?.stop();
  log('stopped');
  process.exit(exitCode);
}

async function main(): Promise<void> {
  const dir = path.resolve(process.env.NSE_FLOW_CLUSTER_DIR || DEFAULT_CLUSTER_DIR);
  const externalNse = process.env.NSE_BASE_URL;
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  cluster = await startCluster({
    dir,
    temporalPort: portFrom('TEMPORAL_PORT', 7233),
    uiPort: portFrom('TEMPORAL_UI_PORT', 8233),
    postgresPort: portFrom('NSE_FLOW_PG_PORT', undefined),
    simPort: portFrom('NSE_SIM_PORT', 8080),
    nse: externalNse
      ? { baseUrl: externalNse, username: process.env.NSE_USERNAME ?? '', password: process.env.NSE_PASSWORD ?? '' }
      : undefined,
    workers: countFrom('NSE_FLOW_CLUSTER_WORKERS', 2),
    log,
  });
  const running = cluster;
  for (const service of [running.server, running.ui, running.simulator, ...running.workers]) {
    service?.exited.catch((err: unknown) => {
      if (stopping) return;
      log(`${(err as Error).message}; stopping the cluster`);
      void stop(1);
    });
  }
  // The CLI finds the cluster as it finds `npm start`'s stack (src/cli/stack-connection.ts).
  mkdirSync(path.dirname(stackFilePath()), { recursive: true });
  writeStackConnection({
    pid: process.pid,
    temporal: { address: running.address, namespace: CLUSTER_NAMESPACE, taskQueue: running.taskQueue },
    nse: externalNse ? undefined : { baseUrl: running.nseBaseUrl, ...SIM_FIXTURES.defaultUser },
  });
  const rel = path.relative(process.cwd(), dir) || '.';
  process.stdout.write(
    [
      '',
      `Temporal Web UI:  ${running.uiUrl}`,
      `Temporal gRPC:    ${running.address} (PostgreSQL on 127.0.0.1:${running.postgres.port}, data in ${rel}/postgres)`,
      `NSE:              ${running.nseBaseUrl}${externalNse ? '' : ` (simulator, user ${SIM_FIXTURES.defaultUser.username})`}`,
      `Workers:          ${running.workers.length} processes on task queue ${running.taskQueue}; logs in ${rel}/logs`,
      `Build:            ${running.version ? `${describeVersion(running.version)}, current` : 'unversioned (NSE_FLOW_DEPLOYMENT=none)'}`,
      '',
      'Try it (in another terminal of this folder; the CLI finds the cluster through .temporal/stack.json):',
      '  npx nse-flow provision examples/block-storage.json --wait',
      '',
      `Ctrl-C stops everything; the runs stay in ${rel}/ for the next start.`,
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error(`nse-flow cluster: ${(err as Error).message}`);
  await stop(1);
});
