/**
 * Activity inputs through the gate (issue #24): any workflow of the namespace may schedule our activities, so each
 * admits its arguments before it asks NSE or Temporal anything. Every activity the worker registers has an entry in
 * src/shared/activity-inputs.ts, and each one called with hostile arguments fails with a non-retryable
 * `InvalidInput` and no call to its NSE client. What our workflows send is admitted.
 */
import { ApplicationFailure } from '@temporalio/common';
import { createActivities, createSweepActivities } from '../../src/activities';
import type { NseClient } from '../../src/nse/client';
import { ACTIVITY_INPUTS, isCataloguePath } from '../../src/shared/activity-inputs';
import { FailureType } from '../../src/shared/failures';
import { fillPath } from '../../src/shared/nse-paths';
import { OPERATIONS } from '../../src/shared/operations';

/** An NSE client that records every use: an admitted-then-refused input must never reach it. */
function recordingClient(): { nse: NseClient; used: string[] } {
  const used: string[] = [];
  const nse = new Proxy({} as NseClient, {
    get: (_target, property) => {
      used.push(String(property));
      return () => {
        throw new Error(`NSE client used: ${String(property)}`);
      };
    },
  });
  return { nse, used };
}

const deep = JSON.parse('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)) as unknown;
const valid = {
  submit: {
    operation: 'create-disk',
    input: {
      subtenant_id: 'st1',
      zone: 'z1',
      name: 'db01',
      disk_path: '/db01',
      protocol: 'iscsi',
      os_type: 'linux',
      hostgroup_mappings: [],
      service_level: 'standard',
      size_gb: 10,
    },
    notBefore: 1,
  },
  change: {
    jobId: 'job-1',
    operation: 'create-disk',
    lastState: 'RUNNING',
    lastUpdated: '2026-12-07T16:00:00Z',
    intervalMs: 1000,
    interval: { maxIntervalMs: 30_000, backoffCoefficient: 1.5, jitterRatio: 0.2 },
    waitFirst: true,
  },
};

/** Hostile argument lists for each activity: nulls, wrong types and counts, lone surrogates, depth, unsafe paths. */
const HOSTILE: Record<keyof typeof ACTIVITY_INPUTS, unknown[][]> = {
  submitOperation: [
    [],
    [null],
    [{ ...valid.submit, operation: 'drop-everything' }],
    [{ ...valid.submit, input: { ...valid.submit.input, name: '\ud800' } }],
    [{ ...valid.submit, input: { ...valid.submit.input, extra: 1 } }],
    [{ ...valid.submit, notBefore: 1e300 }],
    [{ ...valid.submit, tenantId: deep }],
    [valid.submit, valid.submit],
  ],
  findSubmittedJob: [
    [null],
    [{ ...valid.submit, input: deep }],
    [{ operation: 'delete-disk', input: { id: '..' }, notBefore: 0 }],
  ],
  getJob: [
    [null],
    [{ jobId: '..' }],
    [{ jobId: 'a/b' }],
    [{ jobId: '\udc00' }],
    [{ jobId: 'j1', longPollSeconds: 1e9 }],
  ],
  awaitJobChange: [
    [null],
    [{ ...valid.change, jobId: '..' }],
    [{ ...valid.change, lastState: 'SPLINING' }],
    [{ ...valid.change, intervalMs: 0 }],
    [{ ...valid.change, interval: { ...valid.change.interval, jitterRatio: 2 } }],
    [{ ...valid.change, lastUpdated: 'x'.repeat(1025) }],
    [{ ...valid.change, extra: 1 }],
    [valid.change, valid.change],
  ],
  readResource: [
    [],
    [null],
    ['/v2.1/users'],
    ['/v2.1/disks/..'],
    ['/v2.1/disks/a%2Fb'],
    ['/v2.1/disks/%E0%A4%A'],
    ['https://elsewhere.example/v2.1/disks/d1'],
    ['/v2.1/disks/d1', [1]],
    ['/v2.1/disks/d1', ['name'], 'third'],
  ],
  scrubTexts: [[], [null], [['ok', 5]], [['\ud800']], [Array.from({ length: 1001 }, () => 'x')]],
  nseUser: [[null], [{}]],
  listJobsPage: [
    [],
    [null],
    [{ tenantId: 't1', offset: -1 }],
    [{ tenantId: '\ud800', offset: 0 }],
    [{ tenantId: 't1' }],
  ],
  readObject: [[], ['/v2.1/users/u1'], ['/v2.1/hostgroups/..'], ['/v2.1/hostgroups/a%2Fb'], [{ path: 'x' }]],
  findJobOwners: [[], [null], [["j1' OR WorkflowType != ''"]], [Array.from({ length: 101 }, (_, i) => `j${i}`)]],
  wakePausedRuns: [
    [null],
    [{ taskQueue: '' }],
    [{ taskQueue: 'q', tenantId: '\ud800' }],
    [{ taskQueue: 'q', query: 'x' }],
  ],
};

describe('activity inputs', () => {
  const { nse, used } = recordingClient();
  const auth = { kind: 'basic', username: 'u', password: 'p' } as const;
  const activities = { ...createActivities({ nse }), ...createSweepActivities({ nse, auth }) } as unknown as Record<
    string,
    (...args: unknown[]) => Promise<unknown>
  >;

  it('every activity the worker registers has an entry, and every entry a hostile case', () => {
    expect(Object.keys(activities).sort()).toEqual(Object.keys(ACTIVITY_INPUTS).sort());
    expect(Object.keys(HOSTILE).sort()).toEqual(Object.keys(ACTIVITY_INPUTS).sort());
  });

  // Named by index: a 20,000-deep case cannot be printed.
  const cases = Object.entries(HOSTILE).flatMap(([name, list]) =>
    list.map((args, index) => [name, index, args] as const),
  );
  it.each(cases)(
    '%s refuses hostile case %d with a non-retryable InvalidInput before anything else',
    async (name, _index, args) => {
      const activity = activities[name] as (...args: unknown[]) => Promise<unknown>;
      const error = await activity(...args).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({ type: FailureType.InvalidInput, nonRetryable: true });
      expect(used).toEqual([]);
    },
  );

  it('admits what the workflows send', () => {
    expect(ACTIVITY_INPUTS.submitOperation([valid.submit]).input).toEqual(valid.submit.input);
    expect(ACTIVITY_INPUTS.findSubmittedJob([{ ...valid.submit, tenantId: 't1' }]).tenantId).toBe('t1');
    expect(
      ACTIVITY_INPUTS.getJob([{ jobId: 'job-1', longPollSeconds: 30, lastModified: '2026-12-07T16:00:00Z' }]),
    ).toMatchObject({ jobId: 'job-1' });
    expect(ACTIVITY_INPUTS.awaitJobChange([valid.change])).toEqual(valid.change);
    expect(ACTIVITY_INPUTS.awaitJobChange([{ ...valid.change, lastState: undefined, lastUpdated: undefined }])).toEqual(
      { ...valid.change, lastState: undefined, lastUpdated: undefined },
    );
    expect(ACTIVITY_INPUTS.wakePausedRuns([{ taskQueue: 'nse-flow', tenantId: 't1' }])).toEqual({
      taskQueue: 'nse-flow',
      tenantId: 't1',
    });
    expect(ACTIVITY_INPUTS.scrubTexts([["create disk 'db01'"]])).toEqual(["create disk 'db01'"]);
    expect(ACTIVITY_INPUTS.listJobsPage([{ tenantId: 't1', offset: 100 }])).toEqual({ tenantId: 't1', offset: 100 });
    expect(ACTIVITY_INPUTS.readObject(['/v2.1/hostgroups/5f1a00000000000000000abc'])).toBe(
      '/v2.1/hostgroups/5f1a00000000000000000abc',
    );
    expect(ACTIVITY_INPUTS.findJobOwners([['job-1', 'job-2']])).toEqual(['job-1', 'job-2']);
    expect(ACTIVITY_INPUTS.readResource(['/v2.1/disks/d%20%C3%A9', ['name', 'size_gb']])).toEqual({
      path: '/v2.1/disks/d%20%C3%A9',
      keep: ['name', 'size_gb'],
    });
  });

  it('admits every path a workflow reads: each undo read path, each object under a collection', () => {
    for (const spec of OPERATIONS.values()) {
      const values = Object.fromEntries([...spec.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1], 'x y:1']));
      expect({ path: spec.path, ok: isCataloguePath(fillPath(spec.path, values).path) }).toEqual({
        path: spec.path,
        ok: true,
      });
      if (spec.undo.kind === 'restore') expect(isCataloguePath(fillPath(spec.undo.readPath, values).path)).toBe(true);
      if (!spec.path.includes('{')) expect(isCataloguePath(`${spec.path}/${encodeURIComponent('obj 1')}`)).toBe(true);
    }
  });
});
