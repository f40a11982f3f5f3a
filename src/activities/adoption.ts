/**
 * Safe adoption: finding the job an earlier submit attempt created, when its answer was lost. A job is adopted only
 * when everything that identifies the request matches: the action, the object type, the object (by id, or by what
 * names it: a name; a block store's subtenant and zone; an object-storage account's subtenant), the tenant and
 * subtenant, and the time window of the run. Never another tenant's or another type's job, also when the caller gave
 * no tenant: a create's candidate is checked against the object it made, which names its subtenant and tenant.
 * @module
 */
import type { NseClient } from '../nse/client';
import { NseHttpError } from '../nse/errors';
import type { Job } from '../shared/nse-types';
import { jobResourceOf, resourceOfType } from '../shared/object-types';
import type { OperationSpec } from '../shared/operations';
import type { SubmitOperationInput } from './types';

// Job actions as NSE records them: initiator add/remove are updates of the host group (nse-api.md §6.2).
const JOB_ACTION: Record<OperationSpec['verb'], string> = {
  create: 'create',
  update: 'update',
  delete: 'delete',
  add: 'update',
  remove: 'update',
};

/** Request fields that identify the object a create makes, as its record shows them too. */
const IDENTIFYING_FIELDS = ['subtenant_id', 'zone', 'fileserver_id', 'name', 'display_name'] as const;

/** A string field of a record, or undefined. */
const field = (record: Record<string, unknown>, key: string): string | undefined =>
  typeof record[key] === 'string' ? record[key] : undefined;

/** The name a create's job carries in `object_name`, where NSE documents one (nse-api.md §6.2). */
function expectedObjectName(spec: OperationSpec, input: Record<string, unknown>): string | undefined {
  if (spec.resource === 'blockstore') {
    const subtenant = field(input, 'subtenant_id');
    const zone = field(input, 'zone');
    return subtenant && zone ? `${subtenant}_${zone}` : undefined;
  }
  return [input.name, input.display_name, input.alias].find((v): v is string => typeof v === 'string');
}

/** True when the job's own fields fit the request: action, object type, object id or name. */
function jobFits(spec: OperationSpec, request: SubmitOperationInput, job: Job): boolean {
  const input = request.input;
  if (job.action.toLowerCase() !== JOB_ACTION[spec.verb]) return false;
  // Never another type's job: a job whose type nse-flow cannot read is not taken either.
  if (resourceOfType(job.objectType) !== jobResourceOf(spec)) return false;
  const objectId = [input.id, input.disk_id, input.fileshare_id, input.hostgroup_id].find((v) => typeof v === 'string');
  if (objectId !== undefined && job.objectId !== objectId) return false;
  // A snapshot's job carries its parent's id (§6.2), so the name must match too wherever it names the object.
  const nameIdentifies = spec.verb === 'create' || /\{(name|alias)\}/.test(spec.path);
  if (!nameIdentifies) return true;
  const name = expectedObjectName(spec, input);
  // The object-storage account's job names tenant and subtenant by their names, which the request does not carry:
  // its object is checked instead (see objectFits).
  return name === undefined ? spec.resource === 'objectstorage-account' : job.objectName === name;
}

/**
 * For a create: reads the object the job made and checks it is the request's (same identifying fields, same tenant
 * when the caller gave one). An object that cannot be read is not taken.
 */
async function objectFits(
  nse: NseClient,
  spec: OperationSpec,
  request: SubmitOperationInput,
  job: Job,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (spec.verb !== 'create' || spec.path.includes('{')) return true; // snapshots: parent id and name checked
  if (!job.objectId) return false;
  let record: Record<string, unknown>;
  try {
    record = await nse.getResource(`${spec.path}/${encodeURIComponent(job.objectId)}`, { signal });
  } catch (err) {
    if (err instanceof NseHttpError && (err.status === 404 || err.status === 403)) return false;
    throw err;
  }
  return recordFits(request, record);
}

/** A value as it is compared across request and record: NSE may echo `"881"` as `881` or change a word's case. */
const comparable = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value).trim().toLowerCase()
    : undefined;

/**
 * True when the record shows nothing that differs from the request: the identifying fields exactly, every other
 * scalar field and every tag the record shows too, loosely (see {@link comparable}). Two requests NSE cannot tell
 * apart are one request; a request that differs in any field the object shows never takes that object as its own.
 */
function sameRequest(input: Record<string, unknown>, record: Record<string, unknown>): boolean {
  for (const [key, wanted] of Object.entries(input)) {
    const shown = key === 'tags' ? tagMap(record.tags) : undefined;
    if (isPlainObject(wanted) && shown) {
      if (Object.entries(wanted).some(([k, v]) => k in shown && comparable(shown[k]) !== comparable(v))) return false;
      continue;
    }
    const a = comparable(wanted);
    const b = comparable(record[key]);
    if (a !== undefined && b !== undefined && a !== b) return false;
  }
  return true;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Tags as a map: requests send `{k: v}`, records show a list of `{key, value}` (nse-api.md §7.1) or the map. */
function tagMap(tags: unknown): Record<string, unknown> | undefined {
  if (isPlainObject(tags)) return tags;
  if (!Array.isArray(tags)) return undefined;
  const pairs = tags.filter(isPlainObject).map((tag) => [String(tag.key), tag.value] as const);
  return Object.fromEntries(pairs);
}

/** True when a resource record shows the request's identifying fields (and tenant, when the caller gave one). */
function recordFits(request: SubmitOperationInput, record: Record<string, unknown>): boolean {
  if (request.tenantId !== undefined && field(record, 'tenant_id') !== undefined)
    if (field(record, 'tenant_id') !== request.tenantId) return false;
  return identifiedBy(request, record) && sameRequest(request.input, record);
}

/**
 * Looks for a job this submit already created, newest first, within the run's time window; see the module comment
 * for what must match.
 */
export async function findSubmittedJob(
  nse: NseClient,
  spec: OperationSpec,
  request: SubmitOperationInput,
  signal?: AbortSignal,
): Promise<Job | undefined> {
  const query = { tenantId: request.tenantId, sortBy: 'created', orderBy: 'desc' as const, limit: 50 };
  for await (const job of nse.iterateJobs(query, { signal })) {
    if (Date.parse(job.created) < request.notBefore) return undefined;
    if (jobFits(spec, request, job) && (await objectFits(nse, spec, request, job, signal))) return job;
  }
  return undefined;
}

/** What a retried create learns from NSE's "already exists" (409/412): the job to adopt, or the object in the way. */
export type ExistingObject = { kind: 'adopt'; job: Job } | { kind: 'not-ours'; objectId: string; reason: string };

/**
 * After a retried create was answered "already exists": finds the existing object by the request's identifying
 * fields and the job that created it. When that job fits the request and started within the run's window, it is
 * adopted; otherwise the object is named. Undefined when no such object is found.
 */
export async function lookUpExisting(
  nse: NseClient,
  spec: OperationSpec,
  request: SubmitOperationInput,
  signal?: AbortSignal,
): Promise<ExistingObject | undefined> {
  // A snapshot lives under its parent's path: nothing to list it by, and NSE's answer names it already.
  if (spec.path.includes('{')) return undefined;
  const filter = Object.fromEntries(
    IDENTIFYING_FIELDS.flatMap((key) => (field(request.input, key) ? [[key, field(request.input, key)]] : [])),
  );
  const records = await nse.listResources(spec.path, { ...filter, tenant_id: request.tenantId }, { signal });
  const live = records.filter((record) => identifiedBy(request, record) && field(record, 'state') !== 'Deleted');
  const object = live.find((record) => recordFits(request, record)) ?? live[0];
  const objectId = object && field(object, 'id');
  if (!object || !objectId) return undefined;
  if (!recordFits(request, object))
    return { kind: 'not-ours', objectId, reason: 'it belongs to another tenant or differs from this request' };
  const query = { tenantId: request.tenantId, sortBy: 'created', orderBy: 'desc' as const, limit: 50 };
  for await (const job of nse.iterateJobs(query, { signal })) {
    if (Date.parse(job.created) < request.notBefore) break;
    if (job.objectId === objectId && jobFits(spec, request, job)) return { kind: 'adopt', job };
  }
  return { kind: 'not-ours', objectId, reason: 'it existed before this run, or another request created it' };
}

/** True when the record is the object the request's identifying fields name (whatever its other fields say). */
function identifiedBy(request: SubmitOperationInput, record: Record<string, unknown>): boolean {
  return IDENTIFYING_FIELDS.every((key) => {
    const wanted = field(request.input, key);
    const shown = field(record, key);
    return wanted === undefined || shown === undefined || wanted === shown;
  });
}
