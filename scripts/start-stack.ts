/**
 * `npm start`: the local stack (tools/stack.ts). The real Temporal dev server (persistent SQLite under .temporal/,
 * Web UI), the NSE simulator (unless NSE_BASE_URL points at a real NSE) and the worker, as child processes. Ctrl-C or
 * SIGTERM stops all of them.
 */
import path from 'node:path';
import { assertPortFree } from '../tools/dev/ports';
import { REPO_ROOT, secureStateDir } from '../tools/dev/temporal-dev-server';
import { Stack } from '../tools/stack';
import { ensureNexusEndpoint } from '../tools/dev/nexus-endpoint';
import { NEXUS_ENDPOINT } from '../src/shared/nexus-service';
import { DEFAULT_TASK_QUEUE } from '../src/shared/workflow-api';
import { SIM_FIXTURES } from '../src/simulator/fixtures';
import { removeStackConnection, writeStackConnection } from '../src/cli/stack-connection';
import { loadCodecConfig } from '../src/codec/config';
import { startUiCodecServer } from '../tools/dev/ui-codec-server';

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

const stack = new Stack((line) => console.error(`nse-flow: ${line}`));

/** Stops the stack (newest part first) and exits; a second call waits for the first. */
async function shutDown(exitCode: number): Promise<never> {
  await stack.stop();
  process.exit(exitCode);
}

function onUnexpectedExit(description: string): void {
  console.error(`nse-flow: ${description}; stopping the stack`);
  void shutDown(1);
}

async function main(): Promise<void> {
  const temporalPort = portFrom('TEMPORAL_PORT', 7233);
  const uiPort = portFrom('TEMPORAL_UI_PORT', 8233);
  const simPort = portFrom('NSE_SIM_PORT', 8080);
  const externalNse = process.env.NSE_BASE_URL;
  // With payload encryption on, the Web UI decodes through a codec server of the stack (see ui-codec-server.ts).
  const codec = loadCodecConfig();
  const codecPort = portFrom('NSE_FLOW_CODEC_SERVER_PORT', 8888);

  await assertPortFree(temporalPort, 'TEMPORAL_PORT');
  await assertPortFree(uiPort, 'TEMPORAL_UI_PORT');
  if (!externalNse) await assertPortFree(simPort, 'NSE_SIM_PORT');
  if (codec) await assertPortFree(codecPort, 'NSE_FLOW_CODEC_SERVER_PORT');

  const stateDir = path.join(REPO_ROOT, '.temporal');
  secureStateDir(stateDir); // clear-text history: the owner's alone
  process.once('SIGINT', () => void shutDown(0));
  process.once('SIGTERM', () => void shutDown(0));

  const codecServer = codec ? await startUiCodecServer(stack, { codec, uiPort, port: codecPort }) : undefined;
  console.log(`starting the Temporal dev server (state in .temporal/nse-flow.db, log in .temporal/server.log) ...`);
  const devServer = await stack.startTemporal({
    port: temporalPort,
    uiPort,
    uiCodecEndpoint: codecServer?.url,
    dbFile: path.join(stateDir, 'nse-flow.db'),
    logFile: path.join(stateDir, 'server.log'),
    logLevel: 'warn',
  });
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = process.env.NSE_FLOW_TASK_QUEUE || DEFAULT_TASK_QUEUE;

  // Workflows in other namespaces reach nse-flow through this endpoint (the Nexus service `nse-flow`).
  await ensureNexusEndpoint({
    cliPath: stack.cliPath,
    address: devServer.address,
    name: NEXUS_ENDPOINT,
    namespace,
    taskQueue,
  });

  const simulator = externalNse
    ? undefined
    : { baseUrl: `http://127.0.0.1:${simPort}/api`, username: DEMO_USER, password: DEMO_PASSWORD };
  if (simulator) {
    stack.startNseFlowProcess({
      name: 'simulator',
      args: ['simulator', '--port', String(simPort), '--user', `${DEMO_USER}:${DEMO_PASSWORD}`],
      onUnexpectedExit,
    });
  }
  const nseEnv: NodeJS.ProcessEnv = simulator
    ? {
        NSE_BASE_URL: simulator.baseUrl,
        NSE_USERNAME: simulator.username,
        NSE_PASSWORD: simulator.password,
        NSE_AUTH: 'jwt',
      }
    : {};
  stack.startNseFlowProcess({
    name: 'worker',
    args: ['worker'],
    env: { ...nseEnv, TEMPORAL_ADDRESS: devServer.address },
    onUnexpectedExit,
  });
  // The CLI reads this when TEMPORAL_* / NSE_* are unset: `npx nse-flow ...` works here with nothing exported.
  writeStackConnection({
    pid: process.pid,
    temporal: { address: devServer.address, namespace, taskQueue },
    nse: simulator,
  });
  stack.defer('the stack connection file', async () => removeStackConnection());

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
      codecServer
        ? `Codec server:     ${codecServer.url} (payloads are encrypted; the Web UI decodes through it, no token, this machine only)`
        : 'Payloads:         not encrypted (set NSE_FLOW_CODEC_KEYS to encrypt them; docs/operations.md)',
      '',
      'Try it (in another terminal of this folder; the CLI finds this stack through .temporal/stack.json):',
      ...(codecServer
        ? ['  export NSE_FLOW_CODEC_KEYS=...   # the same keys: the CLI seals and opens payloads itself']
        : []),
      `  npx nse-flow run create-hostgroup --tenant ${SIM_FIXTURES.tenantId} --input '${example}' --wait`,
      '  npx nse-flow list',
      '  npx nse-flow jobs',
      ...(codecServer
        ? [
            `  temporal workflow show --workflow-id <id> --address ${devServer.address} --codec-endpoint ${codecServer.url}`,
          ]
        : []),
      '',
      'Ctrl-C stops everything; runs are kept in .temporal/ for the next start.',
      '',
    ].join('\n'),
  );
}

main().catch(async (err: unknown) => {
  console.error(`nse-flow: ${(err as Error).message}`);
  await shutDown(1);
});
