/**
 * Size and depth limits before any walk (#15): inputs nested 20,000 deep, far past what a recursive walk survives,
 * are refused with InvalidInput by every validation entry, never with a RangeError. Before the fix
 * `assertNoPrototypeKeys` recursed and `parsePlan` walked a plan with no size check first.
 */
import { ApplicationFailure } from '@temporalio/common';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { FailureType } from '../../src/shared/failures';
import { parseBulk } from '../../src/shared/bulk';
import { MAX_PLAN_BYTES, parsePlan } from '../../src/shared/plans';
import { assertPlainData, MAX_DEPTH, MAX_INPUT_BYTES, MAX_VALUES } from '../../src/shared/entry-gate';
import { parseOperationFields, parseOperationInput } from '../../src/shared/validation';
import { hostgroupFields } from '../helpers/fixtures';

const DEEP = 20_000;

/** `[[[...]]]` nested `depth` levels, built as a decoded payload would be: by JSON.parse. */
function deepArray(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

/** `{"a":{"a":...}}` nested `depth` levels. */
function deepObject(depth: number): unknown {
  return JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
}

function invalidInputOf(check: () => unknown): ApplicationFailure {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    return err as ApplicationFailure;
  }
  throw new Error('expected InvalidInput, nothing was thrown');
}

const operation = (input: Record<string, unknown>, extra: Record<string, unknown> = {}): unknown => ({
  operation: 'create-hostgroup',
  tenantId: SIM_FIXTURES.tenantId,
  input,
  ...extra,
});

const resume = (before: unknown): Record<string, unknown> => ({
  jobId: 'job-1',
  phase: 'polling',
  polls: 1,
  intervalMs: 1000,
  deadline: 0,
  startedAt: 0,
  warnings: 0,
  lastState: 'RUNNING',
  before,
});

const plan = (input: unknown): unknown => ({
  name: 'deep',
  steps: [{ id: 'one', operation: 'create-hostgroup', input }],
});

it('an input nested 20,000 arrays deep is within the size limit, so only the depth limit can catch it', () => {
  expect(('['.repeat(DEEP) + ']'.repeat(DEEP)).length).toBeLessThan(MAX_INPUT_BYTES);
});

describe.each([
  ['arrays', deepArray],
  ['objects', deepObject],
])(`input nested ${DEEP} deep in %s`, (_kind, deep) => {
  const value = deep(DEEP);

  it.each([
    ['an operation input field', () => parseOperationInput(operation({ ...hostgroupFields('deep'), tags: value }))],
    ['the operation input itself', () => parseOperationInput(value)],
    ['the resume state', () => parseOperationInput(operation(hostgroupFields('deep'), { resume: resume(value) }))],
    ['the poll policy', () => parseOperationInput(operation(hostgroupFields('deep'), { poll: value }))],
    ['parseOperationFields', () => parseOperationFields('create-hostgroup', { ...hostgroupFields('d'), x: value })],
    ['a plan step input', () => parsePlan(plan({ ...hostgroupFields('deep'), tags: value }))],
    ['a plan itself', () => parsePlan(value)],
  ])('%s: InvalidInput naming the depth', (_where, check) => {
    expect(invalidInputOf(check).message).toMatch(new RegExp(`nested more than ${MAX_DEPTH} levels deep`));
  });
});

describe('limits', () => {
  it("keeps a continued bulk's outcomes so far out of the envelope's 64 KiB limit (1,000 of them are ~70 KB)", () => {
    const finished = Array.from({ length: 1_000 }, (_, i) => ({
      key: `item-${i}`,
      outcome: 'done' as const,
      objectId: '6b11274ffb7be5c652000001',
    }));
    expect(JSON.stringify(finished).length).toBeGreaterThan(MAX_INPUT_BYTES);
    const continued = {
      name: 'fleet',
      operation: 'create-hostgroup',
      tenantId: SIM_FIXTURES.tenantId,
      items: [{ key: 'last', input: hostgroupFields('last') }],
      finished,
      total: 1_001,
    };
    const bulk = parseBulk(continued, { itemsChecked: true });
    expect(bulk).toMatchObject({ total: 1_001, items: [{ item: { key: 'last' } }] });
    expect(bulk.input.finished).toHaveLength(1_000);
    // The outcomes are still checked: a deep one is refused.
    const deep = { ...continued, finished: [{ key: 'x', outcome: 'done', objectId: deepArray(MAX_DEPTH + 1) }] };
    expect(() => parseBulk(deep, { itemsChecked: true })).toThrow(ApplicationFailure);
  });

  it('accepts nesting up to the limit and refuses one level more', () => {
    expect(() => assertPlainData(deepArray(MAX_DEPTH), { where: 'x' })).not.toThrow();
    expect(invalidInputOf(() => assertPlainData(deepArray(MAX_DEPTH + 1), { where: 'x' })).message).toMatch(/nested/);
  });

  it('refuses a cycle as too deep instead of walking it forever', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(
      invalidInputOf(() => parseOperationInput(operation({ ...hostgroupFields('c'), tags: cycle }))).message,
    ).toMatch(/nested/);
  });

  it('refuses too many values before serialising them', () => {
    const wide = new Array(MAX_VALUES + 1).fill(0);
    expect(
      invalidInputOf(() => parseOperationInput(operation({ ...hostgroupFields('w'), tags: wide }))).message,
    ).toMatch(/more than 100000 values/);
  });

  it('refuses a plan larger than its size limit before checking its steps', () => {
    const big = 'x'.repeat(MAX_PLAN_BYTES);
    expect(invalidInputOf(() => parsePlan(plan({ ...hostgroupFields('big'), note: big }))).message).toMatch(/bytes/);
  });

  it('turns a getter that throws into InvalidInput', () => {
    const hostile = { ...hostgroupFields('g') };
    Object.defineProperty(hostile, 'zone', {
      enumerable: true,
      get() {
        throw new RangeError('boom');
      },
    });
    invalidInputOf(() => parseOperationInput(operation(hostile)));
    invalidInputOf(() => parsePlan(plan(hostile)));
  });

  it.each([
    ['a function', () => undefined],
    ['a bigint', BigInt(1)],
    ['a symbol', Symbol('s')],
  ])('refuses %s as not plain JSON', (_what, odd) => {
    expect(
      invalidInputOf(() => parseOperationInput(operation({ ...hostgroupFields('o'), tags: odd }))).message,
    ).toMatch(/plain JSON/);
  });

  it('refuses prototype keys at any depth within the limit', () => {
    const input = JSON.parse(`{"a":{"b":[{"__proto__":{"polluted":true}}]}}`) as unknown;
    expect(
      invalidInputOf(() => parseOperationInput(operation({ ...hostgroupFields('p'), tags: input }))).message,
    ).toMatch(/__proto__: key not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
