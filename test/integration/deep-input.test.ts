/**
 * A workflow input nested 20,000 deep, sent as a raw JSON payload the way any SDK or `temporal workflow start` can
 * send it (the TypeScript client itself cannot serialise it), ends its run with InvalidInput in the first workflow
 * task. Before #15 the recursive prototype-key walk threw RangeError, which fails the workflow task: the SDK retries
 * the task, so the run never ended.
 */
import { randomUUID } from 'node:crypto';
import type { google} from '@temporalio/proto';
import { temporal } from '@temporalio/proto';
import { FailureType } from '../../src/shared/failures';
import { rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const DEEP = 20_000;
const nestedArrays = '['.repeat(DEEP) + ']'.repeat(DEEP);

describe('input nested 20,000 deep, sent raw', () => {
  const harness = useTestWorker({ queue: 'deep-input' });

  it.each([
    [
      'nseOperationWorkflow',
      `{"operation":"create-hostgroup","input":{"name":"deep","subtenant_id":"s1","zone":"z","protocol":"iscsi",` +
        `"os_type":"linux","tags":${nestedArrays}}}`,
    ],
    ['nseOperationWorkflow', nestedArrays],
    [
      'provisionWorkflow',
      `{"name":"deep","steps":[{"id":"one","operation":"create-hostgroup","input":{"x":${nestedArrays}}}]}`,
    ],
  ])('%s fails in its first workflow task with InvalidInput and no NSE call', async (workflowType, json) => {
    const workflowId = `deep-input-${randomUUID()}`;
    const before = (await harness.sim.ledger()).requests.length;
    await harness.temporal.client.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      requestId: randomUUID(),
      workflowType: { name: workflowType },
      taskQueue: { name: harness.taskQueue },
      input: { payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(json) }] },
      // A safety net only: before the fix the run retried its first task until this ended it.
      // (protobufjs takes a number where its type says Long.)
      workflowExecutionTimeout: { seconds: 60 } as unknown as google.protobuf.IDuration,
    });
    const handle = harness.temporal.client.workflow.getHandle(workflowId);
    const { error } = await settle(handle);
    expect(rootFailure(error)).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    expect(events.at(-1)?.eventType).toBe(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    expect((await harness.sim.ledger()).requests.slice(before)).toEqual([]);
  });
});
