/**
 * Redaction by value (#15), end to end: the simulator's job texts quote the request, its secrets and the driver's
 * passwords the way real failures do (an Ansible `FAILED!` dump in `last_error`, `key='value'` lists in
 * `status_detail`), and the task payloads come as JSON strings. A failed run's failure message, its whole history
 * and the worker's log lines hold none of those secrets, nor the worker's NSE password or a JWT. Before the fix
 * `last_error` went into the `NseJobFailed` message as NSE wrote it.
 */
import { randomUUID } from 'node:crypto';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { FAST_POLL, hostgroupFields } from '../helpers/fixtures';
import { capturedLogLines, rootFailure, settle } from '../helpers/temporal';
import { useTestWorker } from '../helpers/worker';

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The history as text, with every payload's bytes decoded (JSON would show them as numbers). */
function historyText(events: unknown): string {
  return JSON.stringify(events, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
  );
}

const SECRETS = [
  SIM_FIXTURES.fakeSecrets.orgPassword,
  SIM_FIXTURES.fakeSecrets.adminPassword,
  SIM_FIXTURES.defaultUser.password,
];

describe.each([
  ['a JSON object', 'object'],
  ['a JSON string', 'string'],
] as const)('a failed job whose texts quote secrets, request payload as %s', (_shown, requestPayload) => {
  const harness = useTestWorker({
    queue: `redaction-${requestPayload}`,
    simulator: {
      rules: [
        {
          match: { method: 'POST', path: '/v2.1/hostgroups' },
          jobShape: { texts: 'quoting', requestPayload },
          outcome: 'ERROR',
        },
      ],
    },
  });

  it('leaves no secret in the failure, the history or the logs', async () => {
    const logsBefore = capturedLogLines.length;
    const handle = await harness.temporal.client.workflow.start('nseOperationWorkflow', {
      taskQueue: harness.taskQueue,
      workflowId: `redaction-${randomUUID()}`,
      args: [
        {
          operation: 'create-hostgroup',
          tenantId: SIM_FIXTURES.tenantId,
          input: hostgroupFields(`quoted-${requestPayload}`),
          poll: FAST_POLL,
        },
      ],
    });
    const { error } = await settle(handle);
    const failure = rootFailure(error);
    expect(failure).toMatchObject({ type: FailureType.NseJobFailed });
    // The texts are there, only their secrets are gone: the failure still says what NSE said.
    expect(failure?.message).toContain('FAILED!');
    expect(failure?.message).toContain('[redacted]');

    // What NSE sent did carry the secrets, so the scan below could find them.
    const jobId = (failure?.details?.[0] as { job: { id: string } }).job.id;
    const served = await fetch(`${harness.sim.url}/v2.1/jobs/${jobId}`, {
      headers: { authorization: basic(harness.sim.username, harness.sim.password) },
    });
    expect(await served.text()).toContain(SIM_FIXTURES.fakeSecrets.adminPassword);

    const history = historyText((await handle.fetchHistory()).events);
    const logs = JSON.stringify(capturedLogLines.slice(logsBefore));
    for (const text of [failure?.message ?? '', JSON.stringify(failure?.details), history, logs]) {
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[\w-]{2,}\.[\w-]{2,}\./);
    }
  });
});
