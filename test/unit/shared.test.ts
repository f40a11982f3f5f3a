import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../src/shared/failures';
import { isTerminal, JobState } from '../../src/shared/nse-types';
import { buildRequest, describeOperation, findOperation, OPERATION_NAMES } from '../../src/shared/operations';
import { parseOperationInput } from '../../src/shared/validation';

const SUBTENANT = '5ed72c8c6342e90001439d01';

function invalid(raw: unknown): ApplicationFailure {
  try {
    parseOperationInput(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    return err as ApplicationFailure;
  }
  throw new Error('input was accepted');
}

describe('job states', () => {
  it('counts only NORMAL, ERROR and PARTIAL_FAILURES as terminal', () => {
    expect(Object.values(JobState).filter(isTerminal)).toEqual([
      JobState.Normal,
      JobState.Error,
      JobState.PartialFailures,
    ]);
  });
});

describe('operations catalogue', () => {
  it('names every operation <verb>-<resource> and gives each create an undo or a reason', () => {
    for (const name of OPERATION_NAMES) {
      const spec = findOperation(name)!;
      expect(name.startsWith(`${spec.verb}-`)).toBe(true);
      if (spec.undo.kind !== 'none') expect(findOperation(spec.undo.operation)).toBeDefined();
      else expect(spec.undo.reason.length).toBeGreaterThan(10);
    }
  });

  it('puts path fields in the URL, URL-encoded, and the rest in the body', () => {
    const spec = findOperation('create-disk-snapshot')!;
    expect(buildRequest(spec, { disk_id: 'abc123', name: 'nightly 1', snapmirror_label: 'daily' })).toEqual({
      method: 'POST',
      path: '/v2.1/disks/abc123/snapshot/nightly%201',
      body: { snapmirror_label: 'daily' },
    });
    expect(buildRequest(findOperation('delete-disk')!, { id: 'abc' })).toEqual({
      method: 'DELETE',
      path: '/v2.1/disks/abc',
      body: undefined,
    });
  });

  it('summarises an operation for the Web UI', () => {
    const spec = findOperation('create-bucket')!;
    expect(describeOperation(spec, { name: 'logs', subtenant_id: SUBTENANT })).toBe(
      `create bucket 'logs' for subtenant ${SUBTENANT}`,
    );
  });
});

describe('parseOperationInput', () => {
  it('accepts a valid input and fills the poll policy defaults', () => {
    const valid = parseOperationInput({
      operation: 'create-bucket',
      input: { name: 'logs-01', subtenant_id: SUBTENANT },
    });
    expect(valid.spec.name).toBe('create-bucket');
    expect(valid.policy.mode).toBe('activity'); // the default since the NSE request budget (fc5158f)
  });

  it.each([
    [{ operation: 'create-bucket' }, 'input'],
    [{ operation: 'make-coffee', input: {} }, "unknown operation 'make-coffee'"],
    [{ operation: 'create-bucket', input: { name: 'Upper', subtenant_id: SUBTENANT } }, 'input.name'],
    [{ operation: 'create-bucket', input: { name: 'logs', subtenant_id: SUBTENANT, extra: 1 } }, 'extra'],
    [{ operation: 'create-disk', input: { name: 'x' } }, 'input.subtenant_id'],
    [
      {
        operation: 'create-bucket',
        input: JSON.parse(`{"name":"logs","subtenant_id":"${SUBTENANT}","__proto__":{"polluted":true}}`),
      },
      '__proto__',
    ],
    [{ operation: 'create-bucket', input: { name: 'logs', subtenant_id: 'a/../../b' } }, 'input.subtenant_id'],
    [
      { operation: 'create-bucket', input: { name: 'logs', subtenant_id: SUBTENANT }, poll: { mode: 'psychic' } },
      'poll.mode',
    ],
    [{ operation: 'delete-disk', input: { id: 'x'.repeat(70_000) } }, 'bytes'],
    [{ operation: 'create-fileserver', input: { name: 'fs', subtenant_id: SUBTENANT, zone: 'z' } }, 'subnet_id'],
  ])('rejects input #%# with a message naming the culprit', (raw, named) => {
    expect(invalid(raw).message).toContain(named);
  });
});

describe('restore undo', () => {
  it('puts back the values an update changed, converting record shapes to request shapes', () => {
    const spec = findOperation('update-blockstore')!;
    if (spec.undo.kind !== 'restore') throw new Error('update-blockstore must restore');
    const before = { id: 'bs1', dr_schedule: 'daily', tags: [{ key: 'team', value: 'db' }], state: 'Operational' };
    expect(spec.undo.restoreInput({ id: 'bs1', dr_schedule: 'hourly', tags: { team: 'web' } }, before)).toEqual({
      id: 'bs1',
      dr_schedule: 'daily',
      tags: { team: 'db' },
    });
  });
});
