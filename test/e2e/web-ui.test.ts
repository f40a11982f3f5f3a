/**
 * The Temporal Web UI (2.42, embedded in the dev server) in a real headless chromium: runs started through
 * NseFlowClient are found by their NseJobId search attribute, and their pages show the static summary, the current
 * details (the built-in `__temporal_workflow_metadata` query, answered by the live worker) and, for a failed run,
 * the failure and its compensation. With UPDATE_SCREENSHOTS=1 the screenshots land in docs/ for the README.
 * The dev server's UI decodes through the stack's codec server, as `npm start` wires it with NSE_FLOW_CODEC_KEYS set:
 * the input, result and failure of an encrypted run read in clear. That worker is versioned as `npm start`'s is
 * (deployment `nse-flow`, its build made current): a run's page names the build it is on, as `nse-flow status` does.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { freePort } from '../../tools/dev/ports';
import type { RunningDevServer } from '../../tools/dev/temporal-dev-server';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { SearchAttributes, type OperationInput } from '../../src/shared/workflow-api';
import { waitFor } from '../helpers/scenario';
import { settle, testBundlePath } from '../helpers/temporal';
import { launchChromium } from '../helpers/ui';
import { useTestWorker } from '../helpers/worker';
import { hostgroupOperation } from '../helpers/fixtures';
import { Stack } from '../../tools/stack';
import { startUiCodecServer } from '../../tools/dev/ui-codec-server';
import { connect, RunFailedError, type NseFlowClient } from '../../src/client';
import { loadCodecConfig } from '../../src/codec/config';
import type { WorkerPair } from '../../src/worker-pair';
import { createConfiguredWorker } from '../helpers/worker';
import { runCli } from '../helpers/cli';
import { buildIdFor, DEFAULT_DEPLOYMENT, setCurrentVersion } from '../../src/deployment';

// The README's screenshots are refreshed only on request, so `npm test` leaves the work tree clean.
const DOCS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? path.join(__dirname, '..', '..', 'docs')
    : mkdtempSync(path.join(os.tmpdir(), 'nse-flow-ui-'));
/** How long a page condition may take: the first page load compiles the UI's scripts. */
const UI_TIMEOUT_MS = 20_000;
const VIEWPORT = { width: 1680, height: 1000 };
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** The keys of the encrypted runs: the worker, the client and the stack's codec server read the same variable. */
const CODEC_ENV = { NSE_FLOW_CODEC_KEYS: `ui-k1:${randomBytes(32).toString('base64')}` };
const HOME = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-ui-home-')); // no user temporal.toml

/** The summary as the UI's markdown renders it (typographic quotes around the name). */
function summaryPattern(name: string): RegExp {
  return new RegExp(`create hostgroup ['‘]${name}['’] for subtenant ${SIM_FIXTURES.subtenantId}`);
}

interface FinishedRun {
  workflowId: string;
  jobId: string;
}

describe('Temporal Web UI', () => {
  const stack = new Stack();
  let server: RunningDevServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let uiUrl: string;
  let succeeded: FinishedRun;
  let failed: FinishedRun;

  // A dev server of its own, with the Web UI decoding through the stack's codec server, as `npm start` starts them;
  // stopped in the last afterAll, after the workers'.
  beforeAll(async () => {
    const uiPort = await freePort();
    const codec = loadCodecConfig(CODEC_ENV);
    if (!codec) throw new Error('no codec keys');
    const codecServer = await startUiCodecServer(stack, { codec, uiPort, port: 0 });
    server = await stack.startTemporal({ uiPort, uiCodecEndpoint: codecServer.url });
    uiUrl = server.uiUrl as string;
  });
  const harness = useTestWorker({ queue: 'web-ui', client: true, address: () => (server as RunningDevServer).address });

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: VIEWPORT });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    mkdirSync(DOCS, { recursive: true });
    [succeeded, failed] = await Promise.all([
      finishedRun(hostgroupOperation('ui-hg01')),
      finishedRun(hostgroupOperation('fail-ui-hg02')),
    ]);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await stack.stop();
  }, 30_000);

  /** Starts a run through the client library, waits for its end, and for visibility to know its NseJobId. */
  async function finishedRun(input: OperationInput): Promise<FinishedRun> {
    const nseFlow = harness.client;
    const handle = await nseFlow.startOperation(input);
    await settle(handle);
    const jobId = (await handle.describe()).typedSearchAttributes.get(SearchAttributes.NseJobId);
    if (!jobId) throw new Error(`run ${handle.workflowId} has no NseJobId`);
    await waitFor(
      'the run in visibility',
      async () =>
        (await nseFlow.list(`NseJobId = '${jobId}'`)).some(
          (run) => run.workflowId === handle.workflowId && run.status !== 'RUNNING',
        ) || undefined,
    );
    return { workflowId: handle.workflowId, jobId };
  }

  /** Opens the workflow list filtered by the run's NseJobId (the UI takes a visibility query as `?query=`), then the run. */
  async function openRunFromList(run: FinishedRun, expectedStatus: 'Completed' | 'Failed'): Promise<void> {
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`NseJobId = "${run.jobId}"`)}`);
    const link = page.getByRole('link', { name: run.workflowId, exact: true });
    await link.waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    await page.locator('tbody tr').getByText(expectedStatus, { exact: true }).waitFor();
    await link.click();
    await page.waitForURL((url) => url.pathname.includes(`/workflows/${run.workflowId}/`));
    await page.getByRole('heading', { name: run.workflowId }).waitFor();
  }

  /** A screenshot without hover effects: the pointer rests on an empty part of the header first. */
  async function screenshot(
    file: string,
    clip?: { x: number; y: number; width: number; height: number },
  ): Promise<void> {
    await page.mouse.move(VIEWPORT.width / 2, 20);
    await page.screenshot({ path: path.join(DOCS, file), clip });
  }

  /** The rendered markdown (the UI puts it in an iframe) under a User Metadata section heading. */
  function markdownUnder(heading: string): FrameLocator {
    return page
      .locator('div')
      .filter({ has: page.getByRole('heading', { name: heading, exact: true }) })
      .filter({ has: page.locator('iframe') })
      .last()
      .frameLocator('iframe')
      .first();
  }

  /** Switches to the User Metadata tab and checks the summary and the current details table. */
  async function expectMetadata(name: string, phase: 'succeeded' | 'failed'): Promise<FrameLocator> {
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await markdownUnder('Summary').getByText(summaryPattern(name)).waitFor();
    const details = markdownUnder('Current Details');
    await details.getByText(summaryPattern(name)).waitFor();
    const phaseRow = details
      .getByRole('row')
      .filter({ has: details.getByRole('cell', { name: 'Phase', exact: true }) });
    await phaseRow.getByRole('cell', { name: phase, exact: true }).waitFor();
    return details;
  }

  it('finds a successful run by NseJobId and shows its summary and current details', async () => {
    const run = succeeded;
    await openRunFromList(run, 'Completed');
    const details = await expectMetadata('ui-hg01', 'succeeded');
    await details.getByRole('cell', { name: `${run.jobId} (NORMAL)` }).waitFor();
  });

  it('shows a failed run: the NseJobFailed failure, the undo, and the current details', async () => {
    const run = failed;
    await openRunFromList(run, 'Failed');

    // History tab: the failure in the result, and the compensating delete in the event timeline.
    await page
      .getByText(/ended ERROR: Simulated failure/)
      .first()
      .waitFor();
    await page.getByText('"NseJobFailed"').first().waitFor();
    await page
      .getByText(/delete hostgroup '[0-9a-f]{24}'/)
      .first()
      .waitFor();
    // The failure's stack trace names the workflow's files relative to the project (src/bundler-options.ts).
    await page
      .getByText(/at \S+ \(src\/workflows\//)
      .first()
      .waitFor();
    await expect(page.getByText(PROJECT_ROOT).count()).resolves.toBe(0);
    await screenshot('web-ui-failed-run.png');

    const details = await expectMetadata('fail-ui-hg02', 'failed');
    await details.getByRole('cell', { name: `${run.jobId} (ERROR)` }).waitFor();
    await details.getByText(/compensated: delete-hostgroup job [0-9a-f]{24} ended NORMAL/).waitFor();
    await screenshot('web-ui-failed-run-details.png');
  });

  it('lists both runs of the tenant with their search attributes as columns', async () => {
    await page.goto(
      `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`NseTenantId = "${SIM_FIXTURES.tenantId}"`)}`,
    );
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    // The table's column settings (kept in the browser's local storage): the Nse* attributes instead of run id and times.
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    for (const column of ['Run ID', 'Type', 'Start', 'End'])
      await page.getByRole('button', { name: `Remove ${column} column`, exact: true }).click();
    for (const column of ['NsePhase', 'NseJobState', 'NseJobId'])
      await page.getByRole('button', { name: `Add ${column} column`, exact: true }).click();
    await page.locator('#workflows-table-configuration-drawer').getByRole('button', { name: 'Close' }).first().click();
    await page.locator('#workflows-table-configuration-drawer').waitFor({ state: 'hidden' });

    for (const [run, status, phase, state] of [
      [failed, 'Failed', 'failed', 'ERROR'],
      [succeeded, 'Completed', 'succeeded', 'NORMAL'],
    ] as const) {
      const row = rows.filter({ hasText: run.workflowId });
      for (const cell of [status, phase, state, run.jobId])
        await row.getByRole('cell', { name: cell, exact: true }).waitFor();
    }
    await expect(rows.count()).resolves.toBe(2);
    await screenshot('web-ui-runs.png', { x: 0, y: 0, width: VIEWPORT.width, height: 360 });
  });
  describe('a run of the worker as `npm start` runs it: encrypted and versioned', () => {
    let worker: { pair: WorkerPair; running: Promise<void>; nse: { close(): void } } | undefined;
    let client: NseFlowClient | undefined;
    let version: WorkerDeploymentVersion;
    // Declared before the test worker's hooks: the worker must stop before their connection closes.
    afterAll(async () => {
      await client?.close();
      worker?.pair.shutdown();
      await worker?.running;
      worker?.nse.close();
    });
    // Its own task queue and simulator; the worker is built from the production configuration with the codec keys,
    // in the deployment `nse-flow` (the tests' helpers run workers unversioned unless told).
    const encrypted = useTestWorker({
      queue: 'web-ui-encrypted',
      worker: false,
      address: () => (server as RunningDevServer).address,
    });

    beforeAll(async () => {
      const env = { HOME, ...CODEC_ENV, NSE_FLOW_DEPLOYMENT: DEFAULT_DEPLOYMENT };
      const { worker: pair, nse, version: joined } = await createConfiguredWorker(encrypted, env);
      worker = { pair, running: pair.run(), nse };
      if (!joined) throw new Error('the worker should be versioned');
      version = joined;
      // As `npm start` does: the worker takes tasks once its build is current.
      await setCurrentVersion(encrypted.temporal.client.connection, 'default', version);
      client = await connect({
        address: encrypted.temporal.address,
        taskQueue: encrypted.taskQueue,
        env: { HOME, ...CODEC_ENV },
      });
    });

    /** Opens a run's page (its history tab) and waits for the heading. */
    async function openRun(workflowId: string): Promise<void> {
      await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
      await page.getByRole('heading', { name: workflowId }).waitFor();
    }

    it('shows its input and result decoded, where the server holds only ciphertext', async () => {
      const nseFlow = client as NseFlowClient;
      const name = `ui-enc-${randomBytes(3).toString('hex')}`;
      const handle = await nseFlow.startOperation(hostgroupOperation(name));
      await nseFlow.result(handle.workflowId);
      // Without the codec the history holds no clear text of the run (test/integration/codec.test.ts checks each
      // payload); here the page must show the name from the input, the job's state from the result and the summary.
      await expect(encrypted.temporal.client.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(
        /binary\/encrypted/,
      );
      await openRun(handle.workflowId);
      await page.getByText(`"name": "${name}"`).first().waitFor();
      await page.getByText(`"objectName": "${name}"`).first().waitFor();
      await page.getByText(summaryPattern(name)).first().waitFor();
      await expect(page.getByText('binary/encrypted').count()).resolves.toBe(0);
    });

    it('shows its failure decoded: the message NSE gave and the undo', async () => {
      const nseFlow = client as NseFlowClient;
      const name = `fail-ui-enc-${randomBytes(3).toString('hex')}`;
      const handle = await nseFlow.startOperation(hostgroupOperation(name));
      await expect(nseFlow.result(handle.workflowId)).rejects.toThrow(RunFailedError);
      await openRun(handle.workflowId);
      await page
        .getByText(/ended ERROR: Simulated failure/)
        .first()
        .waitFor();
      await page.getByText('"NseJobFailed"').first().waitFor();
      // The UI (2.42) shows the decoded message and stack trace under `encodedAttributes`; the failure's own
      // `message` stays "Encoded failure", as the server holds it.
      await page
        .getByText(/delete hostgroup '[0-9a-f]{24}'/)
        .first()
        .waitFor();
    });

    /** The value the run page's details show under `label` (the UI lists them as <dd> label, <dt> value). */
    function detail(label: string): Locator {
      return page.getByLabel('workflow details').locator(`dd:text-is("${label}") + dt`);
    }

    /** `nse-flow status <workflowId>` as a person runs it against this stack (with the codec keys). */
    async function statusLine(workflowId: string): Promise<string> {
      const env = { TEMPORAL_ADDRESS: encrypted.temporal.address, NSE_FLOW_TASK_QUEUE: encrypted.taskQueue, HOME };
      const { code, stdout, stderr } = await runCli(['status', workflowId], { ...env, ...CODEC_ENV });
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      return stdout;
    }

    it('shows the build a run is on and its versioning behaviour, as `nse-flow status` names them', async () => {
      const nseFlow = client as NseFlowClient;
      const { deploymentName, buildId } = version;
      expect(deploymentName).toBe('nse-flow');
      // The default build id: the package version and the hash of the bundle the worker runs.
      expect(buildId).toBe(buildIdFor(readFileSync(testBundlePath(true), 'utf8')));
      // A run held for a decision stays open on its build.
      const name = `fail-ui-held-${randomBytes(3).toString('hex')}`;
      const handle = await nseFlow.startOperation({ ...hostgroupOperation(name), onFailure: 'hold' });
      const { workflowId } = handle;
      await waitFor('the run to await a decision', async () => {
        const status = await nseFlow.getStatus(workflowId);
        return 'phase' in status && status.phase === 'awaiting-decision' ? status : undefined;
      });

      expect(await statusLine(workflowId)).toContain(
        `build: ${buildId} (deployment ${deploymentName}), pinned: it stays on this build until it ends\n`,
      );
      // The workflow list has the version as a column to add, `<deployment>:<build id>`; the run's page has the
      // deployment, the build id and the behaviour among its details.
      await page.goto(
        `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(`WorkflowId = "${workflowId}"`)}`,
      );
      const link = page.getByRole('link', { name: workflowId, exact: true });
      await link.waitFor();
      await page.getByTestId('workflows-summary-table-configuration-button').click();
      await page.getByRole('button', { name: 'Add Deployment Version column', exact: true }).click();
      await page
        .locator('#workflows-table-configuration-drawer')
        .getByRole('button', { name: 'Close' })
        .first()
        .click();
      const row = page.locator('tbody tr').filter({ hasText: workflowId });
      await row.getByRole('cell', { name: `${deploymentName}:${buildId}`, exact: true }).waitFor();
      await link.click();
      await detail('Deployment').getByRole('link', { name: deploymentName, exact: true }).waitFor();
      await detail('Build ID').getByText(buildId, { exact: true }).waitFor();
      await detail('Versioning Behavior').getByText('Pinned', { exact: true }).waitFor();

      // An operator moves the run off its pin (docs/operations.md, "Versioned deploys"): both say so.
      await encrypted.temporal.client.workflowService.updateWorkflowExecutionOptions({
        namespace: 'default',
        workflowExecution: { workflowId },
        workflowExecutionOptions: { versioningOverride: { autoUpgrade: true } },
        updateMask: { paths: ['versioning_override'] },
      });
      expect(await statusLine(workflowId)).toContain(
        `build: ${buildId} (deployment ${deploymentName}), auto-upgrade: it moves to the current build at its next step\n`,
      );
      await page.getByRole('link', { name: 'Back to Workflows' }).click();
      await link.click();
      await detail('Versioning Behavior').getByText('AutoUpgrade', { exact: true }).waitFor();
      await detail('Build ID').getByText(buildId, { exact: true }).waitFor();
    });
  });
});
