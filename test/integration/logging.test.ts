/**
 * Logs of a real worker (built from the production config) whose Temporal Runtime logger is pino writing to a sink:
 * every line is JSON; workflow and activity lines carry workflowId, runId, activityType and attempt; and no line
 * holds an NSE password, token, Authorization header, task token or a job's request_payload credential.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { nseOperationWorkflow } from '../../src/workflows';
import { capturedLogLines, settle } from '../helpers/temporal';
import { createConfiguredWorker, useTestWorker } from '../helpers/worker';
import { hostgroupOperation } from '../helpers/fixtures';

describe('worker logs', () => {
  const harness = useTestWorker({
    queue: 'logging',
    worker: false,
    simulator: {
      rules: [
        // The submit is processed but its answer lost: the retry (attempt 2) adopts the job.
        { match: { method: 'POST', name: 'log-adopt' }, faults: { dropAfterProcessing: { times: 1 } } },
        // Long enough to continue as new (a workflow log line) after two polls.
        { match: { method: 'POST', name: 'log-long' }, states: ['RUNNING', 'RUNNING', 'RUNNING', 'NORMAL'] },
      ],
    },
  });
  const handles: WorkflowHandle[] = [];

  beforeAll(async () => {
    const { worker, nse } = await createConfiguredWorker(harness, {
      HOME: mkdtempSync(path.join(os.tmpdir(), 'nse-flow-logging-')),
    });
    const inputs = [
      hostgroupOperation('log-adopt-hg'),
      hostgroupOperation('log-long-hg', { maxPollsPerRun: 2 }),
      hostgroupOperation('fail-log-hg'),
    ];
    try {
      await worker.runUntil(async () => {
        for (const input of inputs) {
          handles.push(
            await harness.temporal.client.workflow.start(nseOperationWorkflow, {
              taskQueue: harness.taskQueue,
              workflowId: `log-${randomUUID()}`,
              args: [input],
            }),
          );
        }
        await Promise.all(handles.map((h) => settle(h)));
      });
    } finally {
      nse.close();
    }
  });

  it('are JSON lines with the SDK component of every kind', () => {
    expect(capturedLogLines.length).toBeGreaterThan(10);
    const components = new Set(capturedLogLines.map((line) => line.sdkComponent));
    for (const component of ['workflow', 'activity', 'worker']) expect(components.has(component)).toBe(true);
    for (const line of capturedLogLines)
      expect(line).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
  });

  it('tie workflow lines to their run', async () => {
    const longRun = handles[1] as WorkflowHandle;
    const line = capturedLogLines.find((l) => l.sdkComponent === 'workflow' && l.msg === 'continuing as new');
    expect(line).toMatchObject({
      workflowId: longRun.workflowId,
      runId: expect.any(String),
      workflowType: 'nseOperationWorkflow',
      taskQueue: expect.any(String),
      namespace: 'default',
    });
  });

  it('tie activity lines to their run, activity type and attempt', () => {
    const adopted = handles[0] as WorkflowHandle;
    const line = capturedLogLines.find(
      (l) => l.sdkComponent === 'activity' && l.msg === 'adopting NSE job created by an earlier attempt',
    );
    expect(line).toMatchObject({
      workflowId: adopted.workflowId,
      runId: expect.any(String),
      workflowRunId: expect.any(String),
      activityType: 'submitOperation',
      attempt: 2,
      isLocal: false,
    });
    const submitted = capturedLogLines.filter(
      (l) => l.sdkComponent === 'activity' && l.msg === 'submitting NSE operation',
    );
    expect(submitted.map((l) => l.attempt)).toContain(1);
  });

  it('never hold a password, token, Authorization header, task token or request_payload credential', () => {
    const secrets = [
      harness.sim.password,
      SIM_FIXTURES.fakeSecrets.orgPassword,
      SIM_FIXTURES.fakeSecrets.adminPassword,
    ];
    for (const line of capturedLogLines) {
      const text = JSON.stringify(line);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/); // a JWT
      expect(text).not.toMatch(/(Bearer|Basic) [A-Za-z0-9+/=._-]{8,}/);
      if ('taskToken' in line) expect(line.taskToken).toBe('[redacted]');
    }
    // The task token really is in activity metadata, and redacted there.
    expect(capturedLogLines.some((l) => l.sdkComponent === 'activity' && l.taskToken === '[redacted]')).toBe(true);
  });
});
