/**
 * `npm start`: the local stack. The real Temporal dev server (persistent SQLite under .temporal/, Web UI), the NSE
 * simulator (unless NSE_BASE_URL points at a real NSE) and the worker, as child processes. Ctrl-C or SIGTERM stops
 * all of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertPortFree } from '../src/dev/ports';
import { installTemporalCli, REPO_ROOT, startDevServer, type RunningDevServer } from '../src/dev/temporal-dev-server';
import { ensureNexusEndpoint } from '../src/dev/nexus-endpoint';
import { NEXUS_ENDPOINT } from '../src/shared/nexus-service';
import { DEFAULT_TASK_QUEUE } from '../src/shared/workflow-api';
import { SIM_FIXTURES } from '../src/simulator/fixtures';
import { removeStackConnection, writeStackConnection } from '../src/cli/stack-connection';

const DEMO_USER = 'nse-admin';
const DEMO_PASSWORD = 'nse-demo-password'; // the simulator's demo credential, not a real secret

function portFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`nse-flow: ${variable}=${raw} is not a port number`);
    process.exit(2);
  }
  return port;
}

const children: ChildProcess[] = [];
let devServer: RunningDevServer | undefined;
let stopping = false;

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'nse-flow.js'), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`nse-flow: ${name} exited (${signal ?? code}); stopping the stack`);
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

async function stopAll(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  removeStackConnection();
  await devServer?.stop();
  process.exit(exitCode);
}

async function main(): Promise<void> {
  const temporalPort = portFrom('TEMPORAL_PORT', 7233);
  const uiPort = portFrom('TEMPORAL_UI_PORT', 8233);
  const simPort = portFrom('NSE_SIM_PORT', 8080);
  const externalNse = process.env.NSE_BASE_URL;

  await assertPortFree(temporalPort, 'TEMPORAL_PORT');
  await assertPortFree(uiPort, 'TEMPORAL_UI_PORT');
  if (!externalNse) await assertPortFree(simPort, 'NSE_SIM_PORT');

  const cliPath = installTemporalCli();
  const stateDir = path.join(REPO_ROOT, '.temporal');
  mkdirSync(stateDir, { recursive: true });
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  console.log(`starting the Temporal dev server (state in .temporal/nse-flow.db, log in .temporal/server.log) ...`);
  const serverLog = createWriteStream(path.join(stateDir, 'server.log'), { flags: 'a' });
  devServer = await startDevServer({
    cliPath,
    port: temporalPort,
    uiPort,
    dbFile: path.join(stateDir, 'nse-flow.db'),
    logLevel: 'warn',
    output: 'pipe',
  });
  devServer.process.stdout?.pipe(serverLog);
  devServer.process.stderr?.pipe(serverLog);

  // Workflows in other namespaces reach nse-flow through this endpoint (the Nexus service `nse-flow`).
  await ensureNexusEndpoint({
    cliPath,
    address: devServer.address,
    name: NEXUS_ENDPOINT,
    namespace: process.env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: process.env.NSE_FLOW_TASK_QUEUE || DEFAULT_TASK_QUEUE,
  });

  const nseEnv: NodeJS.ProcessEnv = externalNse
    ? {}
    : {
        NSE_BASE_URL: `http://127.0.0.1:${simPort}/api`,
        NSE_USERNAME: DEMO_USER,
        NSE_PASSWORD: DEMO_PASSWORD,
        NSE_AUTH: 'jwt',
      };
  if (!externalNse) {
    startChild('simulator', ['simulator', '--port', String(simPort), '--user', `${DEMO_USER}:${DEMO_PASSWORD}`], {});
  }
  startChild('worker', ['worker'], { ...nseEnv, TEMPORAL_ADDRESS: devServer.address });
  // The CLI reads this when TEMPORAL_* / NSE_* are unset: `npx nse-flow ...` works here with nothing exported.
  writeStackConnection({
    pid: process.pid,
    temporal: {
      address: devServer.address,
      namespace: process.env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: process.env.NSE_FLOW_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    },
    nse: externalNse
      ? undefined
      : { baseUrl: nseEnv.NSE_BASE_URL as string, username: DEMO_USER, password: DEMO_PASSWORD },
  });

  const example = JSON.stringify({
    name: 'demo-hostgroup',
    subtenant_id: SIM_FIXTURES.subtenantId,
    zone: SIM_FIXTURES.zone,
    protocol: 'iscsi',
    os_type: 'linux',
  });
  console.log(
    [
      '',
      `Temporal Web UI:  ${devServer.uiUrl}`,
      `Temporal gRPC:    ${devServer.address}`,
      `Nexus endpoint:   ${NEXUS_ENDPOINT} (service nse-flow: runOperation, runPlan)`,
      `NSE:              ${externalNse ?? `http://127.0.0.1:${simPort}/api (simulator, user ${DEMO_USER})`}`,
      '',
      'Try it (in another terminal of this folder; the CLI finds this stack through .temporal/stack.json):',
      `  npx nse-flow run create-hostgroup --tenant ${SIM_FIXTURES.tenantId} --input '${example}' --wait`,
      '  npx nse-flow list',
      '  npx nse-flow jobs',
      '',
      'Ctrl-C stops everything; runs are kept in .temporal/ for the next start.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error(`nse-flow: ${(err as Error).message}`);
  await stopAll(1);
});
