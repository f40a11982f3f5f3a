/**
 * `npm start`: the local stack (tools/stack.ts). The real Temporal dev server (persistent SQLite under .temporal/,
 * Web UI), the NSE simulator (unless NSE_BASE_URL points at a real NSE) and the worker, as child processes. The
 * workflow code is bundled once into .temporal/, and the worker's build (deployment `nse-flow`, build id from that
 * bundle) is made current, as a rollout would (docs/operations.md, "Versioned deploys"). Ctrl-C or SIGTERM stops all.
 */
import path from 'node:path';
import { assertPortFree } from '../tools/dev/ports';
import { REPO_ROOT, secureStateDir } from '../tools/dev/temporal-dev-server';
import { Stack } from '../tools/stack';
import { ensureNexusEndpoint } from '../tools/dev/nexus-endpoint';
import { NEXUS_ENDPOINT } from '../src/shared/nexus-service';
import { DEFAULT_TASK_QUEUE } from '../src/shared/workflow-api';
import { SIM_FIXTURES } from '../simulator/fixtures';
import { removeStackConnection, writeStackConnection } from '../src/cli/stack-connection';
import { loadCodecConfig } from '../src/codec/config';
import { startUiCodecServer } from '../tools/dev/ui-codec-server';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { describeVersion } from '../src/deployment';
import { bundleWorkflows } from '../tools/bundle-workflows';
import { makeCurrent, stackVersion } from '../tools/dev/deployment';

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
  console.log('starting the Temporal dev server (state in .temporal/nse-flow.db, log in .temporal/server.log)');
  console.log('bundling the workflow code into .temporal/workflow-bundle.js ...');
  const bundle = path.join(stateDir, 'workflow-bundle.js');
  const [devServer] = await Promise.all([
    stack.startTemporal({
      port: temporalPort,
      uiPort,
      uiCodecEndpoint: codecServer?.url,
      dbFile: path.join(stateDir, 'nse-flow.db'),
      logFile: path.join(stateDir, 'server.log'),
      logLevel: 'warn',
    }),
    // With payload encryption the worker needs the bundle whose failure converter encrypts failure messages.
    bundleWorkflows(bundle, undefined, { encryptedFailures: codec !== undefined }),
  ]);
  const version = stackVersion(process.env, bundle);
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
      entry: 'simulator',
      args: ['--port', String(simPort), '--user', `${DEMO_USER}:${DEMO_PASSWORD}`],
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
  // The CLI reads this when TEMPORAL_* / NSE_* are unset: `npx nse-flow ...` works here with nothing exported.
  writeStackConnection({
    pid: process.pid,
    temporal: { address: devServer.address, namespace, taskQueue },
    nse: simulator,
  });
  stack.defer('the stack connection file', async () => removeStackConnection());

  // What a person needs comes first; the worker's log lines follow it.
  console.log(
    banner({ uiUrl: devServer.uiUrl, address: devServer.address, externalNse, simPort, codecServer, version }),
  );
  stack.startNseFlowProcess({
    name: 'worker',
    args: ['worker'],
    env: { ...nseEnv, TEMPORAL_ADDRESS: devServer.address, NSE_FLOW_WORKFLOW_BUNDLE: bundle },
    onUnexpectedExit,
  });
  if (version) await makeCurrent(devServer.address, namespace, version);
  console.log(
    `\nnse-flow: ready${version ? `; build ${describeVersion(version)} is current` : ''}. Try the commands above.\n`,
  );
}

/** The addresses of the stack and the commands to try, for a person reading the terminal. */
function banner(info: {
  uiUrl: string | undefined;
  address: string;
  externalNse: string | undefined;
  simPort: number;
  codecServer: { url: string } | undefined;
  version: WorkerDeploymentVersion | undefined;
}): string {
  const { codecServer, version } = info;
  const example = JSON.stringify({
    name: 'demo-hostgroup',
    subtenant_id: SIM_FIXTURES.subtenantId,
    zone: SIM_FIXTURES.zone,
    protocol: 'iscsi',
    os_type: 'linux',
  });
  return [
    '',
    `Temporal Web UI:  ${info.uiUrl}`,
    `Temporal gRPC:    ${info.address}`,
    `Nexus endpoint:   ${NEXUS_ENDPOINT} (service nse-flow: runOperation, runPlan)`,
    `NSE:              ${info.externalNse ?? `http://127.0.0.1:${info.simPort}/api (simulator, user ${DEMO_USER})`}`,
    codecServer
      ? `Codec server:     ${codecServer.url} (payloads are encrypted; the Web UI decodes through it, no token, this machine only)`
      : 'Payloads:         not encrypted (set NSE_FLOW_CODEC_KEYS to encrypt them; docs/operations.md)',
    `Worker build:     ${version ? describeVersion(version) : 'unversioned (NSE_FLOW_DEPLOYMENT=none)'}`,
    '',
    'Try it (in another terminal of this folder; the CLI finds this stack through .temporal/stack.json):',
    ...(codecServer
      ? ['  export NSE_FLOW_CODEC_KEYS=...   # the same keys: the CLI seals and opens payloads itself']
      : []),
    `  npx nse-flow run create-hostgroup --tenant ${SIM_FIXTURES.tenantId} --idempotency-key demo-1 --wait --input '${example}'`,
    '  npx nse-flow list',
    '  npx nse-flow status nse-flow-op-demo-1   (its phase, job and the build it runs on)',
    '  npx nse-flow jobs',
    '  (README.md, "What you will see", goes on from there; the simulator\'s name rules: docs/simulator.md)',
    ...(codecServer
      ? [`  temporal workflow show --workflow-id <id> --address ${info.address} --codec-endpoint ${codecServer.url}`]
      : []),
    '',
    'Ctrl-C stops everything; runs are kept in .temporal/ for the next start. The worker logs below.',
    '',
  ].join('\n');
}

main().catch(async (err: unknown) => {
  console.error(`nse-flow: ${(err as Error).message}`);
  await shutDown(1);
});
