/**
 * The Nexus service `nse-flow`, called from workflows of another namespace through an endpoint that targets the test
 * worker's task queue: results, typed failures and cancellation reach through.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { CancelledFailure } from '@temporalio/common';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { ensureNexusEndpoint } from '../../tools/dev/nexus-endpoint';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import type { OperationStatus } from '../../src/shared/workflow-api';
import { FAST_POLL, hostgroupFields, hostgroupOperation } from '../helpers/fixtures';
import { waitFor } from '../helpers/scenario';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';
import {
  cancellableOperationThroughNexus,
  operationStartedQuery,
  runOperationThroughNexus,
  runPlanThroughNexus,
} from '../workflows/nexus-caller';

const run = promisify(execFile);

describe('the Nexus service nse-flow', () => {
  let callerWorker: Worker | undefined;
  let callerRunning: Promise<void> | undefined;
  // Declared before the test worker's hooks: the caller worker must stop before their connection closes.
  afterAll(async () => {
    callerWorker?.shutdown();
    await callerRunning;
  });
  // The slow run's undo after the cancel is done at its first read.
  const quickUndo = { match: { operation: 'delete-hostgroup', name: 'nexus-slow-*' }, states: ['NORMAL' as const] };
  const harness = useTestWorker({ queue: 'nexus-handler', simulator: { rules: [quickUndo] } });
  const suffix = randomUUID().slice(0, 8);
  const callerNamespace = `nse-flow-caller-${suffix}`;
  const endpoint = `nse-flow-test-${suffix}`;
  const callerQueue = `nexus-caller-${suffix}`;
  let caller: Client;

  beforeAll(async () => {
    const cliPath = process.env.TEMPORAL_TEST_CLI as string;
    const address = harness.temporal.address;
    await run(cliPath, ['operator', 'namespace', 'create', '--address', address, '--namespace', callerNamespace]);
    await ensureNexusEndpoint({ cliPath, address, name: endpoint, namespace: 'default', taskQueue: harness.taskQueue });
    caller = new Client({ connection: harness.temporal.client.connection, namespace: callerNamespace });
    callerWorker = await Worker.create({
      connection: harness.temporal.nativeConnection,
      namespace: callerNamespace,
      taskQueue: callerQueue,
      workflowsPath: require.resolve('../workflows/nexus-caller'),
    });
    callerRunning = callerWorker.run();
  }, 120_000);

  const start = { taskQueue: callerQueue, workflowExecutionTimeout: '2 minutes' } as const;

  it('runs an operation and returns its result to the calling workflow', async () => {
    const result = await caller.workflow.execute(runOperationThroughNexus, {
      ...start,
      workflowId: `nexus-op-${suffix}`,
      args: [endpoint, hostgroupOperation(`nexus-hg-${suffix}`)],
    });
    expect(result).toMatchObject({ operation: 'create-hostgroup', job: { state: 'NORMAL' } });
  });

  it('runs a plan', async () => {
    const plan = {
      name: 'nexus-plan',
      tenantId: SIM_FIXTURES.tenantId,
      poll: FAST_POLL,
      steps: [{ id: 'hosts', operation: 'create-hostgroup', input: hostgroupFields(`nexus-plan-${suffix}`) }],
    };
    const result = await caller.workflow.execute(runPlanThroughNexus, {
      ...start,
      workflowId: `nexus-plan-${suffix}`,
      args: [endpoint, plan],
    });
    expect(result).toMatchObject({ plan: 'nexus-plan', steps: [{ id: 'hosts', outcome: 'done' }] });
  });

  it('hands the failure type and details of a failed run to the caller', async () => {
    const handle = await caller.workflow.start(runOperationThroughNexus, {
      ...start,
      workflowId: `nexus-fail-${suffix}`,
      args: [endpoint, hostgroupOperation(`fail-nexus-${suffix}`)],
    });
    const { error } = await settle(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: 'NseJobFailed' });
    expect(failure?.details?.[0]).toMatchObject({ compensation: { outcome: 'compensated' } });
  });

  // Issue #24: a null input made the handler read `input.operation` and fail INTERNAL, retried until the caller's
  // schedule-to-close timeout (5 minutes); the gate refuses it as a non-retryable BAD_REQUEST and starts no run.
  it.each([
    ['runOperation', 'null', runOperationThroughNexus, null],
    [
      'runOperation',
      'a lone surrogate',
      runOperationThroughNexus,
      { operation: 'create-hostgroup', input: { name: '\ud800' } },
    ],
    ['runPlan', 'null', runPlanThroughNexus, null],
  ] as const)('%s refuses %s at once with InvalidInput and starts no run', async (_name, _what, workflow, input) => {
    const before = (await harness.sim.ledger()).requests.length;
    const handle = await caller.workflow.start(workflow as typeof runOperationThroughNexus, {
      ...start,
      workflowId: `nexus-bad-${randomUUID()}`,
      args: [endpoint, input as never],
    });
    const { error } = await settle(handle);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(rootFailure(error)).toMatchObject({ type: 'InvalidInput', nonRetryable: true });
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((event) => event.nexusOperationStartedEventAttributes)).toEqual([]);
    expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
  });

  it('cancels the backing run when the calling workflow is cancelled', async () => {
    const handle = await caller.workflow.start(cancellableOperationThroughNexus, {
      ...start,
      workflowId: `nexus-cancel-${suffix}`,
      args: [
        endpoint,
        hostgroupOperation(`nexus-slow-${suffix}`, { initialIntervalMs: 60_000, maxIntervalMs: 60_000 }),
      ],
    });
    await waitFor('the Nexus operation to start', async () =>
      (await handle.query(operationStartedQuery)) ? true : undefined,
    );
    await handle.cancel();
    const { error } = await settle(handle);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

    // The backing run is named after the Nexus request id the caller's history records.
    const history = await handle.fetchHistory();
    const scheduled = history.events?.find((event) => event.nexusOperationScheduledEventAttributes);
    const requestId = scheduled?.nexusOperationScheduledEventAttributes?.requestId;
    const backing = harness.temporal.client.workflow.getHandle(`nse-flow-op-nexus-${requestId}`);
    expect((await backing.describe()).status.name).toBe('CANCELLED');
    const { objectId } = await backing.query<OperationStatus>('status');
    expect(await harness.sim.requests('DELETE', `/v2.1/hostgroups/${objectId}`)).toHaveLength(1);
  });
});
