/**
 * How the simulator shows a job, in each shape the NSE docs allow (nse-api.md §6, §9): which of `status` and `state`
 * it carries and in which words, `type` or `object_type` or both, the request echoed as an object or a JSON string,
 * and plain texts or texts that quote the request and the driver's credentials the way real failures do. The shape
 * is chosen per job by the `jobShape` of its rule (./rules.ts).
 * @module
 */
import type { JobAction, SimJob } from './job-store';
import type { JobShape, StateWord } from './rules';

/** Job `status` words for each step word. */
const STATUS_OF: Readonly<Record<StateWord, string>> = {
  PENDING: 'pending',
  RUNNING: 'running',
  WARNING: 'running',
  NORMAL: 'successful',
  ERROR: 'failed',
  PARTIAL_FAILURES: 'partial_failures',
  CANCELLED: 'cancelled',
};

/** The four `state` words the jobs page documents; a `both`-shaped job shows `state` only for these. */
const DOCUMENTED_STATES: ReadonlySet<StateWord> = new Set<StateWord>([
  'WARNING',
  'NORMAL',
  'ERROR',
  'PARTIAL_FAILURES',
]);

const DETAIL_VERB: Readonly<Record<JobAction, string>> = { create: 'Creation', update: 'Update', delete: 'Deletion' };

const TASK_DETAIL: Readonly<Record<string, string>> = {
  pending: 'Task is waiting.',
  running: 'Worker is running the task.',
  successful: 'Worker completed task successfully.',
  failed: 'Worker failed the task.',
  cancelled: 'Task was cancelled after an earlier failure.',
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** The `status` and `state` fields of a job showing `word` (or an unknown word from the `unknownState` fault). */
function stateFields(shape: JobShape, word: StateWord, unknown: string | undefined): Record<string, string> {
  const stateWord = unknown !== undefined ? unknown.toUpperCase() : word;
  const statusWord =
    shape.statusWords === 'state' ? stateWord : unknown !== undefined ? unknown.toLowerCase() : STATUS_OF[word];
  if (shape.fields === 'status') return { status: statusWord };
  if (shape.fields === 'state') return { state: stateWord };
  const showState = unknown !== undefined || DOCUMENTED_STATES.has(word);
  return { status: statusWord, ...(showState ? { state: stateWord } : {}) };
}

/** The field each endpoint's doc example names the object type with (nse-api.md §6.3). */
function documentedTypeField(job: SimJob): 'type' | 'object_type' {
  if (job.operation.endsWith('-disk-snapshot')) return 'object_type';
  if (job.type === 'blockstore' || job.type === 'disk' || job.type === 'hostgroup') return 'type';
  return job.operation === 'create-fileserver' ? 'type' : 'object_type';
}

function typeFields(job: SimJob): Record<string, string> {
  const choice = job.plan.shape.typeField === 'documented' ? documentedTypeField(job) : job.plan.shape.typeField;
  if (choice === 'type') return { type: job.type };
  if (choice === 'object_type') return { object_type: job.objectType };
  return { type: job.type, object_type: job.objectType };
}

/**
 * An Ansible-style failure dump: real drivers print the module's arguments, credentials included, into the error a
 * job carries, so a client that passes NSE's texts on unredacted leaks them.
 */
function ansibleFailure(job: SimJob, resourceType: string, message: string): string {
  const host = typeof job.payload.cluster_mgmt_ip === 'string' ? job.payload.cluster_mgmt_ip : 'grid-admin';
  return `fatal: [${host}]: FAILED! => ${JSON.stringify({
    changed: false,
    msg: message,
    invocation: { module_args: { resource_type: resourceType, ...job.payload } },
  })}`;
}

/** A short summary of the request's values, the way a failure message quotes what it was asked to do. */
function quotedRequest(job: SimJob): string {
  const parts = Object.entries(job.payload)
    .filter(([, value]) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    .map(([key, value]) => `${key}='${String(value)}'`);
  return parts.join(', ');
}

/** `status_detail` and `last_error` of the job as a whole. */
function jobTexts(job: SimJob, word: StateWord, unknown: string | undefined): { detail: string; error: string } {
  const verb = DETAIL_VERB[job.action];
  const quoting = job.plan.shape.texts === 'quoting';
  const firstType = job.tasks[0]?.resourceType ?? job.objectType;
  const lastType = job.tasks.at(-1)?.resourceType ?? job.objectType;
  if (unknown !== undefined) return { detail: `Job is ${unknown.toLowerCase()}.`, error: '' };
  switch (word) {
    case 'PENDING':
      return { detail: '', error: '' };
    case 'RUNNING':
      return { detail: 'Job is in progress.', error: '' };
    case 'WARNING':
      return {
        detail: quoting
          ? `Job is in progress with warnings: a step was retried for ${quotedRequest(job)}.`
          : 'Job is in progress with warnings: simulated warning.',
        error: '',
      };
    case 'NORMAL':
      return {
        detail: `${verb} of ${job.noun} completed successfully.`,
        // A benign text on a successful job: free text must never decide the state.
        error: quoting ? `Retried once after a transient error: ${ansibleFailure(job, firstType, 'timed out')}` : '',
      };
    case 'ERROR':
      return {
        detail: quoting ? `${verb} of ${job.noun} failed for ${quotedRequest(job)}.` : `${verb} of ${job.noun} failed.`,
        error: quoting
          ? ansibleFailure(job, firstType, `${verb} of ${job.noun} failed`)
          : `Simulated failure: task ${firstType} failed.`,
      };
    case 'PARTIAL_FAILURES':
      return {
        detail: `${verb} of ${job.noun} completed with partial failures.`,
        error: quoting
          ? ansibleFailure(job, lastType, `task ${lastType} failed`)
          : `Simulated partial failure: task ${lastType} failed.`,
      };
    case 'CANCELLED':
      return { detail: `${verb} of ${job.noun} was cancelled.`, error: '' };
  }
}

/** A task's status while its job shows `word`: the first task works, later ones wait, the last one fails. */
function taskStatus(word: StateWord, index: number, last: boolean, unknown: string | undefined): string {
  if (word === 'PENDING') return 'pending';
  if (word === 'RUNNING' || word === 'WARNING' || unknown !== undefined) return index === 0 ? 'running' : 'pending';
  if (word === 'NORMAL') return 'successful';
  if (word === 'ERROR') return index === 0 ? 'failed' : 'cancelled';
  if (word === 'CANCELLED') return 'cancelled';
  return last ? 'failed' : 'successful';
}

function renderTask(job: SimJob, index: number, word: StateWord, unknown: string | undefined): Record<string, unknown> {
  const task = job.tasks[index];
  if (!task) throw new RangeError(`job ${job.id} has no task ${index}`);
  const status = taskStatus(word, index, index === job.tasks.length - 1, unknown);
  const quoting = job.plan.shape.texts === 'quoting';
  let lastError = '';
  if (status === 'failed') {
    lastError = quoting
      ? ansibleFailure(job, task.resourceType, `${task.resourceType} ${task.objectId} failed`)
      : `Simulated failure of ${task.resourceType} ${task.objectId}.`;
  }
  const payload = { ...job.payload };
  return {
    id: task.id,
    job_id: job.id,
    action: task.action,
    driver: job.driver,
    object_id: task.objectId,
    object_type: task.objectType,
    resource_type: task.resourceType,
    status,
    status_detail: TASK_DETAIL[status] ?? '',
    last_error: lastError,
    user_id: job.userId,
    request_payload: job.plan.shape.requestPayload === 'string' ? JSON.stringify(payload) : payload,
  };
}

/**
 * The job as NSE shows it while it shows `word`. `job_tasks` is null in the 202 answer and an array afterwards; in
 * the default shape `state` is present only for the four documented state words, so a pending or running job has
 * `status` alone (nse-api.md §6.4, §11).
 */
export function renderJob(
  job: SimJob,
  word: StateWord,
  options: { tasks: boolean; unknownWord?: string | undefined },
): Record<string, unknown> {
  const unknown = options.unknownWord;
  const texts = jobTexts(job, word, unknown);
  return {
    id: job.id,
    action: job.action,
    job_summary: job.summary,
    created: iso(job.created),
    updated: iso(job.updated),
    object_id: job.objectId,
    ...typeFields(job),
    object_name: job.objectName,
    ...stateFields(job.plan.shape, word, unknown),
    status_detail: texts.detail,
    last_error: texts.error,
    user_id: job.userId,
    job_tasks: options.tasks ? job.tasks.map((_task, index) => renderTask(job, index, word, unknown)) : null,
  };
}
