/**
 * What a run shows is scrubbed of the worker's secrets by value (issue #24): a caller's object name that contains
 * the worker's NSE password reaches NSE exactly, yet the run's summaries (activity summaries, the local activity's
 * result, static summary and details), current details, search attributes, memo, `status` query answer, failure
 * message and the CLI's output never show the password. Workflow code cannot know the password (the sandbox sees
 * only history): before the fix the run's summary `create disk '<password>-db01'` went into every activity summary,
 * the details, the status query and the `NseJobFailed` message. Only the values sent to NSE (the workflow's and the
 * activities' input payloads) hold the name as the caller gave it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connect } from '../../src/client';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { operationStatusQuery } from '../../src/shared/workflow-api';
import { diskFields, FAST_POLL } from '../helpers/fixtures';
import { rootFailure, settle, testAddress } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const BIN = path.join(__dirname, '..', '..', 'bin', 'nse-flow.js');

/** As text, with every payload's bytes decoded (history from the server gives them in base64). */
function asText(value: unknown): string {
  return JSON.stringify(value, (key, field: unknown) => {
    if (field instanceof Uint8Array) return Buffer.from(field).toString('utf8');
    return key === 'data' && typeof field === 'string' ? Buffer.from(field, 'base64').toString('utf8') : field;
  });
}

/** The CLI in a process that does not know the worker's password (no NSE settings at all). */
function cli(args: string[], taskQueue: string): Promise<string> {
  return new Promise((resolve) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_ADDRESS: testAddress() };
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...env, NSE_FLOW_TASK_QUEUE: taskQueue }, timeout: 120_000 },
      (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
  });
}

describe('texts a run shows', () => {
  const harness = useTestWorker({
    queue: 'summaries-scrubbed',
    simulator: { rules: [{ match: { method: 'POST', path: '/v2.1/disks' }, outcome: 'ERROR' }] },
  });

  it('never show the worker password that a caller put into an object name; NSE gets the name', async () => {
    const password = harness.sim.password;
    const name = `${password}-db01`;
    // The client library sets the static summary; in this process it knows the worker's password (one process).
    const client = await connect({ env: { TEMPORAL_ADDRESS: testAddress(), NSE_FLOW_TASK_QUEUE: harness.taskQueue } });
    const input = {
      operation: 'create-disk',
      tenantId: SIM_FIXTURES.tenantId,
      input: diskFields(name),
      poll: FAST_POLL,
    };
    const workflowId = `summaries-scrubbed-${randomUUID()}`;
    const started = await client.startOperation(input, { workflowId, waitForAcceptance: false });
    const handle = harness.temporal.client.workflow.getHandle(started.workflowId);
    const { error } = await settle(started);
    await client.close();
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.NseJobFailed });

    // NSE got the name exactly as the caller gave it.
    const posted = await harness.sim.requests('POST', '/v2.1/disks');
    expect(posted.map((request) => (request.body as { name?: string }).name)).toContain(name);

    // The history, but for the values sent to NSE: the workflow's input and the activities' inputs.
    const { events } = await handle.fetchHistory();
    const shown = (events ?? []).map((event) => {
      const copy = { ...event } as Record<string, unknown>;
      if (event.workflowExecutionStartedEventAttributes)
        copy.workflowExecutionStartedEventAttributes = {
          ...event.workflowExecutionStartedEventAttributes,
          input: null,
        };
      if (event.activityTaskScheduledEventAttributes)
        copy.activityTaskScheduledEventAttributes = { ...event.activityTaskScheduledEventAttributes, input: null };
      return copy;
    });
    const history = asText(shown);
    // The summaries are there, only the password is gone.
    expect(history).toContain("create disk '[redacted]-db01'");
    expect(asText(events)).toContain(name); // the scan can find it where it is sent to NSE

    const status = await handle.query(operationStatusQuery);
    expect(status.summary).toBe(`create disk '[redacted]-db01' for subtenant ${SIM_FIXTURES.subtenantId}`);
    const metadata = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    const described = await handle.describe();
    const statusOutput = await cli(['status', handle.workflowId], harness.taskQueue);
    expect(statusOutput).toContain('[redacted]-db01');

    const texts = {
      history,
      status: JSON.stringify(status),
      details: metadata.currentDetails,
      staticSummary: asText(await described.staticSummary()),
      staticDetails: asText(await described.staticDetails()),
      memo: asText(described.memo),
      searchAttributes: asText(described.typedSearchAttributes),
      failure: `${failure?.message} ${asText(failure?.details)}`,
      cli: statusOutput,
    };
    for (const [where, text] of Object.entries(texts))
      expect({ where, shows: text.includes(password) }).toEqual({ where, shows: false });
  });
});
