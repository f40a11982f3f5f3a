import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NseEnvelopeError, parseEnvelope, parseJob, readStatus, recordsOf } from '../../src/nse/envelope';
import { JobState } from '../../src/shared/nse-types';

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', name), 'utf8'));
}

/** A job record shaped like the 202 examples of nse-api.md §6.2. */
function pendingJob(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '5f34a3ea0000000000000001',
    action: 'create',
    job_summary: 'Create request is successfully submitted',
    created: '2020-08-13T02:13:46.701170043Z',
    updated: '2020-08-13T02:13:46.701170043Z',
    object_id: '5f34a3ea0000000000000002',
    type: 'disk',
    object_name: 'db01',
    status: 'pending',
    status_detail: '',
    last_error: '',
    user_id: '5e85225af038943eb4b74684',
    job_tasks: null,
    ...overrides,
  };
}

describe('NSE envelope contract (documented examples)', () => {
  it.each([
    ['nse-jobs-list.json', '5ed72c8c6342e90001439d54', 'test1234'],
    ['nse-job-by-id.json', '5e66f18e09a74c0001b89640', ''],
  ])('%s parses into a NORMAL job with its org_password redacted', (file, id, objectName) => {
    const envelope = parseEnvelope(fixture(file));
    const records = recordsOf(envelope);
    expect(records).toHaveLength(1);

    const job = parseJob(records[0]);

    expect(job).toMatchObject({
      id,
      action: 'create',
      objectType: 'sg_buckets',
      objectName,
      state: JobState.Normal,
      stateKnown: true,
      status: 'successful',
      lastError: '',
    });
    expect(job.tasks).toEqual([
      expect.objectContaining({ objectType: 'sg_buckets', resourceType: 'sg_bucket', state: JobState.Normal }),
    ]);
    const payload = (job.raw.job_tasks as Array<{ request_payload: Record<string, unknown> }>)[0]?.request_payload;
    expect(payload).toMatchObject({ org_password: '[redacted]', org_username: 'root' });
    expect(JSON.stringify(job)).not.toContain('netapp01');
  });

  it('reads the list paging fields and the by-id total_records', () => {
    expect(parseEnvelope(fixture('nse-jobs-list.json')).result).toMatchObject({
      returned_records: 1,
      total_records: 2625,
      offset: 0,
      limit: 1,
      sort_by: 'created',
      order_by: 'desc',
    });
    expect(parseEnvelope(fixture('nse-job-by-id.json')).result).toMatchObject({ total_records: 1 });
  });

  it('does not modify the record it parses', () => {
    const body = fixture('nse-job-by-id.json');
    const before = JSON.stringify(body);
    parseJob(recordsOf(parseEnvelope(body))[0]);
    expect(JSON.stringify(body)).toBe(before);
  });
});

describe('NSE envelope variants', () => {
  it('accepts status.code as a string and numeric strings in the paging fields', () => {
    const envelope = parseEnvelope({
      status: { user_message: 'string', verbose_message: 'string', code: 'string' },
      result: { returned_records: '2', total_records: '7', records: [] },
    });
    expect(envelope.result).toMatchObject({ returned_records: 2, total_records: 7 });
    expect(envelope.status?.code).toBe('string');
  });

  it('keeps fields it does not know', () => {
    const envelope = parseEnvelope({ status: { code: 202, extra: 1 }, result: { records: [], next: 'x' }, meta: true });
    expect(envelope).toMatchObject({ meta: true, status: { extra: 1 }, result: { next: 'x' } });
  });

  it('reads the type from `type` when `object_type` is absent, and from `object_type` first', () => {
    expect(parseJob(pendingJob()).objectType).toBe('disk');
    expect(parseJob(pendingJob({ object_type: 'ontap_disks' })).objectType).toBe('ontap_disks');
  });

  it('treats job_tasks null as no tasks and reads a pending 202 job as PENDING', () => {
    const job = parseJob(pendingJob());
    expect(job.tasks).toEqual([]);
    expect(job).toMatchObject({
      state: JobState.Pending,
      stateKnown: true,
      status: 'pending',
      summary: expect.any(String),
    });
  });

  it('lets a documented `state` word win over `status`', () => {
    expect(parseJob(pendingJob({ state: 'PARTIAL_FAILURES', status: 'pending' })).state).toBe(JobState.PartialFailures);
    expect(parseJob(pendingJob({ state: 'WARNING' })).state).toBe(JobState.Warning);
  });

  it('reads the state from the words alone: a successful job with a last_error stays NORMAL, its failed task ERROR', () => {
    const job = parseJob(
      pendingJob({
        status: 'successful',
        last_error: 'Aggregate aggr1 is full',
        job_tasks: [{ id: 't1', status: 'failed', last_error: 'Aggregate aggr1 is full', object_type: 'ontap_disks' }],
      }),
    );
    expect(job).toMatchObject({ state: JobState.Normal, stateKnown: true, lastError: 'Aggregate aggr1 is full' });
    expect(job.tasks[0]).toMatchObject({ id: 't1', state: JobState.Error, objectType: 'ontap_disks' });
  });

  it('reads an unknown status word as RUNNING and says it is unknown', () => {
    expect(parseJob(pendingJob({ status: 'reticulating' }))).toMatchObject({
      state: JobState.Running,
      stateKnown: false,
      status: 'reticulating',
    });
  });

  it('reads absent and null text fields as empty strings', () => {
    const job = parseJob({ id: 'j1', object_name: null, created: null });
    expect(job).toMatchObject({ id: 'j1', objectName: '', created: '', objectType: '', tasks: [] });
  });

  it('throws NseEnvelopeError naming the field when a record is not a job', () => {
    expect(() => parseJob({ action: 'create' })).toThrow(NseEnvelopeError);
    expect(() => parseJob({ id: 'j1', job_tasks: 'soon' })).toThrow(/job_tasks/);
    expect(() => parseJob(null)).toThrow(NseEnvelopeError);
  });

  it('keeps received values out of the mismatch message', () => {
    let message = '';
    try {
      parseJob({ id: { password: 'hunter2' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/id/);
    expect(message).not.toContain('hunter2');
  });

  it('throws NseEnvelopeError for a body that is not an object', () => {
    expect(() => parseEnvelope([1, 2])).toThrow(NseEnvelopeError);
    expect(() => parseEnvelope({ result: { records: 'none' } })).toThrow(/records/);
  });
});

describe('readStatus', () => {
  it('normalises an error envelope', () => {
    expect(readStatus({ status: { user_message: 'Not found', verbose_message: 'no disk x', code: 404 } })).toEqual({
      code: 404,
      userMessage: 'Not found',
      verboseMessage: 'no disk x',
    });
  });

  it('returns undefined for a body without a status, never throwing', () => {
    expect(readStatus(undefined)).toBeUndefined();
    expect(readStatus('<html>')).toBeUndefined();
    expect(readStatus({ status: 'bad' })).toBeUndefined();
  });
});
