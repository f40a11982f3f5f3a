/**
 * The pino root: redaction of secrets wherever the SDK or our code puts them, Error serialisation, the SDK logger
 * adapter, and when output is pretty-printed.
 */
import { rememberSecret } from '../../src/common/redact';
import { Writable } from 'node:stream';
import { createLogger, shouldPrettyPrint, temporalLogger } from '../../src/logging';

function capture(): { lines: Record<string, unknown>[]; raw: string[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, raw, stream };
}

describe('createLogger', () => {
  it('censors credentials, task tokens, request payloads and codec keys', () => {
    const { lines, raw, stream } = capture();
    const logger = createLogger('info', stream);
    logger.info({ password: 'pw-Secret-1', headers: { authorization: 'Bearer tok-Secret-2' } }, 'request');
    logger.info({ taskToken: 'tt-Secret-3', activityType: 'getJob', attempt: 2 }, 'activity');
    logger.info({ job: { tasks: [{ request_payload: { admin_password: 'rp-Secret-4' } }] } }, 'job');
    logger.info(
      { config: { codec: { keys: [{ id: 'k1', key: 'key-Secret-5' }] }, nse: { auth: { token: 'nse-Secret-6' } } } },
      'config',
    );
    logger.info({ apiKey: 'api-Secret-7' }, 'temporal');
    const all = raw.join('\n');
    for (const secret of [
      'pw-Secret-1',
      'tok-Secret-2',
      'tt-Secret-3',
      'rp-Secret-4',
      'key-Secret-5',
      'nse-Secret-6',
      'api-Secret-7',
    ]) {
      expect(all).not.toContain(secret);
    }
    expect(lines[1]).toMatchObject({ taskToken: '[redacted]', activityType: 'getJob', attempt: 2 });
  });

  it('writes the message and stack of an Error passed as `error`, as the SDK does', () => {
    const { lines, stream } = capture();
    createLogger('info', stream).warn({ error: new Error('NSE answered 503') }, 'Activity failed');
    expect(lines[0]?.error).toMatchObject({ type: 'Error', message: 'NSE answered 503' });
  });
});

describe('temporalLogger', () => {
  it('turns SDK metadata into fields and gives activity lines a runId', () => {
    const { lines, stream } = capture();
    const sdk = temporalLogger(createLogger('debug', stream));
    sdk.info('Activity completed', {
      sdkComponent: 'activity',
      workflowId: 'w1',
      workflowRunId: 'r1',
      activityType: 'getJob',
      attempt: 1,
    });
    sdk.debug('Workflow started', { sdkComponent: 'workflow', workflowId: 'w1', runId: 'r1' });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'Activity completed',
        component: 'temporal',
        workflowId: 'w1',
        runId: 'r1',
        attempt: 1,
      }),
      expect.objectContaining({ level: 20, msg: 'Workflow started', sdkComponent: 'workflow', runId: 'r1' }),
    ]);
  });

  it("logs the SDK's notice that the NSE worker polls no workflows at debug, not as a warning", () => {
    const { lines, stream } = capture();
    const sdk = temporalLogger(createLogger('info', stream));
    sdk.warn('No workflows registered, not polling for workflow tasks', { taskQueue: 'nse-flow-nse' });
    sdk.warn('Workflow task failed', { taskQueue: 'nse-flow' });
    expect(lines.map((line) => line.msg)).toEqual(['Workflow task failed']);
  });
});

describe('shouldPrettyPrint', () => {
  it('is true only on a terminal outside production', () => {
    expect(shouldPrettyPrint({ isTTY: true }, {})).toBe(true);
    expect(shouldPrettyPrint({ isTTY: true }, { NODE_ENV: 'production' })).toBe(false);
    expect(shouldPrettyPrint({ isTTY: false }, {})).toBe(false);
    expect(shouldPrettyPrint({}, {})).toBe(false);
  });
});

describe('createLogger redacts by value (#15)', () => {
  it('scrubs a remembered credential, a JWT and a password pair from messages, fields and errors', () => {
    const { stream, raw } = capture();
    rememberSecret('logged-Credential-77');
    const logger = createLogger('info', stream);
    logger.info('NSE said logged-Credential-77 was wrong');
    logger.info({ detail: 'token eyJhbGciOiJIUzI1NiJ9.eyJ1IjoiYSJ9.c2ln refused' }, 'refresh');
    logger.warn({ error: new Error("module_args: {'org_password': 'quoted-pw-88'}") }, 'activity failed');
    logger.info({ pwd: 'short-name-99', jwt: 'x.y.z' }, 'keys');
    const all = raw.join('\n');
    for (const secret of ['logged-Credential-77', 'eyJhbGciOiJIUzI1NiJ9', 'quoted-pw-88', 'short-name-99', 'x.y.z'])
      expect(all).not.toContain(secret);
  });
});
