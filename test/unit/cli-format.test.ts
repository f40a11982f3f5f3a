/**
 * The CLI's text for a failed run prints whatever the failure's details carry: steps, tasks and undo outcomes at
 * any depth, including fields it has never heard of, and leaves a job's raw NSE record to `--json`.
 */
import { choiceOption } from '../../src/cli/choice-option';
import {
  describeCancelled,
  describeFailure,
  describeProgress,
  describeResult,
  describeStatus,
  table,
} from '../../src/cli/format';

it('prints a failure with no details as its type and message alone', () => {
  expect(describeFailure('CancelledFailure', 'Workflow cancelled', [])).toBe(
    'failed (CancelledFailure): Workflow cancelled',
  );
  expect(describeFailure(undefined, 'boom', [])).toBe('failed (unknown failure): boom');
});

it("prints the detail record's own fields by name, then nested steps, tasks and undo outcomes indented", () => {
  const text = describeFailure('ProvisioningFailed', "plan p: step 'disk' failed", [
    {
      plan: 'p',
      attempt: 2,
      steps: [
        { id: 'group', operation: 'create-hostgroup', outcome: 'compensated', objectId: 'g1' },
        {
          id: 'disk',
          operation: 'create-disk',
          outcome: 'failed',
          message: 'job j2 ended PARTIAL_FAILURES',
          tasks: [
            { id: 't1', resourceType: 'ontap_lun', state: 'NORMAL', undo: { outcome: 'compensated', jobId: 'j3' } },
            { id: 't2', resourceType: 'ontap_igroup_map', state: 'ERROR', lastError: 'map failed' },
          ],
        },
      ],
      job: { id: 'j2', state: 'PARTIAL_FAILURES', raw: { password: 'never printed' } },
      labels: ['a', 'b'],
    },
  ]);
  expect(text.split('\n')).toEqual([
    "failed (ProvisioningFailed): plan p: step 'disk' failed",
    '  plan p, attempt 2',
    '  steps:',
    '    - group: compensated (operation create-hostgroup, objectId g1)',
    '    - disk: failed; job j2 ended PARTIAL_FAILURES (operation create-disk)',
    '      tasks:',
    '        - t1: NORMAL (resourceType ontap_lun)',
    '          undo: compensated (jobId j3)',
    '        - t2: ERROR; map failed (resourceType ontap_igroup_map)',
    '  job j2: PARTIAL_FAILURES',
    '  labels: a, b',
  ]);
});

it('prints details that are not objects as they are', () => {
  expect(describeFailure('NseRejected', 'HTTP 400', ['first', 7])).toBe('failed (NseRejected): HTTP 400\n  first\n  7');
});

it("adds a held run's deadline, read errors, unknown state words and compensation to its status line", () => {
  const text = describeStatus({
    operation: 'create-hostgroup',
    summary: "create hostgroup 'hg'",
    phase: 'awaiting-decision',
    jobId: 'j1',
    jobState: 'ERROR',
    polls: 3,
    warnings: 0,
    readErrors: 2,
    lastReadError: 'NseRejected: HTTP 302',
    unknownStateWords: ['SPLINING'],
    decisionDueAt: '2026-12-04T09:00:00.000Z',
  });
  expect(text.split('\n')).toEqual([
    'awaiting-decision job j1 ERROR, 3 polls',
    '  decide by 2026-12-04T09:00:00.000Z (nse-flow decide <workflowId> compensate|keep)',
    '  2 reads got no job (last: NseRejected: HTTP 302)',
    '  unknown state words SPLINING (read as running)',
  ]);
});

it('says what a run waits on: a failed attempt with its failure, a call no worker picked up, a pending cancel', () => {
  const text = describeProgress(
    {
      operation: 'create-hostgroup',
      summary: "create hostgroup 'hg'",
      phase: 'polling',
      jobId: 'j1',
      jobState: 'RUNNING',
      polls: 1,
      warnings: 0,
      cancelRequested: true,
    },
    {
      status: 'RUNNING',
      pending: [
        {
          activity: 'getJob',
          state: 'scheduled',
          attempt: 3,
          lastFailure: { type: 'NseUnauthorized', message: 'NSE GET /v2.1/jobs/j1 failed with HTTP 401' },
        },
        { activity: 'readResource', state: 'scheduled', attempt: 1 },
        { activity: 'submitOperation', state: 'started', attempt: 1 },
      ],
    },
  );
  expect(text.split('\n')).toEqual([
    'polling job j1 RUNNING, 1 poll',
    '  cancel requested: waiting for job j1 to end, then undo',
    '  waiting on getJob, attempt 3; last failure NseUnauthorized: NSE GET /v2.1/jobs/j1 failed with HTTP 401',
    '  waiting on readResource: not picked up yet (the NSE request budget, or no worker on its task queue)',
  ]);
  expect(describeProgress(undefined, { status: 'RUNNING', pending: [] })).toBe(
    'running (no worker answered the status query)',
  );
});

it('shows a read that found the job unchanged as a wait, not as a failure', () => {
  const text = describeProgress(undefined, {
    status: 'RUNNING',
    pending: [
      {
        activity: 'awaitJobChange',
        state: 'scheduled',
        attempt: 8,
        lastFailure: { type: 'JobUnchanged', message: 'NSE job j1 still RUNNING (read 7 times since its last change)' },
        nextAttemptAt: '2026-12-07T17:00:03.000Z',
      },
    ],
  });
  expect(text.split('\n')[1]).toBe(
    '  waiting for a change: NSE job j1 still RUNNING (read 7 times since its last change); ' +
      'next read at 2026-12-07T17:00:03.000Z',
  );
});

it('ends a cancelled run with its own line and its undo', () => {
  const status = {
    operation: 'create-hostgroup',
    summary: "create hostgroup 'hg'",
    phase: 'cancelled' as const,
    jobId: 'j1',
    polls: 4,
    warnings: 0,
    compensation: { outcome: 'compensated' as const, operation: 'delete-hostgroup', jobId: 'j2', message: 'done' },
  };
  expect(describeCancelled('wf', status).split('\n')).toEqual([
    'cancelled: wf',
    '  undo: compensated; done (operation delete-hostgroup, jobId j2)',
  ]);
  expect(describeCancelled('wf', { ...status, jobId: undefined, compensation: undefined })).toBe(
    'cancelled: wf\n  undo: nothing to undo (NSE had accepted no job)',
  );
});

it('aligns a table under its header, the last column unpadded', () => {
  expect(
    table(
      ['ID', 'STATE', 'NAME'],
      [
        ['a', 'NORMAL', 'x'],
        ['bbbb', 'ERROR', 'yy'],
      ],
    ).split('\n'),
  ).toEqual(['ID    STATE   NAME', 'a     NORMAL  x', 'bbbb  ERROR   yy']);
});

it('prints each failed item of a bulk by its key with its whole reason', () => {
  const reason = `create hostgroup 'fail-x': NSE job j ended ERROR: ${'a long reason '.repeat(20)}(NSE said: no)`;
  const text = describeFailure('BulkFailed', 'bulk b: 1 failed item is more than the tolerated 0%', [
    { bulk: 'b', items: [{ key: 'k2', outcome: 'failed', message: reason }] },
  ]);
  expect(text).toContain(`    - k2: failed; ${reason}`);
});

it("marks a redrive's items carried over from the earlier run as reused, in a failure and in a result", () => {
  const items = [
    { key: 'k1', outcome: 'done' as const, objectId: 'o1', reused: true as const },
    { key: 'k2', outcome: 'failed' as const, message: 'NSE job j ended ERROR' },
  ];
  const failure = describeFailure('BulkFailed', 'bulk b: 1 failed item is more than the tolerated 20%', [
    { bulk: 'b', items },
  ]);
  expect(failure).toContain('    - k1: done, reused (objectId o1)');
  expect(failure).toContain('    - k2: failed; NSE job j ended ERROR');
  const result = describeResult({
    bulk: 'b',
    total: 3,
    done: 2,
    failed: 1,
    items: [...items, { key: 'k3', outcome: 'done' }],
  });
  expect(result.split('\n')[0]).toBe('completed bulk b: 2 of 3 done (1 reused), 1 failed');
});

it('takes a choice in any case and refuses an unknown one, naming the choices', () => {
  const status = choiceOption(['Running', 'Canceled'], { cancelled: 'Canceled' });
  expect(status('running')).toBe('Running');
  expect(status('CANCELLED')).toBe('Canceled');
  expect(() => status('bogus')).toThrow('must be one of Running, Canceled');
});
