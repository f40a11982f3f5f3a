/**
 * A caller in another language: examples/python/nse_flow_caller.py, with the Python `temporalio` package alone, runs
 * against the test dev server and a test worker; what it saw must match the contract (docs/contract.md).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import { operationStartMetadata } from '../../src/client';
import { fullContract } from '../../src/contract/json-schema';
import { SearchAttributes } from '../../src/shared/workflow-api';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FAST_POLL, hostgroupFields } from '../helpers/fixtures';
import { PYTHON_EXAMPLE_DIR, pythonWithTemporalio } from '../helpers/python';
import { useTestWorker } from '../helpers/worker';

const run = promisify(execFile);

interface Outcome {
  workflowId: string;
  result?: Record<string, unknown>;
  failure?: { type: string; message: string; details?: unknown[] };
}

interface Seen {
  accepted: { workflowId: string; runId: string; nseJobId?: string };
  planAccepted: { workflowId: string; runId: string; step?: string; stepWorkflowId?: string; nseJobId?: string };
  operation: Outcome;
  plan: Outcome;
  jobFailed: Outcome;
  invalid: Outcome;
  status: Record<string, unknown>;
  cancelled: Outcome;
  existing?: string[];
}

const ajv = new Ajv2020({ strict: true, strictRequired: false });
ajv.addSchema(fullContract(), 'contract');
const conforms = (definition: string, value: unknown): boolean => ajv.validate(`contract#/$defs/${definition}`, value);

describe('a Python caller (temporalio package only)', () => {
  // The caller's slow run reads its job once a minute: its undo after the cancel is done at the first read.
  const quickUndo = { match: { operation: 'delete-hostgroup', name: 'py-*-slow' }, states: ['NORMAL' as const] };
  const harness = useTestWorker({ queue: 'python-caller', client: true, simulator: { rules: [quickUndo] } });
  let python: string;
  let seen: Seen;
  /** The same caller run again with the same key, as examples/python/README.md describes. */
  let again: { seen: Seen; stderr: string };
  const key = `k${Date.now().toString(36)}`;

  const runCaller = async (): Promise<{ seen: Seen; stderr: string }> => {
    const { stdout, stderr } = await run(
      python,
      [
        path.join(PYTHON_EXAMPLE_DIR, 'nse_flow_caller.py'),
        ...['--address', harness.temporal.address, '--task-queue', harness.taskQueue, '--key', key],
        ...['--tenant', SIM_FIXTURES.tenantId, '--subtenant', SIM_FIXTURES.subtenantId, '--zone', SIM_FIXTURES.zone],
      ],
      { timeout: 120_000 },
    );
    return { seen: JSON.parse(stdout) as Seen, stderr };
  };

  beforeAll(async () => {
    python = await pythonWithTemporalio();
    ({ seen } = await runCaller());
    again = await runCaller();
  }, 400_000);

  it('runs an operation to its result, under the idempotency key id', () => {
    expect(seen.operation.workflowId).toBe(`nse-flow-op-${key}-op`);
    expect(seen.operation.result).toMatchObject({ operation: 'create-hostgroup', job: { state: 'NORMAL' } });
    expect(conforms('OperationResult', seen.operation.result)).toBe(true);
    // Started with update-with-start of `accepted`: the job id came back before the result.
    expect(seen.accepted).toMatchObject({ workflowId: seen.operation.workflowId, nseJobId: expect.any(String) });
    expect((seen.operation.result?.job as { id: string }).id).toBe(seen.accepted.nseJobId);
  });

  it('runs a plan whose steps refer to each other, started with the accepted update', () => {
    expect(seen.plan.workflowId).toBe(`nse-flow-plan-${key}-plan`);
    // The first step's job id came back before the plan's result.
    expect(seen.planAccepted).toMatchObject({
      workflowId: seen.plan.workflowId,
      step: 'hosts',
      stepWorkflowId: `${seen.plan.workflowId}/hosts`,
      nseJobId: expect.any(String),
    });
    expect((seen.plan.result?.steps as { jobId?: string }[])[0]?.jobId).toBe(seen.planAccepted.nseJobId);
    expect(seen.plan.result).toMatchObject({
      steps: [
        { id: 'hosts', outcome: 'done' },
        { id: 'disk', outcome: 'done' },
      ],
    });
    expect(conforms('ProvisionResult', seen.plan.result)).toBe(true);
  });

  it('reads a typed failure with its details', () => {
    expect(seen.jobFailed.failure).toMatchObject({ type: 'NseJobFailed' });
    const [details] = seen.jobFailed.failure?.details ?? [];
    expect(details).toMatchObject({ job: { state: 'ERROR' }, compensation: { outcome: 'compensated' } });
    expect(conforms('failure:NseJobFailed', details)).toBe(true);
    expect(seen.invalid.failure).toMatchObject({ type: 'InvalidInput' });
    expect(seen.invalid.failure?.message).toContain('input.protocol: required field missing');
  });

  it('queries the status of a running run and cancels it', async () => {
    expect(seen.status).toMatchObject({ operation: 'create-hostgroup', phase: 'polling' });
    expect(conforms('OperationStatus', seen.status)).toBe(true);
    expect(seen.cancelled.failure).toMatchObject({ type: 'Cancelled' });
    const deletes = await harness.sim.requests('DELETE', '/v2.1/hostgroups/*');
    expect(deletes.length).toBeGreaterThanOrEqual(1);
  });

  it('reads the runs of its key on a second run instead of starting them again, and says so', async () => {
    const ids = [seen.operation, seen.plan, seen.jobFailed, seen.invalid, seen.cancelled].map((o) => o.workflowId);
    expect(seen.existing).toBeUndefined();
    expect(again.seen.existing).toEqual(ids);
    expect(again.stderr).toContain(`key ${key}: 5 runs of this key existed already and were read, not started again`);
    const { status: _status, existing: _existing, ...rest } = again.seen;
    const { status: _firstStatus, ...first } = seen;
    expect(rest).toEqual(first);
    // The slow run's last status, read from the closed run: cancelled, its job undone.
    expect(again.seen.status).toMatchObject({ operation: 'create-hostgroup', phase: 'cancelled' });
    // Nothing new reached NSE: one create per name, the second run included.
    const creates = await harness.sim.requests('POST', '/v2.1/hostgroups');
    expect(creates.length).toBe(4); // py-<key>, py-<key>-plan, fail-py-<key>, py-<key>-slow
  });

  it('sets the static summary and details the TypeScript client sets', async () => {
    const input = {
      operation: 'create-hostgroup',
      tenantId: SIM_FIXTURES.tenantId,
      input: hostgroupFields(`py-${key}`),
    };
    const expected = operationStartMetadata(input);
    const description = await harness.temporal.client.workflow.getHandle(seen.operation.workflowId).describe();
    expect(await description.staticSummary()).toBe(expected.staticSummary);
    expect(await description.staticDetails()).toBe(expected.staticDetails);
  });

  it('looks the same in describe as a run of the same input started by the TypeScript client', async () => {
    const { protocol: _left, ...fields } = hostgroupFields(`py-${key}-invalid`);
    const input = { operation: 'create-hostgroup', tenantId: SIM_FIXTURES.tenantId, input: fields, poll: FAST_POLL };
    const tsKey = `${key}-ts-invalid`;
    await expect(harness.client.startOperation(input, { idempotencyKey: tsKey })).rejects.toMatchObject({
      failureType: 'InvalidInput',
    });
    const look = async (workflowId: string) => {
      const handle = harness.temporal.client.workflow.getHandle(workflowId);
      const description = await handle.describe();
      const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      return {
        status: description.status.name,
        summary: await description.staticSummary(),
        details: await description.staticDetails(),
        searchAttributes: Object.fromEntries(
          Object.values(SearchAttributes).map((attribute) => [
            attribute.name,
            description.typedSearchAttributes.get(attribute),
          ]),
        ),
        currentDetails: metadata.currentDetails,
        fairnessKey: description.raw.workflowExecutionInfo?.priority?.fairnessKey,
      };
    };
    const fromPython = await look(seen.invalid.workflowId);
    expect(fromPython).toEqual(await look(`nse-flow-op-${tsKey}`));
    expect(fromPython.searchAttributes).toMatchObject({ NsePhase: 'failed', NseObjectType: 'hostgroup' });
    expect(fromPython.fairnessKey).toBe(SIM_FIXTURES.tenantId);
    expect(fromPython.currentDetails).toContain('input.protocol: required field missing');
  });
});
