/**
 * Task-level undo planning (src/shared/undo-plan.ts): what a failed or finished job's tasks ask to undo, in order.
 */
import { JobState, type Job, type JobTask } from '../../src/shared/nse-types';
import { findOperation, type OperationSpec } from '../../src/shared/operations';
import { planUndo } from '../../src/shared/undo-plan';

const spec = (name: string): OperationSpec => {
  const found = findOperation(name);
  if (!found) throw new Error(name);
  return found;
};

const task = (objectId: string, objectType: string, state: JobState, action = 'create'): JobTask => ({
  id: `t-${objectId}-${objectType}`,
  action,
  objectId,
  objectType,
  resourceType: objectType,
  state,
  status: '',
  statusDetail: '',
  lastError: '',
});

const job = (objectId: string, objectType: string, state: JobState, tasks: JobTask[]): Job => ({
  id: 'j1',
  action: 'create',
  summary: '',
  objectId,
  objectType,
  objectName: '',
  state,
  stateKnown: true,
  status: '',
  statusDetail: '',
  lastError: '',
  userId: '',
  created: '',
  updated: '',
  tasks,
  raw: {},
});

const DISK_FIELDS = { name: 'db01', subtenant_id: 's1', zone: 'z1' };

describe('planUndo', () => {
  it("undoes a disk, then each inline host group newest first, whatever the host group tasks' status", () => {
    const failed = job('d1', 'ontap_disks', JobState.PartialFailures, [
      task('d1', 'ontap_disks', JobState.Normal),
      task('h1', 'ontap_hostgroups', JobState.Normal),
      task('h2', 'hostgroup', JobState.Error),
      task('d1-vol', 'ontap_disks', JobState.Error),
    ]);
    const steps = planUndo({ spec: spec('create-disk'), fields: DISK_FIELDS }, failed);
    expect(steps).toEqual([
      { kind: 'run', operation: 'delete-disk', input: { id: 'd1' }, objectId: 'd1', objectType: 'ontap_disks' },
      { kind: 'run', operation: 'delete-hostgroup', input: { id: 'h2' }, objectId: 'h2', objectType: 'hostgroup' },
      {
        kind: 'run',
        operation: 'delete-hostgroup',
        input: { id: 'h1' },
        objectId: 'h1',
        objectType: 'ontap_hostgroups',
      },
    ]);
  });

  it('leaves an object of a type without undo (a bucket) or of an unknown type for a human, naming it', () => {
    const failed = job('a1', 'sg_accounts', JobState.Error, [
      task('a1', 'sg_accounts', JobState.Normal),
      task('b1', 'sg_buckets', JobState.Normal),
      task('x1', 'ontap_mystery', JobState.Normal),
    ]);
    const steps = planUndo({ spec: spec('create-objectstorage-account'), fields: {} }, failed);
    expect(steps.map((s) => (s.kind === 'run' ? s.operation : s.report))).toEqual([
      'delete-objectstorage-account',
      expect.objectContaining({ outcome: 'manual-cleanup-needed', objectId: 'x1', objectType: 'ontap_mystery' }),
      expect.objectContaining({ outcome: 'manual-cleanup-needed', objectId: 'b1', objectType: 'sg_buckets' }),
    ]);
  });

  it('never takes a snapshot job naming its parent disk for a disk to delete', () => {
    const failed = job('d1', 'ontap_disks', JobState.Error, [task('d1', 'ontap_disks', JobState.Error)]);
    const steps = planUndo({ spec: spec('create-disk-snapshot'), fields: { disk_id: 'd1', name: 'snap1' } }, failed);
    expect(steps).toEqual([
      expect.objectContaining({
        kind: 'run',
        operation: 'delete-disk-snapshot',
        input: { disk_id: 'd1', name: 'snap1' },
      }),
    ]);
  });

  it.each([
    ['update-disk', { id: 'd1', size_gb: 20 }],
    ['delete-disk', { id: 'd1' }],
  ])('reports a partial %s as manual clean-up naming the object', (operation, fields) => {
    const partial = job('d1', 'disk', JobState.PartialFailures, [
      task('d1', 'disk', JobState.Normal, 'update'),
      task('d1', 'disk', JobState.Error, 'update'),
    ]);
    const steps = planUndo({ spec: spec(operation), fields, before: { size_gb: 10 } }, partial);
    expect(steps).toEqual([
      {
        kind: 'report',
        report: expect.objectContaining({ outcome: 'manual-cleanup-needed', objectId: 'd1', objectType: 'disk' }),
      },
    ]);
  });

  it('restores an update that failed before any task ran, and reports a delete that did nothing as not needed', () => {
    const failed = job('d1', 'disk', JobState.Error, [task('d1', 'disk', JobState.Error, 'update')]);
    const restore = planUndo(
      { spec: spec('update-disk'), fields: { id: 'd1', size_gb: 20 }, before: { size_gb: 10 } },
      failed,
    );
    expect(restore).toEqual([
      expect.objectContaining({ kind: 'run', operation: 'update-disk', input: { id: 'd1', size_gb: 10 } }),
    ]);
    const deleted = planUndo({ spec: spec('delete-disk'), fields: { id: 'd1' } }, failed);
    expect(deleted).toEqual([{ kind: 'report', report: expect.objectContaining({ outcome: 'not-needed' }) }]);
  });
});
