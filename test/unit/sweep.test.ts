/** The sweep's pure rules: its input, which NSE types it can read back and undo, and whose jobs are the worker's. */
import { ApplicationFailure } from '@temporalio/common';
import { parseSweepInput } from '../../src/shared/entries';
import { findOperation, type OperationSpec } from '../../src/shared/operations';
import {
  createSpecOfType,
  DEFAULT_SWEEP_HOLD_MS,
  DEFAULT_SWEEP_WINDOW_MS,
  isOwnUser,
  sweepUndoOf,
} from '../../src/shared/sweep';

describe('parseSweepInput', () => {
  it('applies the defaults and drops repeated tenants', () => {
    expect(parseSweepInput({})).toEqual({
      tenantIds: undefined,
      windowMs: DEFAULT_SWEEP_WINDOW_MS,
      holdMs: DEFAULT_SWEEP_HOLD_MS,
    });
    expect(parseSweepInput({ tenantIds: ['a1', 'a1', 'b2'], windowMs: 60_000, holdMs: 0 })).toEqual({
      tenantIds: ['a1', 'b2'],
      windowMs: 60_000,
      holdMs: 0,
    });
  });

  it.each([
    [{ tenantIds: [] }, /tenantIds/],
    [{ tenantIds: ['../x'] }, /tenantIds\.0: must be an NSE id/],
    [{ windowMs: 10 }, /windowMs/],
    [{ holdMs: -1 }, /holdMs/],
    [{ holdMs: 2 * 24 * 60 * 60 * 1000 }, /holdMs/],
    [{ tenantIds: ['\ud800'] }, /surrogate/],
    [null, /expected object/],
    [{ extra: true }, /extra/],
  ])('refuses %j with InvalidInput naming the field', (input, message) => {
    let error: unknown;
    try {
      parseSweepInput(input);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApplicationFailure);
    expect(error).toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: expect.stringMatching(message) });
  });
});

describe('what the sweep reads back and undoes', () => {
  it('reads an object of a known type at its collection, in either vocabulary', () => {
    expect(createSpecOfType('hostgroup')?.name).toBe('create-hostgroup');
    expect(createSpecOfType('ontap_disks')?.path).toBe('/v2.1/disks');
    expect(createSpecOfType('something_else')).toBeUndefined();
  });

  it("undoes a create with the catalogue's delete of the object, or says why it cannot", () => {
    const disk = findOperation('create-disk') as OperationSpec;
    expect(sweepUndoOf(disk, 'abc')).toEqual({ operation: 'delete-disk', input: { id: 'abc' } });
    const bucket = createSpecOfType('sg_buckets') as OperationSpec;
    expect(sweepUndoOf(bucket, 'b1')).toEqual({ none: expect.stringContaining('bucket') });
  });

  it("takes a job as the worker's by its user's id or name, never an empty one", () => {
    expect(isOwnUser({ id: 'u1', username: 'admin' }, 'u1')).toBe(true);
    expect(isOwnUser({ id: 'u1', username: 'admin' }, 'admin')).toBe(true);
    expect(isOwnUser({ id: 'u1', username: 'admin' }, 'u2')).toBe(false);
    expect(isOwnUser({}, '')).toBe(false);
  });
});
