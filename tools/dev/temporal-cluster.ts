/**
 * The Temporal side of `npm run cluster`: the server built from go.temporal.io/server (all four services in one
 * process, as the temporalio/server image runs them) with a configuration written here, SQL persistence and SQL
 * visibility on PostgreSQL, several history shards; the schema and namespace scripts of deploy/ (the same files
 * docker-compose.yml runs); and the Web UI server.
 * @module
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import {
  DEFAULT_TASK_QUEUE,
  nseTaskQueue,
  SEARCH_ATTRIBUTE_KEYS,
  searchAttributeTypeName,
} from '../../src/shared/workflow-api';
import { PG_USER } from './postgres';
import { startService, waitUntilReady, type ServiceProcess } from './service-process';
import {
  MATCHING_DYNAMIC_CONFIG,
  ONE_PARTITION_DYNAMIC_CONFIG,
  PAYLOAD_DYNAMIC_CONFIG,
  REPO_ROOT,
} from './temporal-dev-server';

/** Paths `scripts/install-cluster-tools.sh` prints. */
export interface ClusterTools {
  server: string;
  sqlTool: string;
  uiServer: string;
  schemaDir: string;
  /** The `temporal` CLI, for deploy/create-namespace.sh. */
  cli: string;
}

/** Every port the server listens on, all on 127.0.0.1. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  membership: { frontend: number; history: number; matching: number; worker: number };
  metrics: number;
}

export interface ServerSettings {
  /** The cluster folder: config/, logs/. */
  dir: string;
  ports: ServerPorts;
  postgresPort: number;
  postgresPassword: string;
  historyShards: number;
}

/** The namespace `npm run cluster` creates and the workers use. */
export const CLUSTER_NAMESPACE = 'default';

/** Runs a one-shot script of deploy/ with `sh`, as the compose file's admin-tools containers do; rejects on failure. */
async function runDeployScript(script: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  try {
    const { stdout } = await promisify(execFile)('sh', [path.join(REPO_ROOT, 'deploy', script)], {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const line of stdout.trimEnd().split('\n')) if (line) log(line);
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`deploy/${script} failed: ${failed.stderr || failed.stdout || failed.message}`);
  }
}

/** deploy/setup-postgres.sh against our PostgreSQL: creates both databases and brings the schemas up to date. */
export async function setupSchemas(
  tools: ClusterTools,
  settings: Pick<ServerSettings, 'postgresPort' | 'postgresPassword'>,
  log: (line: string) => void,
): Promise<void> {
  await runDeployScript(
    'setup-postgres.sh',
    {
      PATH: `${path.dirname(tools.sqlTool)}:${process.env.PATH ?? ''}`,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(settings.postgresPort),
      POSTGRES_USER: PG_USER,
      POSTGRES_PWD: settings.postgresPassword,
      SCHEMA_DIR: tools.schemaDir,
    },
    log,
  );
}

/** deploy/create-namespace.sh: the namespace and the Nse* search attributes. */
export async function createNamespace(
  tools: ClusterTools,
  address: string,
  log: (line: string) => void,
): Promise<void> {
  await runDeployScript(
    'create-namespace.sh',
    {
      PATH: `${path.dirname(tools.cli)}:${process.env.PATH ?? ''}`,
      TEMPORAL_ADDRESS: address,
      NAMESPACE: CLUSTER_NAMESPACE,
      SEARCH_ATTRIBUTES: SEARCH_ATTRIBUTE_KEYS.map((key) => `${key.name}:${searchAttributeTypeName(key)}`).join(' '),
    },
    log,
  );
}

function sqlStore(database: string, settings: ServerSettings, maxConns: number): string {
  return `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${settings.postgresPort}"
        connectProtocol: tcp
        user: ${PG_USER}
        password: "${settings.postgresPassword}"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
}

function service(rpc: { grpc: number; membership: number; http?: number }): string {
  return `
    rpc:
      grpcPort: ${rpc.grpc}
      membershipPort: ${rpc.membership}
      bindOnIP: 127.0.0.1${rpc.http === undefined ? '' : `\n      httpPort: ${rpc.http}`}`;
}

/**
 * The server's static configuration (the image's config_template.yaml with DB=postgres12, rendered for one host):
 * SQL persistence and visibility, `historyShards` shards, Prometheus metrics, no archival.
 */
function serverConfigYaml(settings: ServerSettings): string {
  const { ports } = settings;
  return `# Written by npm run cluster (tools/dev/temporal-cluster.ts) at every start; edits are overwritten.
log:
  stdout: true
  level: info
persistence:
  numHistoryShards: ${settings.historyShards}
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:${sqlStore('temporal', settings, 20)}
    visibility:${sqlStore('temporal_visibility', settings, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  metrics:
    prometheus:
      framework: tally
      timerType: histogram
      listenAddress: "127.0.0.1:${ports.metrics}"
services:
  frontend:${service({ grpc: ports.frontend, membership: ports.membership.frontend, http: ports.frontendHttp })}
  history:${service({ grpc: ports.history, membership: ports.membership.history })}
  matching:${service({ grpc: ports.matching, membership: ports.membership.matching })}
  worker:${service({ grpc: ports.worker, membership: ports.membership.worker })}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:${ports.frontend}"
      httpAddress: "127.0.0.1:${ports.frontendHttp}"
dcRedirectionPolicy:
  policy: noop
publicClient:
  hostPort: "127.0.0.1:${ports.frontend}"
dynamicConfigClient:
  filepath: "${path.join(settings.dir, 'config', 'dynamicconfig.yaml')}"
  pollInterval: 60s
`;
}

/**
 * Dynamic config: the server's defaults (as in production; unlike the dev server, search attributes are not
 * re-read on every call), plus the Nexus callback address a real deployment must set for its own frontend, and the
 * matcher settings for priorities and fairness, one partition for the NSE queue, and the history service's message
 * limit above gRPC's (as deploy/dynamicconfig.yaml).
 */
function dynamicConfigYaml(ports: ServerPorts): string {
  const settings = Object.entries({ ...MATCHING_DYNAMIC_CONFIG, ...PAYLOAD_DYNAMIC_CONFIG }).map(
    ([key, value]) => `${key}:\n  - value: ${value}\n`,
  );
  const nseQueue = nseTaskQueue(DEFAULT_TASK_QUEUE);
  for (const [key, value] of Object.entries(ONE_PARTITION_DYNAMIC_CONFIG))
    settings.push(`${key}:\n  - value: ${value}\n    constraints:\n      taskQueueName: "${nseQueue}"\n`);
  return `# Written by npm run cluster at every start.
${settings.join('')}component.nexusoperations.callback.endpoint.template:
  - value: "http://127.0.0.1:${ports.frontendHttp}/namespaces/{{.NamespaceName}}/nexus/callback"
component.callbacks.allowedAddresses:
  - value:
      - Pattern: "127.0.0.1:${ports.frontendHttp}"
        AllowInsecure: true
`;
}

/** Writes config/cluster.yaml and config/dynamicconfig.yaml under the cluster folder. */
function writeServerConfig(settings: ServerSettings): void {
  const configDir = path.join(settings.dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(path.join(configDir, 'cluster.yaml'), serverConfigYaml(settings), { mode: 0o600 });
  writeFileSync(path.join(configDir, 'dynamicconfig.yaml'), dynamicConfigYaml(settings.ports));
}

/** Starts `temporal-server start` on the written configuration and waits until the frontend answers. */
export async function startTemporalServer(tools: ClusterTools, settings: ServerSettings): Promise<ServiceProcess> {
  writeServerConfig(settings);
  const server = startService({
    name: 'temporal-server',
    command: tools.server,
    args: ['--root', settings.dir, '--config', 'config', '--env', 'cluster', '--allow-no-auth', 'start'],
    logFile: path.join(settings.dir, 'logs', 'temporal-server.log'),
    detached: true,
  });
  const address = `127.0.0.1:${settings.ports.frontend}`;
  try {
    await waitUntilReady(server, `the Temporal server at ${address}`, async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
    });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** Starts the Web UI server (the version the dev server embeds) against the frontend; resolves once it serves. */
export async function startUiServer(
  tools: ClusterTools,
  dir: string,
  frontendPort: number,
  uiPort: number,
): Promise<ServiceProcess> {
  const uiDir = path.join(dir, 'ui');
  mkdirSync(path.join(uiDir, 'config'), { recursive: true });
  writeFileSync(
    path.join(uiDir, 'config', 'cluster.yaml'),
    [
      '# Written by npm run cluster at every start.',
      `temporalGrpcAddress: "127.0.0.1:${frontendPort}"`,
      'host: 127.0.0.1',
      `port: ${uiPort}`,
      'enableUi: true',
      `defaultNamespace: ${CLUSTER_NAMESPACE}`,
      'notifyOnNewVersion: false',
      'hideLogs: true',
      'cors:',
      '  cookieInsecure: true # plain http on 127.0.0.1, as the dev server',
      '',
    ].join('\n'),
  );
  const ui = startService({
    name: 'temporal-ui-server',
    command: tools.uiServer,
    args: ['--root', uiDir, '--config', 'config', '--env', 'cluster', 'start'],
    logFile: path.join(dir, 'logs', 'temporal-ui-server.log'),
  });
  await waitUntilReady(ui, `the Web UI on port ${uiPort}`, async () => {
    const response = await fetch(`http://127.0.0.1:${uiPort}/api/v1/namespaces/${CLUSTER_NAMESPACE}`);
    if (!response.ok) throw new Error(`answered ${response.status}`);
  });
  return ui;
}
