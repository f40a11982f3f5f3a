/**
 * In-memory state of the simulator: jobs and the scripted steps they move through, the resources they create,
 * update and delete, and the ledger tests read back. No HTTP here: the app validates requests and calls this store.
 *
 * A per-read job moves only when it is read through `GET /v2.1/jobs/{id}` ({@link JobStore.readJob}); listing
 * never moves it, so tests count reads instead of waiting. A wall-clock job (`advance.everyMs`) is brought up to date
 * whenever it is looked at ({@link JobStore.refresh}).
 * @module
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isTerminalWord, type JobPlan, type StateWord } from './rules';

/** Resource families the simulator keeps, named as the client catalogue's `resource` values. */
export type ResourceType =
  | 'blockstore'
  | 'disk'
  | 'hostgroup'
  | 'fileserver'
  | 'fileshare'
  | 'objectstorage-account'
  | 'bucket'
  | 'objectiam-group'
  | 'objectiam-user';

/** What a ledger event is about: a resource, or a part of one (snapshot, initiator). */
type LedgerEventType = ResourceType | 'disk-snapshot' | 'fileshare-snapshot' | 'hostgroup-initiator';

/** Resource `state` strings (nse-api.md §6.4), plus `Deleted` for the ledger's record of deleted resources. */
type ResourceState = 'Creating' | 'Updating' | 'Deleting' | 'Operational' | 'Contact support' | 'Deleted';

/** A job's `action`. */
export type JobAction = 'create' | 'update' | 'delete';

/** A snapshot of a disk or file share. */
interface SimSnapshot {
  name: string;
  created: number;
  snapmirror_label?: string | undefined;
  state: ResourceState;
}

/** An initiator of a host group. */
interface SimInitiator {
  alias: string;
  initiator: string;
}

/** A resource as the store keeps it; {@link JobStore.renderResource} turns it into what a GET answers. */
export interface SimResource {
  id: string;
  type: ResourceType;
  name: string;
  tenantId: string;
  subtenantId: string;
  zone?: string | undefined;
  state: ResourceState;
  created: number;
  updated: number;
  deleted?: number | undefined;
  /** The public request fields (never passwords), as a GET shows them. */
  fields: Record<string, unknown>;
  snapshots: SimSnapshot[];
  initiators: SimInitiator[];
}

/** What a job does to resources when it ends. */
export type JobEffect =
  | { kind: 'create'; ids: string[] }
  | { kind: 'update'; id: string; changes: Record<string, unknown> }
  | { kind: 'delete'; id: string }
  | { kind: 'snapshot-create'; id: string; name: string }
  | { kind: 'snapshot-delete'; id: string; name: string }
  | { kind: 'initiator-set'; id: string; alias: string; initiator: string }
  | { kind: 'initiator-remove'; id: string; alias: string };

/** One task of a job (`job_tasks[]`) before it gets an id. */
export interface TaskSpec {
  objectId: string;
  objectType: string;
  resourceType: string;
  action: JobAction;
}

/** Everything the app decides about a new job. */
interface JobSpec {
  /** Catalogue-style operation name, e.g. `create-disk`. */
  operation: string;
  action: JobAction;
  /** `type` field (§6.3 singular vocabulary). */
  type: string;
  /** `object_type` field (§6.3 `ontap_*` / `sg_*` vocabulary). */
  objectType: string;
  objectId: string;
  objectName: string;
  summary: string;
  /** Words for `status_detail`, e.g. `disk 'db01'`. */
  noun: string;
  tenantId: string;
  subtenantId: string;
  userId: string;
  /** The name rules matched the creating request with; job reads are matched with it too. */
  matchName?: string | undefined;
  plan: JobPlan;
  effect: JobEffect;
  driver: string;
  tasks: TaskSpec[];
  /** Echoed in every task's `request_payload`, credentials included, as real NSE does. */
  payload: Record<string, unknown>;
}

/** A job in the store. */
export interface SimJob extends Omit<JobSpec, 'tasks'> {
  id: string;
  tasks: Array<TaskSpec & { id: string }>;
  created: number;
  updated: number;
  /** Reads through `GET /v2.1/jobs/{id}` so far. */
  reads: number;
  /** 0 = accepted (PENDING); i >= 1 = `plan.steps[i - 1]`. */
  position: number;
  /** Reads that found the job finished (for `vanishAfterTerminal`). */
  terminalReads: number;
}

/** A resource in the ledger, deleted ones included. */
export interface LedgerResource {
  id: string;
  type: ResourceType;
  name: string;
  tenant_id: string;
  subtenant_id: string;
  zone?: string;
  /** The public request fields of the resource as they are now (never passwords): what a test knows it by. */
  fields: Record<string, unknown>;
  state: ResourceState;
  created: string;
  deleted?: string;
}

/** A change the simulator accepted, in the order the requests arrived. */
interface LedgerEvent {
  seq: number;
  kind: 'create' | 'delete' | 'update';
  type: LedgerEventType;
  /** The resource id; for snapshots and initiators, the parent's id. */
  id: string;
  name: string;
  jobId: string;
}

/** One API request the simulator received (control requests under `/_sim` are not recorded). */
export interface LedgerRequest {
  seq: number;
  method: string;
  /** Path after `/api`, without the query, as sent (not URL-decoded). */
  path: string;
  query: Record<string, string | string[]>;
  /** HTTP status answered; 0 while the request is still in flight. */
  status: number;
  /** The fault injected into this request, if any. */
  fault?: string;
  /** The JSON body of a request that had one, top-level password and secret fields left out (as in `fields`). */
  body?: unknown;
  /** The W3C `traceparent` header the request carried, if any (nse-flow sends it when traces are on). */
  traceparent?: string;
}

/** What `GET /_sim/ledger` answers. */
export interface Ledger {
  resources: LedgerResource[];
  events: LedgerEvent[];
  requests: LedgerRequest[];
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The first id of a store, laid out like a MongoDB ObjectId: creation second, 5 random bytes, then a counter. Two
 * simulators (or two runs of one) never hand out the same id, as two NSE installations would not.
 */
function firstObjectId(nowMs: number): bigint {
  const seconds = BigInt(Math.floor(nowMs / 1000)) & 0xffffffffn;
  const random = BigInt(randomInt(0, 2 ** 40));
  return (seconds << 64n) | (random << 24n);
}

/** Jobs, resources and the ledger of one simulator. */
export class JobStore {
  private nextId: bigint;
  private readonly jobs = new Map<string, SimJob>();
  private readonly resources = new Map<string, SimResource>();
  private events: LedgerEvent[] = [];
  private requests: LedgerRequest[] = [];
  private readonly changes = new EventEmitter();

  /** `now` is the clock in ms; tests inject one to drive expiry and wall-clock jobs without waiting. */
  constructor(private readonly now: () => number) {
    this.nextId = firstObjectId(now());
    this.changes.setMaxListeners(0);
  }

  /** A new 24-hex id; consecutive calls give consecutive ids, like NSE's job and object ids. */
  newId(): string {
    const id = this.nextId.toString(16).padStart(24, '0');
    this.nextId += 1n;
    return id;
  }

  /** Forgets jobs, resources and the ledger; ids keep counting so old ids never come back. */
  reset(): void {
    const ids = [...this.jobs.keys()];
    this.jobs.clear();
    this.resources.clear();
    this.events = [];
    this.requests = [];
    for (const id of ids) this.changes.emit(id);
  }

  /** Starts a ledger entry for an API request; the caller sets its status when it answers. */
  recordRequest(
    method: string,
    path: string,
    query: Record<string, string | string[]>,
    traceparent?: string,
  ): LedgerRequest {
    const entry: LedgerRequest = { seq: this.requests.length + 1, method, path, query, status: 0 };
    if (traceparent !== undefined) entry.traceparent = traceparent;
    this.requests.push(entry);
    return entry;
  }

  /** Appends a ledger event. */
  recordEvent(kind: LedgerEvent['kind'], type: LedgerEventType, id: string, name: string, jobId: string): void {
    this.events.push({ seq: this.events.length + 1, kind, type, id, name, jobId });
  }

  /** Adds a resource in state `Creating`. */
  addResource(
    resource: Omit<SimResource, 'state' | 'created' | 'updated' | 'snapshots' | 'initiators'> &
      Partial<Pick<SimResource, 'initiators'>>,
  ): SimResource {
    const at = this.now();
    const stored: SimResource = {
      ...resource,
      state: 'Creating',
      created: at,
      updated: at,
      snapshots: [],
      initiators: resource.initiators ?? [],
    };
    this.resources.set(stored.id, stored);
    return stored;
  }

  /** A resource that is not deleted, optionally of one type. */
  getResource(id: string, type?: ResourceType): SimResource | undefined {
    const r = this.resources.get(id);
    if (!r || r.deleted !== undefined || (type !== undefined && r.type !== type)) return undefined;
    return r;
  }

  /** Resources that are not deleted and satisfy `predicate`, oldest first. */
  liveResources(predicate: (r: SimResource) => boolean = () => true): SimResource[] {
    return [...this.resources.values()].filter((r) => r.deleted === undefined && predicate(r));
  }

  /** Marks a resource as changing while a job works on it. */
  setState(resource: SimResource, state: ResourceState): void {
    resource.state = state;
    resource.updated = this.now();
  }

  /** Stores a job accepted under the id `id` (allocated first, so it precedes the object id). */
  addJob(id: string, spec: JobSpec): SimJob {
    const at = this.now();
    const job: SimJob = {
      ...spec,
      id,
      tasks: spec.tasks.map((task) => ({ ...task, id: this.newId() })),
      created: at,
      updated: at,
      reads: 0,
      position: 0,
      terminalReads: 0,
    };
    this.jobs.set(id, job);
    return job;
  }

  /** A job that has not vanished. */
  getJob(id: string): SimJob | undefined {
    return this.jobs.get(id);
  }

  /** Every job, wall-clock ones brought up to date. */
  allJobs(): SimJob[] {
    const jobs = [...this.jobs.values()];
    for (const job of jobs) this.refresh(job);
    return jobs;
  }

  /** The word the job shows now. */
  currentWord(job: SimJob): StateWord {
    return job.position === 0 ? 'PENDING' : (job.plan.steps[job.position - 1] ?? 'PENDING');
  }

  /** True when the job has reached NORMAL, ERROR or PARTIAL_FAILURES. */
  isFinished(job: SimJob): boolean {
    return isTerminalWord(this.currentWord(job));
  }

  /** Counts one read of the job and moves a per-read job on; a wall-clock job is only brought up to date. */
  readJob(job: SimJob): void {
    if ('everyMs' in job.plan.advance) {
      this.refresh(job);
      return;
    }
    job.reads += 1;
    this.moveTo(job, Math.floor(job.reads / job.plan.advance.perRead));
  }

  /** Brings a wall-clock job up to date; does nothing to a per-read job. */
  refresh(job: SimJob): void {
    if (!('everyMs' in job.plan.advance)) return;
    const every = job.plan.advance.everyMs;
    const target = Math.min(Math.floor((this.now() - job.created) / every), this.lastPosition(job));
    this.moveTo(job, target, job.created + target * every);
  }

  /** When a wall-clock job takes its next step (ms on the simulator clock), or undefined. */
  nextStepAt(job: SimJob): number | undefined {
    if (!('everyMs' in job.plan.advance) || job.position >= this.lastPosition(job)) return undefined;
    return job.created + (job.position + 1) * job.plan.advance.everyMs;
  }

  /** Records a read that showed an unknown state word: the job does not move, but it did change. */
  touch(job: SimJob): void {
    job.updated = Math.max(this.now(), job.updated + 1);
    this.changes.emit(job.id);
  }

  /** Forgets a finished job: later reads answer 404. Its effects on resources stay. */
  vanish(job: SimJob): void {
    this.jobs.delete(job.id);
    this.changes.emit(job.id);
  }

  /** Calls `listener` whenever the job changes or vanishes; returns the unsubscribe function. */
  onChange(jobId: string, listener: () => void): () => void {
    this.changes.on(jobId, listener);
    return () => this.changes.off(jobId, listener);
  }

  private lastPosition(job: SimJob): number {
    const terminal = job.plan.steps.findIndex(isTerminalWord);
    return terminal === -1 ? job.plan.steps.length : terminal + 1;
  }

  private moveTo(job: SimJob, target: number, at?: number): void {
    const position = Math.min(target, this.lastPosition(job));
    if (position <= job.position) return;
    job.position = position;
    // Strictly increasing, so a long poll's `last_modified` comparison sees every change.
    job.updated = Math.max(at ?? this.now(), job.updated + 1);
    const word = this.currentWord(job);
    if (isTerminalWord(word)) this.applyOutcome(job, word);
    this.changes.emit(job.id);
  }

  private applyOutcome(job: SimJob, word: StateWord): void {
    const ok = word === 'NORMAL';
    const partial = word === 'PARTIAL_FAILURES';
    const at = this.now();
    const effect = job.effect;
    const target = this.resources.get(effect.kind === 'create' ? (effect.ids[0] ?? '') : effect.id);
    if (effect.kind === 'create') {
      effect.ids.forEach((id, index) => {
        const r = this.resources.get(id);
        if (!r || r.deleted !== undefined) return;
        r.updated = at;
        if (index > 0 && !ok && !partial) {
          // ERROR or CANCELLED: the tasks of the extra objects (inline host groups) were cancelled, never run.
          r.deleted = at;
          r.state = 'Deleted';
          return;
        }
        // In a partial failure the extra objects (inline host groups) succeeded; the main object did not.
        r.state = ok || (partial && index > 0) ? 'Operational' : 'Contact support';
      });
      return;
    }
    if (!target || target.deleted !== undefined) return;
    target.updated = at;
    switch (effect.kind) {
      case 'update':
        if (ok || partial) {
          Object.assign(target.fields, effect.changes);
          const renamed = effect.changes.name ?? effect.changes.display_name;
          if (typeof renamed === 'string') target.name = renamed;
        }
        target.state = ok ? 'Operational' : 'Contact support';
        return;
      case 'delete':
        if (ok) {
          target.deleted = at;
          target.state = 'Deleted';
        } else {
          target.state = 'Contact support';
        }
        return;
      case 'snapshot-create': {
        const snap = target.snapshots.find((s) => s.name === effect.name);
        if (!snap) return;
        if (word === 'ERROR' || word === 'CANCELLED') target.snapshots = target.snapshots.filter((s) => s !== snap);
        else snap.state = ok ? 'Operational' : 'Contact support';
        return;
      }
      case 'snapshot-delete':
        if (ok) target.snapshots = target.snapshots.filter((s) => s.name !== effect.name);
        return;
      case 'initiator-set': {
        if (!ok && !partial) return;
        const existing = target.initiators.find((i) => i.alias === effect.alias);
        if (existing) existing.initiator = effect.initiator;
        else target.initiators.push({ alias: effect.alias, initiator: effect.initiator });
        return;
      }
      case 'initiator-remove':
        if (ok || partial) target.initiators = target.initiators.filter((i) => i.alias !== effect.alias);
        return;
    }
  }

  /** The resource as `GET` by id answers it. */
  renderResource(r: SimResource): Record<string, unknown> {
    const { tags, hostgroup_mappings: mappings, hostgroups: _inline, initiators: _initiators, ...rest } = r.fields;
    const out: Record<string, unknown> = {
      id: r.id,
      name: r.name,
      tenant_id: r.tenantId,
      subtenant_id: r.subtenantId,
      ...(r.zone !== undefined ? { zone: r.zone } : {}),
      ...rest,
    };
    // Requests send tags as a map, records show them as a list of {key, value} (nse-api.md §7.1).
    if (tags !== undefined) {
      out.tags = Object.entries(tags as Record<string, unknown>).map(([key, value]) => ({ key, value }));
    }
    if (r.type === 'disk') {
      const names = Array.isArray(mappings) ? mappings.filter((m): m is string => typeof m === 'string') : [];
      out.hostgroup_mappings = names.map((name) => {
        const hg = this.liveResources(
          (h) => h.type === 'hostgroup' && h.name === name && h.subtenantId === r.subtenantId && h.zone === r.zone,
        )[0];
        return { id: hg?.id ?? null, name, initiators: hg ? hg.initiators.map((i) => ({ ...i })) : [] };
      });
    }
    if (r.type === 'disk' || r.type === 'fileshare') {
      out.snapshots = r.snapshots.map((s) => ({
        name: s.name,
        created: iso(s.created),
        ...(s.snapmirror_label !== undefined ? { snapmirror_label: s.snapmirror_label } : {}),
        state: s.state,
      }));
    }
    if (r.type === 'hostgroup') out.initiators = r.initiators.map((i) => ({ ...i }));
    if (r.type === 'bucket') out.creationTime = iso(r.created);
    out.state = r.state;
    out.created = iso(r.created);
    out.updated = iso(r.updated);
    return out;
  }

  /** A copy of the ledger. */
  ledger(): Ledger {
    for (const job of this.jobs.values()) this.refresh(job);
    return {
      resources: [...this.resources.values()].map((r) => ({
        id: r.id,
        type: r.type,
        name: r.name,
        tenant_id: r.tenantId,
        subtenant_id: r.subtenantId,
        ...(r.zone !== undefined ? { zone: r.zone } : {}),
        fields: structuredClone(r.fields),
        state: r.state,
        created: iso(r.created),
        ...(r.deleted !== undefined ? { deleted: iso(r.deleted) } : {}),
      })),
      events: this.events.map((e) => ({ ...e })),
      requests: this.requests.map((r) => ({
        ...r,
        query: { ...r.query },
        ...(r.body === undefined ? {} : { body: structuredClone(r.body) }),
      })),
    };
  }
}
