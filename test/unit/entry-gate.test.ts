/**
 * The one gate (src/shared/entry-gate.ts) and its table of entries (src/shared/entries.ts), issue #24: bounded work
 * first (a loop, no serialising), then the schema; `InvalidInput` and nothing else. And every entry a workflow has is
 * in the table: each update and signal definition, each workflow type, each Nexus operation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import * as z from 'zod/mini';
import { nseFlowNexusService } from '../../src/shared/nexus-service';
import * as bulk from '../../src/shared/bulk';
import * as pause from '../../src/shared/pause';
import * as sweep from '../../src/shared/sweep';
import * as workflowApi from '../../src/shared/workflow-api';
import {
  admitArgument,
  NEXUS_INPUTS,
  parsePausedScopes,
  SIGNAL_ARGUMENTS,
  UPDATE_ARGUMENTS,
  WORKFLOW_INPUTS,
} from '../../src/shared/entries';
import { admit, boundedText, MAX_DEPTH, MAX_NUMBER, unreadablePayload } from '../../src/shared/entry-gate';
import { FailureType } from '../../src/shared/failures';
import * as workflows from '../../src/workflows';

function refusal(check: () => unknown): ApplicationFailure {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
    return err as ApplicationFailure;
  }
  throw new Error('expected InvalidInput, nothing was thrown');
}

const anyRecord = z.record(z.string(), z.unknown());

describe('admit', () => {
  it('returns the value its schema parses', () => {
    expect(admit(z.strictObject({ n: z.number() }), { n: 1 }, { where: 'x' })).toEqual({ n: 1 });
  });

  it.each([
    ['arrays', '['.repeat(20_000) + ']'.repeat(20_000)],
    ['objects', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
  ])('refuses %s nested 20,000 deep by its depth, in a loop', (_kind, json) => {
    const deep = JSON.parse(json) as unknown;
    expect(refusal(() => admit(z.unknown(), deep, { where: 'x' })).message).toMatch(
      `nested more than ${MAX_DEPTH} levels deep`,
    );
  });

  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', 'a\udc00b'],
    ['a pair the wrong way round', '\udc00\ud800'],
  ])('refuses %s in a value and in a key', (_what, text) => {
    expect(refusal(() => admit(z.unknown(), { a: [text] }, { where: 'x' })).message).toMatch(/x\.a\[0\]: .*surrogate/);
    expect(refusal(() => admit(anyRecord, { [text]: 1 }, { where: 'x' })).message).toMatch(/surrogate/);
  });

  it('accepts a surrogate pair (an emoji)', () => {
    expect(admit(z.string(), 'disk \ud83d\udcbe', { where: 'x' })).toBe('disk 💾');
  });

  it.each([NaN, Infinity, -Infinity, 1e300, -1e300, MAX_NUMBER * 2])('refuses the number %d', (n) => {
    expect(refusal(() => admit(z.unknown(), { n }, { where: 'x' })).message).toMatch(/x\.n: must be a finite number/);
  });

  it('accepts the largest time a Date shows', () => {
    expect(new Date(admit(z.number(), MAX_NUMBER, { where: 'x' })).toISOString()).toBe('+275760-09-13T00:00:00.000Z');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('refuses the key %s at any depth', (key) => {
    const value = JSON.parse(`{"a":[{"${key}":{"polluted":true}}]}`) as unknown;
    expect(refusal(() => admit(z.unknown(), value, { where: 'x' })).message).toMatch(`${key}: key not allowed`);
  });

  it('refuses a megabyte string by the size limit, before the schema', () => {
    const big = 'x'.repeat(1 << 20);
    expect(refusal(() => admit(z.string(), big, { where: 'x' })).message).toMatch(/more than the 65536 bytes/);
    expect(admit(z.string(), big, { where: 'x', maxBytes: 2 << 20 })).toHaveLength(1 << 20);
  });

  it('turns anything a schema or a getter throws into InvalidInput', () => {
    const throwing = z.string().check(
      z.refine(() => {
        throw new TypeError('boom');
      }),
    );
    refusal(() => admit(throwing, 'a', { where: 'x' }));
    const getter = Object.defineProperty({}, 'a', {
      enumerable: true,
      get: () => {
        throw new RangeError('boom');
      },
    });
    refusal(() => admit(z.unknown(), getter, { where: 'x' }));
  });

  it('names the field that failed its schema', () => {
    expect(refusal(() => admit(z.strictObject({ n: z.number() }), { n: 'a' }, { where: 'poll' })).message).toBe(
      'poll.n: Invalid input: expected number, received string',
    );
  });
});

describe('boundedText', () => {
  it('cuts and repairs what a cut or NSE left half of a pair', () => {
    expect(boundedText('ab\ud83d\udcbe', 3)).toBe('ab\ufffd');
    expect(boundedText('\ud800x', 10)).toBe('\ufffdx');
  });
});

describe('update and signal arguments', () => {
  it.each([
    ['pause', null],
    ['pause', 'all'],
    ['pause', { tenantId: 5 }],
    ['pause', { tenantId: '\ud800' }],
    ['resume', { tenantId: '' }],
    ['decide', null],
    ['decide', 'undo'],
    ['setPollPolicy', { initialIntervalMs: 1e300 }],
    ['setPollPolicy', null],
    ['extendDeadline', { byMs: 0.5 }],
    ['extendDeadline', { byMs: 1e300 }],
    ['setBulkLimits', { maxConcurrency: -1 }],
    ['undoSweptObject', ''],
    ['undoSweptObject', { objectId: 'a' }],
    ['undoSweptObject', 'x'.repeat(257)],
  ])('refuses %s(%j)', (name, arg) => {
    refusal(() => admitArgument('update', name, [arg]));
  });

  it('refuses an argument for an update that takes none, and an update no table knows', () => {
    expect(refusal(() => admitArgument('update', 'accepted', [1])).message).toMatch(/takes no argument/);
    expect(refusal(() => admitArgument('update', 'toString', [])).message).toMatch(/no such update/);
  });

  it('admits what the client sends', () => {
    expect(admitArgument('update', 'pause', [{}])).toEqual({});
    expect(admitArgument('update', 'accepted', [])).toBeUndefined();
    expect(admitArgument('update', 'undoSweptObject', ['5f1a00000000000000000abc'])).toBe('5f1a00000000000000000abc');
    expect(admitArgument('update', 'sweepFindings', [])).toBeUndefined();
    expect(admitArgument('signal', 'stepAccepted', [{ workflowId: 'p/s', nseJobId: 'j1' }])).toEqual({
      workflowId: 'p/s',
      nseJobId: 'j1',
    });
  });

  // What the worker's payload converter hands a workflow for an entry whose payload does not convert
  // (src/workflows/payload-converter.ts): refused with its reason by every entry, even one whose schema admits `{}`.
  const unreadable = unreadablePayload('could not be read: its payload does not match its encoding');
  it.each([
    ...Object.keys(UPDATE_ARGUMENTS).map((name) => ['update', name] as const),
    ...Object.keys(SIGNAL_ARGUMENTS).map((name) => ['signal', name] as const),
  ])('refuses an unreadable argument of %s %s', (kind, name) => {
    expect(refusal(() => admitArgument(kind, name, [unreadable])).message).toMatch(/: could not be read/);
  });
  it.each(Object.entries(WORKFLOW_INPUTS))('refuses an unreadable input of %s', (_name, parse) => {
    expect(refusal(() => (parse as (raw: unknown) => unknown)(unreadable)).message).toMatch(
      /could not be read: its payload does not match its encoding/,
    );
  });

  it('admits the control workflow scopes, and nothing for none', () => {
    expect(parsePausedScopes(undefined)).toEqual({ all: false, tenants: [] });
    refusal(() => parsePausedScopes(null));
    refusal(() => parsePausedScopes({ all: 'yes', tenants: [] }));
  });
});

/** Every value of `module` that is an update or signal definition (`defineUpdate`, `defineSignal`). */
function definitions(module: Record<string, unknown>, type: 'update' | 'signal'): string[] {
  return Object.values(module)
    .filter((value): value is { type: string; name: string } => (value as { type?: unknown })?.type === type)
    .map((definition) => definition.name);
}

describe('every entry goes through the gate', () => {
  const sharedDir = path.join(__dirname, '..', '..', 'src', 'shared');
  const modules = [workflowApi, pause, bulk, sweep] as unknown as Record<string, unknown>[];

  it('the modules searched are every one that defines an update or a signal', () => {
    const defining = readdirSync(sharedDir)
      .filter((file) => /define(Update|Signal)[<(]/.test(readFileSync(path.join(sharedDir, file), 'utf8')))
      .sort();
    expect(defining).toEqual(['bulk.ts', 'pause.ts', 'sweep.ts', 'workflow-api.ts']);
  });

  it('each update and each signal has its argument in the table', () => {
    const updates = modules.flatMap((module) => definitions(module, 'update'));
    const signals = modules.flatMap((module) => definitions(module, 'signal'));
    expect(updates.length).toBeGreaterThan(0);
    expect([...new Set(updates)].sort()).toEqual(Object.keys(UPDATE_ARGUMENTS).sort());
    expect([...new Set(signals)].sort()).toEqual(Object.keys(SIGNAL_ARGUMENTS).sort());
  });

  it('each workflow type has its input parser in the table, and calls it', () => {
    const exported = workflows as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(Object.keys(exported).sort()).toEqual(Object.keys(WORKFLOW_INPUTS).sort());
    for (const [name, parse] of Object.entries(WORKFLOW_INPUTS))
      expect({ name, calls: exported[name]?.toString().includes(parse.name) }).toEqual({ name, calls: true });
  });

  it('each Nexus operation has its input in the table', () => {
    expect(Object.keys(nseFlowNexusService.operations).sort()).toEqual(Object.keys(NEXUS_INPUTS).sort());
  });
});
