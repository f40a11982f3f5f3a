/**
 * The CLI's text for a failed run prints whatever the failure's details carry: steps, tasks and undo outcomes at
 * any depth, including fields it has never heard of, and leaves a job's raw NSE record to `--json`.
 */
import { describeFailure, describeStatus } from '../../src/cli/format';

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
