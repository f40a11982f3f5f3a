/**
 * The CLI fills in the running stack's connection (`.temporal/stack.json`, written by `npm start`) only for what the
 * environment leaves unset, group by group, and never from a stack that is gone.
 */
import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stackConnectionFor, writeStackConnection, type StackConnection } from '../../src/cli/stack-connection';

const STACK: StackConnection = {
  pid: process.pid,
  temporal: { address: '127.0.0.1:17233', namespace: 'default', taskQueue: 'nse-flow' },
  nse: { baseUrl: 'http://127.0.0.1:18080/api', username: 'nse-admin', password: 'nse-demo-password' },
};

function stackFile(connection: StackConnection = STACK): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'nse-flow-stack-')), 'stack.json');
  writeStackConnection(connection, file);
  return file;
}

it('fills both groups when nothing is set, and says which without the password', () => {
  const file = stackFile();
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const filled = stackConnectionFor({ NSE_FLOW_STACK_FILE: file });
  expect(filled?.variables).toEqual({
    TEMPORAL_ADDRESS: '127.0.0.1:17233',
    TEMPORAL_NAMESPACE: 'default',
    NSE_FLOW_TASK_QUEUE: 'nse-flow',
    NSE_BASE_URL: 'http://127.0.0.1:18080/api',
    NSE_USERNAME: 'nse-admin',
    NSE_PASSWORD: 'nse-demo-password',
    NSE_AUTH: 'jwt',
  });
  expect(filled?.note).toContain('Temporal 127.0.0.1:17233, NSE simulator http://127.0.0.1:18080/api as nse-admin');
  expect(filled?.note).not.toContain('nse-demo-password');
});

it("leaves a group alone when any of its variables is set: the simulator's password never goes to another NSE", () => {
  const file = stackFile();
  const otherNse = stackConnectionFor({ NSE_FLOW_STACK_FILE: file, NSE_BASE_URL: 'https://nse.example.com/api' });
  expect(Object.keys(otherNse?.variables ?? {})).toEqual([
    'TEMPORAL_ADDRESS',
    'TEMPORAL_NAMESPACE',
    'NSE_FLOW_TASK_QUEUE',
  ]);
  const otherTemporal = stackConnectionFor({ NSE_FLOW_STACK_FILE: file, TEMPORAL_API_KEY: 'k' });
  expect(otherTemporal?.variables.TEMPORAL_ADDRESS).toBeUndefined();
  expect(otherTemporal?.variables.NSE_BASE_URL).toBe('http://127.0.0.1:18080/api');
  expect(stackConnectionFor({ NSE_FLOW_STACK_FILE: file, TEMPORAL_ADDRESS: 'x:1', NSE_TOKEN: 't' })).toBeUndefined();
});

it('ignores a stack that is gone, a missing file and a file that is not a connection', () => {
  expect(stackConnectionFor({ NSE_FLOW_STACK_FILE: stackFile({ ...STACK, pid: 2 ** 22 + 1 }) })).toBeUndefined();
  expect(stackConnectionFor({ NSE_FLOW_STACK_FILE: '/nonexistent/stack.json' })).toBeUndefined();
  expect(stackConnectionFor({ NSE_FLOW_STACK_FILE: __filename })).toBeUndefined();
});

it('keeps the stack for Temporal when only the task queue is set, on the queue the user named', () => {
  const filled = stackConnectionFor({ NSE_FLOW_STACK_FILE: stackFile(), NSE_FLOW_TASK_QUEUE: 'nse-flow' });
  expect(filled?.variables.TEMPORAL_ADDRESS).toBe('127.0.0.1:17233');
  expect(filled?.variables.NSE_FLOW_TASK_QUEUE).toBeUndefined();
});
