/**
 * The words→states table and job parsing, for every documented job shape: the seed's exact finished job (status
 * only), state only, both, each word in either field and any case, and free text that must not change the state.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnvelope, parseJob, recordsOf } from '../../src/nse/envelope';
import { JOB_STATE_WORDS, normaliseJobState } from '../../src/shared/job-states';
import { JobState } from '../../src/shared/nse-types';

const seedJob = (): Record<string, unknown> => {
  const body: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'nse-job-by-id.json'), 'utf8'));
  return recordsOf(parseEnvelope(body))[0] as Record<string, unknown>;
};

describe('the words→states table', () => {
  const documented: [string, JobState][] = [
    ['NORMAL', JobState.Normal],
    ['WARNING', JobState.Warning],
    ['PARTIAL_FAILURES', JobState.PartialFailures],
    ['ERROR', JobState.Error],
    ['pending', JobState.Pending],
    ['running', JobState.Running],
    ['successful', JobState.Normal],
    ['failed', JobState.Error],
    ['partial_failures', JobState.PartialFailures],
    ['warning', JobState.Warning],
    ['cancelled', JobState.Error],
  ];

  it.each(documented)('reads %s in `state` or `status`, in any case', (word, expected) => {
    for (const spelling of [word, word.toLowerCase(), word.toUpperCase()]) {
      expect(normaliseJobState({ state: spelling }).state).toBe(expected);
      expect(normaliseJobState({ status: spelling }).state).toBe(expected);
    }
  });

  it.each(Object.entries(JOB_STATE_WORDS))('maps every table word (%s → %s) as a known state', (word, state) => {
    expect(normaliseJobState({ status: word })).toEqual({ state, known: true, unknownWords: [] });
    expect(normaliseJobState({ state: ` ${word.toUpperCase().replace(/_/g, ' ')} ` })).toMatchObject({ state });
  });

  it.each([
    [{ state: 'NORMAL', status: 'successful' }, JobState.Normal],
    [{ state: 'PARTIAL_FAILURES', status: 'successful' }, JobState.PartialFailures],
    [{ state: 'WARNING', status: 'running' }, JobState.Warning],
    [{ state: 'reticulating', status: 'successful' }, JobState.Normal],
    [{ state: '', status: 'failed' }, JobState.Error],
  ])('takes the first known word of state then status: %j → %s', (raw, expected) => {
    expect(normaliseJobState(raw).state).toBe(expected);
  });

  it('treats unknown words as running and names them', () => {
    expect(normaliseJobState({ status: 'reticulating' })).toEqual({
      state: JobState.Running,
      known: false,
      unknownWords: ['reticulating'],
    });
    expect(normaliseJobState({ state: 'SPLINED', status: 'reticulating' }).unknownWords).toEqual([
      'SPLINED',
      'reticulating',
    ]);
  });

  it('reads a job with neither field as running, without calling it unknown', () => {
    expect(normaliseJobState({})).toEqual({ state: JobState.Running, known: true, unknownWords: [] });
  });

  it('does not take a word from the prototype chain', () => {
    expect(normaliseJobState({ status: 'constructor' })).toMatchObject({ known: false });
  });
});

describe('parseJob on every documented shape', () => {
  it("reads the seed's exact finished job (status only) as NORMAL with its typed task", () => {
    const job = parseJob(seedJob());
    expect(job).toMatchObject({ state: JobState.Normal, stateKnown: true, objectType: 'sg_buckets' });
    expect(job.tasks).toEqual([
      {
        id: '5e66f18e09a74c0001b89642',
        action: 'create',
        objectId: '5e66f18e09a74c0001b89641',
        objectType: 'sg_buckets',
        resourceType: 'sg_bucket',
        state: JobState.Normal,
        status: 'successful',
        statusDetail: 'Worker completed task successfully.',
        lastError: '',
      },
    ]);
    expect(JSON.stringify(job.raw)).not.toContain('netapp01');
  });

  it.each([
    ['state only', { state: 'ERROR' }, JobState.Error],
    ['status only', { status: 'partial_failures' }, JobState.PartialFailures],
    ['both', { state: 'NORMAL', status: 'successful' }, JobState.Normal],
    ['a state word in status', { status: 'NORMAL' }, JobState.Normal],
    ['a status word in state', { state: 'successful' }, JobState.Normal],
  ])('reads %s', (_shape, words, expected) => {
    const { status: _status, ...rest } = seedJob();
    expect(parseJob({ ...rest, ...words }).state).toBe(expected);
  });

  it('never lets free text change the state: a successful job with a last_error stays NORMAL', () => {
    const job = parseJob({ ...seedJob(), last_error: 'disk full', status_detail: 'failed to do things' });
    expect(job.state).toBe(JobState.Normal);
  });

  it('reads task words with the same table, `type` as well as `object_type`, cancelled included', () => {
    const raw = seedJob();
    const tasks = [
      { id: 't1', action: 'create', object_id: 'h1', type: 'hostgroup', status: 'successful', last_error: 'note' },
      { id: 't2', action: 'create', object_id: 'd1', object_type: 'ontap_disks', state: 'ERROR' },
      { id: 't3', action: 'create', object_id: 'd1', object_type: 'ontap_disks', status: 'cancelled' },
    ];
    const job = parseJob({ ...raw, job_tasks: tasks });
    expect(job.tasks.map((t) => [t.objectType, t.state])).toEqual([
      ['hostgroup', JobState.Normal],
      ['ontap_disks', JobState.Error],
      ['ontap_disks', JobState.Error],
    ]);
  });
});
