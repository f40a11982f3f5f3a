/**
 * The NSE simulator: a fastify app serving NSE REST API v2.1 under `/api` (nse-api.md §2-8, §11) from in-memory
 * state, scripted by rules (./rules.ts), plus control endpoints under `/_sim` for tests. It simulates the server on
 * its own and never imports the client's catalogue, so a client bug is caught instead of mirrored.
 *
 * Every `/api` answer uses NSE's envelope `{ status: { user_message, verbose_message, code }, result }` with
 * `code` equal to the HTTP status; errors carry `result: {}`. The exceptions are the `http302Login` and
 * `http403Html` faults, which answer as a proxy or a firewall in front of NSE would (HTML).
 *
 * What tests and chaos can select: job shapes, texts, outcomes and faults by rule (`jobShape`, `outcome`,
 * `states`, `faults`; see ./rules.ts); users scoped to their tenancies (`SimUser.tenancies`, default users in
 * ./fixtures.ts), who get 403 on another tenant's jobs, resources and subtenants; inline host groups of a disk,
 * created as their own objects and tasks of the disk's job; nameless creates (block store per subtenant and zone,
 * object storage account per subtenant) answering 412 to a second one.
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  findSubnet,
  findSubtenant,
  findTenant,
  findZone,
  SIM_FIXTURES,
  SUBNETS,
  SUBTENANTS,
  TENANTS,
  ZONES,
  type SimSubtenant,
  type SimUser,
} from './fixtures';
import {
  JobStore,
  type JobAction,
  type JobEffect,
  type Ledger,
  type ResourceType,
  type SimJob,
  type SimResource,
  type TaskSpec,
} from './job-store';
import {
  apiPath,
  envelope,
  filtered,
  filterMatches,
  invalid,
  notFound,
  one,
  page,
  parse,
  precondition,
  publicFields,
  queryValue,
  records,
  SimHttpError,
  str,
  type Answer,
  type SimRequest,
} from './http';
import { renderJob } from './job-render';
import { signJwt, verifyJwt } from './jwt';
import * as schemas from './request-schemas';
import {
  isTerminalWord,
  planJob,
  RulesError,
  RuleSet,
  type FaultKind,
  type JobPlan,
  type MatchedRule,
  type ParsedRule,
  type SimRule,
  type StateWord,
} from './rules';

/** Options of {@link buildSimulator}. */
export interface SimulatorOptions {
  /**
   * Accepted users; default {@link SIM_FIXTURES}.defaultUser (every tenant), `.tenantUser` (Acme only) and
   * `.otherTenantUser` (Globex only).
   */
  users?: readonly SimUser[];
  /** Rules in force at start and after `POST /_sim/reset`; validated, so a bad rule throws `RulesError`. */
  rules?: readonly SimRule[];
  /** Lifetime of tokens from `/v2.1/auth/signin` and `/refresh`, in seconds; default 3600. */
  tokenTtlSeconds?: number;
  /** HS256 secret of the tokens; default random per simulator. */
  jwtSecret?: string;
  /** pino logger (fastify's `loggerInstance`); default silent. Credentials are never logged. */
  logger?: FastifyBaseLogger;
  /** Clock in ms; tests inject one to expire tokens and move wall-clock jobs without waiting. Default `Date.now`. */
  now?: () => number;
}

/** Test and tooling access to a simulator without going through HTTP. */
export interface SimulatorControl {
  /** The in-memory state. */
  readonly store: JobStore;
  /** What `GET /_sim/ledger` answers. */
  ledger(): Ledger;
  /** The rules in force. */
  rules(): readonly ParsedRule[];
  /** Replaces the rules and restarts their fault counters; throws `RulesError` when a rule is invalid. */
  setRules(rules: unknown): void;
  /** Forgets jobs, resources and the ledger, and restores the start-up rules; fixtures and users stay. */
  reset(): void;
  /** Long polls currently waiting, so a test can synchronise with one without sleeping. */
  waitingLongPolls(): number;
}

/** A fastify instance serving the simulator, with its {@link SimulatorControl} as `sim`. */
export type SimulatorApp = FastifyInstance & { readonly sim: SimulatorControl };

interface UserRecord extends SimUser {
  id: string;
}

interface CallContext {
  user: UserRecord | undefined;
  matched: MatchedRule | undefined;
  /** The name the request was matched with; a job created by the request keeps it for its reads. */
  name: string | undefined;
  fire<K extends FaultKind>(kind: K): NonNullable<ParsedRule['faults']>[K] | undefined;
}

interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under `/api`, fastify syntax. */
  url: string;
  /** No authentication (sign-in). */
  public?: boolean;
  /** Catalogue-style operation name of an async call. */
  operation?: string;
  /** What rules match this request on, besides method and path. */
  about?: (req: SimRequest) => { name?: string | undefined; operation?: string | undefined };
  handle: (req: SimRequest, call: CallContext) => Answer | Promise<Answer>;
}

/** How each resource family appears in jobs (nse-api.md §6.3) and which driver and task types work on it. */
interface Family {
  type: ResourceType;
  /** Words for messages. */
  label: string;
  /** Collection path under `/api`. */
  collection: string;
  jobType: string;
  objectType: string;
  driver: 'ontap_ansible' | 'storagegrid_ansible';
  /** Task `resource_type`s: the main task's first, then the extra tasks of a partial failure. */
  taskTypes: readonly [string, string, string];
}

const FAMILIES: Readonly<Record<ResourceType, Family>> = {
  blockstore: {
    type: 'blockstore',
    label: 'block store',
    collection: '/v2.1/blockstores',
    jobType: 'blockstore',
    objectType: 'ontap_blockstores',
    driver: 'ontap_ansible',
    taskTypes: ['ontap_svm', 'ontap_lif', 'ontap_snapmirror'],
  },
  disk: {
    type: 'disk',
    label: 'disk',
    collection: '/v2.1/disks',
    jobType: 'disk',
    objectType: 'ontap_disks',
    driver: 'ontap_ansible',
    taskTypes: ['ontap_lun', 'ontap_volume', 'ontap_lun_map'],
  },
  hostgroup: {
    type: 'hostgroup',
    label: 'host group',
    collection: '/v2.1/hostgroups',
    jobType: 'hostgroup',
    objectType: 'ontap_hostgroups',
    driver: 'ontap_ansible',
    taskTypes: ['ontap_igroup', 'ontap_igroup_initiator', 'ontap_portset'],
  },
  fileserver: {
    type: 'fileserver',
    label: 'file server',
    collection: '/v2.1/fileservers',
    jobType: 'fileserver',
    objectType: 'ontap_fileservers',
    driver: 'ontap_ansible',
    taskTypes: ['ontap_svm', 'ontap_lif', 'ontap_dns'],
  },
  fileshare: {
    type: 'fileshare',
    label: 'file share',
    collection: '/v2.1/fileshares',
    jobType: 'fileshare',
    objectType: 'ontap_fileshares',
    driver: 'ontap_ansible',
    taskTypes: ['ontap_volume', 'ontap_export_policy', 'ontap_snapshot_policy'],
  },
  'objectstorage-account': {
    type: 'objectstorage-account',
    label: 'object storage account',
    collection: '/v2.1/objectstorage/accounts',
    jobType: 'objectstorage_account',
    objectType: 'sg_accounts',
    driver: 'storagegrid_ansible',
    taskTypes: ['sg_account', 'sg_tenant_user', 'sg_quota'],
  },
  bucket: {
    type: 'bucket',
    label: 'S3 bucket',
    collection: '/v2.1/objectstorage/buckets',
    jobType: 'bucket',
    objectType: 'sg_buckets',
    driver: 'storagegrid_ansible',
    taskTypes: ['sg_bucket', 'sg_bucket_policy', 'sg_bucket_versioning'],
  },
  'objectiam-group': {
    type: 'objectiam-group',
    label: 'object IAM group',
    collection: '/v2.1/objectiam/groups',
    jobType: 'objectiam_group',
    objectType: 'sg_groups',
    driver: 'storagegrid_ansible',
    taskTypes: ['sg_group', 'sg_group_policy', 'sg_group_quota'],
  },
  'objectiam-user': {
    type: 'objectiam-user',
    label: 'object IAM user',
    collection: '/v2.1/objectiam/users',
    jobType: 'objectiam_user',
    objectType: 'sg_users',
    driver: 'storagegrid_ansible',
    taskTypes: ['sg_user', 'sg_group_membership', 'sg_user_key'],
  },
};

const JOB_SORT_KEYS = [
  'id',
  'action',
  'job_summary',
  'created',
  'updated',
  'object_id',
  'type',
  'object_type',
  'object_name',
  'status',
  'state',
  'status_detail',
  'last_error',
  'user_id',
] as const;
const RESOURCE_SORT_KEYS = ['id', 'name', 'state', 'created', 'updated', 'subtenant_id', 'tenant_id', 'zone'] as const;
const FIXTURE_SORT_KEYS = ['id', 'name', 'code', 'tenant_id', 'description', 'region_name', 'zone', 'cidr'] as const;

const DEFAULT_UNKNOWN_WORD = 'RECONCILING';

/** The step a plan ends on: its first terminal word, or its last word for a job that never ends. */
function finalWord(plan: JobPlan): StateWord {
  return plan.steps.find(isTerminalWord) ?? plan.steps.at(-1) ?? 'PENDING';
}

/** Checks an initiator against its host group's protocol: IQN/EUI/NAA for iSCSI, a WWPN for FC (§7.1). */
function checkInitiator(protocol: unknown, initiator: string, field: string): void {
  const ok =
    protocol === 'fcp'
      ? /^([0-9a-f]{2}:){7}[0-9a-f]{2}$/i.test(initiator) || /^[0-9a-f]{16}$/i.test(initiator)
      : /^(iqn\.|eui\.|naa\.)/i.test(initiator);
  if (!ok) {
    throw invalid([
      `'${field}' must be ${protocol === 'fcp' ? 'a WWPN' : 'an iSCSI name (iqn., eui. or naa.)'} to match the host group protocol`,
    ]);
  }
}

/**
 * Builds the simulator app; it is not listening yet (use `listen`, or `inject` in tests). Throws `RulesError` when
 * `options.rules` is invalid.
 */
export function buildSimulator(options: SimulatorOptions = {}): SimulatorApp {
  const now = options.now ?? Date.now;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  const secret = options.jwtSecret ?? randomBytes(32).toString('hex');
  const users = new Map<string, UserRecord>(
    (options.users ?? [SIM_FIXTURES.defaultUser, SIM_FIXTURES.tenantUser, SIM_FIXTURES.otherTenantUser]).map((u) => [
      u.username,
      { ...u, id: createHash('sha1').update(`user:${u.username}`).digest('hex').slice(0, 24) },
    ]),
  );
  if (users.size === 0) throw new Error('the simulator needs at least one user');
  const startupRules = options.rules ?? [];
  let rules = new RuleSet(startupRules);
  const store = new JobStore(now);
  const longPolls = new Set<() => void>();
  const pauses = new Set<() => void>();
  const entries = new WeakMap<FastifyRequest, ReturnType<JobStore['recordRequest']>>();
  /** The call a handler runs for, so look-ups deep in a handler can check the user's tenancies. */
  const currentCall = new AsyncLocalStorage<CallContext>();

  const app: FastifyInstance = options.logger
    ? Fastify({ loggerInstance: options.logger })
    : Fastify({ logger: false });

  // ---- authentication (nse-api.md §2) ----

  function authenticate(header: string | undefined): { ok: true; user: UserRecord } | { ok: false; reason: string } {
    if (!header) return { ok: false, reason: 'Missing Authorization header (Basic or Bearer).' };
    const [scheme, credentials = ''] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon > 0 ? users.get(decoded.slice(0, colon)) : undefined;
      if (!user || !samePassword(user.password, decoded.slice(colon + 1))) {
        return { ok: false, reason: 'Invalid username or password.' };
      }
      return { ok: true, user };
    }
    if (scheme?.toLowerCase() === 'bearer') {
      const verified = verifyJwt(credentials, secret, Math.floor(now() / 1000));
      if (!verified.ok)
        return { ok: false, reason: verified.reason === 'expired' ? 'Token expired.' : 'Invalid token.' };
      const user = users.get(verified.payload.username);
      return user ? { ok: true, user } : { ok: false, reason: 'Invalid token.' };
    }
    return { ok: false, reason: 'Unsupported authorization scheme.' };
  }

  function samePassword(expected: string, given: string): boolean {
    const a = Buffer.from(expected);
    const b = Buffer.from(given);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  function tokenAnswer(user: UserRecord): Answer {
    const token = signJwt({ username: user.username, exp: Math.floor(now() / 1000) + tokenTtlSeconds }, secret);
    const tenancies = TENANTS.filter((t) => user.tenancies?.includes(t.id) ?? true).map((t) => ({
      id: t.id,
      name: t.name,
      code: t.code,
      role: user.tenancies ? 'user' : 'admin',
    }));
    const record = {
      user: {
        id: user.id,
        username: user.username,
        firstName: user.username,
        lastName: 'Simulated',
        displayName: user.username,
        email: `${user.username}@nse-simulator.invalid`,
        tenancies,
      },
      token,
    };
    return {
      status: 200,
      body: envelope(200, 'Authentication succeeded.', '', { total_records: 1, records: [record] }),
    };
  }

  // ---- tenancies (403) and look-ups that answer 404 ----

  /** True when the user of the current call may see tenant `tenantId`'s things. */
  function inTenancy(tenantId: string): boolean {
    return currentCall.getStore()?.user?.tenancies?.includes(tenantId) ?? true;
  }

  /** Answers 403 when the user of the current call has no tenancy in `tenantId`. */
  function requireTenancy(tenantId: string, what: string): void {
    if (inTenancy(tenantId)) return;
    const username = currentCall.getStore()?.user?.username ?? '';
    throw new SimHttpError(403, 'Forbidden.', `User '${username}' may not access ${what} of tenant '${tenantId}'.`);
  }

  function requireSubtenant(id: string): SimSubtenant {
    const subtenant = findSubtenant(id);
    if (!subtenant) throw notFound(`Subtenant '${id}'`);
    requireTenancy(subtenant.tenant_id, `subtenant '${id}'`);
    return subtenant;
  }

  function requireZone(name: string): void {
    if (!findZone(name)) throw notFound(`Zone '${name}'`);
  }

  function requireResource(type: ResourceType, id: string): SimResource {
    const resource = store.getResource(id, type);
    if (!resource) throw notFound(`${capitalise(FAMILIES[type].label)} '${id}'`);
    requireTenancy(resource.tenantId, `${FAMILIES[type].label} '${id}'`);
    return resource;
  }

  function capitalise(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function requireUnique(type: ResourceType, name: string, scope: (r: SimResource) => boolean, where: string): void {
    if (store.liveResources((r) => r.type === type && r.name === name && scope(r)).length > 0) {
      throw precondition(`A ${FAMILIES[type].label} named '${name}' already exists ${where}.`);
    }
  }

  // ---- jobs ----

  function taskPayload(family: Family, fields: Record<string, unknown>): Record<string, unknown> {
    // Real NSE echoes the driver's credentials in clear (nse-api.md §6.2); these fake ones let clients test redaction.
    const credentials =
      family.driver === 'storagegrid_ansible'
        ? {
            grid_account_id: '05336917559886003354',
            grid_admin_base_url: 'https://storagegrid.nse-simulator.invalid/api/v3',
            org_username: 'root',
            org_password: SIM_FIXTURES.fakeSecrets.orgPassword,
          }
        : {
            cluster_mgmt_ip: '192.0.2.10',
            admin_username: 'admin',
            admin_password: SIM_FIXTURES.fakeSecrets.adminPassword,
          };
    return { ...fields, ...credentials };
  }

  interface Acceptance {
    jobId: string;
    operation: string;
    action: JobAction;
    family: Family;
    objectId: string;
    objectName: string;
    noun: string;
    tenantId: string;
    subtenantId: string;
    /** Name whose prefix decides the default fate; undefined for deletes and accounts. */
    fateName: string | undefined;
    summary: string;
    effect: JobEffect;
    mainTaskType?: string;
    extraTasks?: TaskSpec[];
    fields: Record<string, unknown>;
  }

  /** Stores the job and answers 202 with it, `job_tasks: null`, as every async NSE call does. */
  function accept(call: CallContext, p: Acceptance): Answer {
    const plan = planJob(call.matched?.rule, p.action, p.fateName);
    const tasks: TaskSpec[] = [
      {
        objectId: p.objectId,
        objectType: p.family.objectType,
        resourceType: p.mainTaskType ?? p.family.taskTypes[0],
        action: p.action,
      },
      ...(p.extraTasks ?? []),
    ];
    if (finalWord(plan) === 'PARTIAL_FAILURES') {
      // A partial failure needs successful tasks with their own objects and at least one failed task.
      for (const resourceType of p.family.taskTypes.slice(1)) {
        if (tasks.length >= 3) break;
        tasks.push({ objectId: store.newId(), objectType: p.family.objectType, resourceType, action: p.action });
      }
    }
    const job = store.addJob(p.jobId, {
      operation: p.operation,
      action: p.action,
      type: p.family.jobType,
      objectType: p.family.objectType,
      objectId: p.objectId,
      objectName: p.objectName,
      summary: p.summary,
      noun: p.noun,
      tenantId: p.tenantId,
      subtenantId: p.subtenantId,
      userId: call.user?.id ?? '',
      matchName: call.name,
      plan,
      effect: p.effect,
      driver: p.family.driver,
      tasks,
      payload: taskPayload(p.family, p.fields),
    });
    app.log.info(
      { jobId: job.id, operation: p.operation, objectId: p.objectId, steps: plan.steps, rule: call.matched?.index },
      'simulator accepted a job',
    );
    return {
      status: 202,
      body: envelope(202, 'Okay. Accepted for processing.', '', {
        returned_records: 1,
        records: [renderJob(job, store.currentWord(job), { tasks: false })],
      }),
    };
  }

  interface NewResource {
    operation: string;
    family: Family;
    name: string;
    subtenant: SimSubtenant;
    zone?: string | undefined;
    fields: Record<string, unknown>;
    fateName: string | undefined;
    objectName?: string;
    summary?: string;
    initiators?: Array<{ alias: string; initiator: string }>;
    /** Host groups created inline with a disk: they share the disk's job. */
    inlineHostgroups?: Array<{ name: string; initiators: Array<{ alias: string; initiator: string }> }>;
  }

  function submitCreate(call: CallContext, p: NewResource): Answer {
    // Job id first, object id next: consecutive, as in NSE's examples.
    const jobId = store.newId();
    const objectId = store.newId();
    store.addResource({
      id: objectId,
      type: p.family.type,
      name: p.name,
      tenantId: p.subtenant.tenant_id,
      subtenantId: p.subtenant.id,
      zone: p.zone,
      fields: publicFields(p.fields),
      initiators: p.initiators?.map((i) => ({ ...i })),
    });
    store.recordEvent('create', p.family.type, objectId, p.name, jobId);
    const extraIds = (p.inlineHostgroups ?? []).map((hg) => {
      const id = store.newId();
      const fields = {
        name: hg.name,
        subtenant_id: p.subtenant.id,
        zone: p.zone,
        protocol: p.fields.protocol,
        os_type: p.fields.os_type,
      };
      store.addResource({
        id,
        type: 'hostgroup',
        name: hg.name,
        tenantId: p.subtenant.tenant_id,
        subtenantId: p.subtenant.id,
        zone: p.zone,
        fields,
        initiators: hg.initiators.map((i) => ({ ...i })),
      });
      store.recordEvent('create', 'hostgroup', id, hg.name, jobId);
      return id;
    });
    return accept(call, {
      jobId,
      operation: p.operation,
      action: 'create',
      family: p.family,
      objectId,
      objectName: p.objectName ?? p.name,
      noun: `${p.family.label} '${p.name}'`,
      tenantId: p.subtenant.tenant_id,
      subtenantId: p.subtenant.id,
      fateName: p.fateName,
      summary: p.summary ?? 'Create request is successfully submitted',
      effect: { kind: 'create', ids: [objectId, ...extraIds] },
      extraTasks: extraIds.map((id) => ({
        objectId: id,
        objectType: FAMILIES.hostgroup.objectType,
        resourceType: 'ontap_igroup',
        action: 'create' as const,
      })),
      fields: p.fields,
    });
  }

  /**
   * What a job on an existing resource takes from it for its {@link Acceptance}; `part` ("snapshot 'x'") names a
   * part of the resource the job is about.
   */
  function onResource(resource: SimResource, part?: string) {
    const family = FAMILIES[resource.type];
    const noun = `${family.label} '${resource.name}'`;
    return {
      family,
      objectId: resource.id,
      objectName: resource.name,
      noun: part === undefined ? noun : `${part} of ${noun}`,
      tenantId: resource.tenantId,
      subtenantId: resource.subtenantId,
    };
  }

  /** Marks a resource changing for an update or delete job and records the event; refuses one being deleted. */
  function beginChange(resource: SimResource, action: 'update' | 'delete'): string {
    const family = FAMILIES[resource.type];
    if (resource.state === 'Deleting') {
      const already = action === 'delete' ? 'already ' : '';
      throw precondition(`The ${family.label} '${resource.name}' is ${already}being deleted.`);
    }
    const jobId = store.newId();
    store.setState(resource, action === 'update' ? 'Updating' : 'Deleting');
    store.recordEvent(action, family.type, resource.id, resource.name, jobId);
    return jobId;
  }

  function submitUpdate(
    call: CallContext,
    operation: string,
    resource: SimResource,
    body: Record<string, unknown>,
    fateName: string | undefined,
  ): Answer {
    return accept(call, {
      jobId: beginChange(resource, 'update'),
      operation,
      action: 'update',
      ...onResource(resource),
      fateName,
      summary: 'Update request is successfully submitted',
      effect: { kind: 'update', id: resource.id, changes: publicFields(body) },
      fields: { id: resource.id, ...body },
    });
  }

  function submitDelete(call: CallContext, operation: string, resource: SimResource): Answer {
    return accept(call, {
      jobId: beginChange(resource, 'delete'),
      operation,
      action: 'delete',
      ...onResource(resource),
      fateName: undefined,
      summary: 'Delete request is successfully submitted',
      effect: { kind: 'delete', id: resource.id },
      fields: { id: resource.id, name: resource.name },
    });
  }

  function submitSnapshot(
    call: CallContext,
    operation: string,
    parent: SimResource,
    snapshotName: string,
    action: 'create' | 'delete',
    body: Record<string, unknown>,
  ): Answer {
    const family = FAMILIES[parent.type];
    const eventType = parent.type === 'disk' ? 'disk-snapshot' : 'fileshare-snapshot';
    const existing = parent.snapshots.find((s) => s.name === snapshotName);
    if (action === 'create' && existing)
      throw precondition(`Snapshot '${snapshotName}' already exists on ${family.label} '${parent.name}'.`);
    if (action === 'delete' && !existing)
      throw notFound(`Snapshot '${snapshotName}' of ${family.label} '${parent.id}'`);
    if (action === 'delete' && existing?.state === 'Deleting')
      throw precondition(`Snapshot '${snapshotName}' is already being deleted.`);
    const jobId = store.newId();
    if (existing) existing.state = 'Deleting';
    else
      parent.snapshots.push({
        name: snapshotName,
        created: now(),
        snapmirror_label: str(body.snapmirror_label),
        state: 'Creating',
      });
    store.recordEvent(action, eventType, parent.id, snapshotName, jobId);
    const createSummary =
      parent.type === 'disk' ? 'Snapshot creation request on Ontap Disk is successfully submitted' : '';
    return accept(call, {
      jobId,
      operation,
      action,
      ...onResource(parent, `snapshot '${snapshotName}'`),
      objectName: snapshotName,
      fateName: action === 'create' ? snapshotName : undefined,
      summary: action === 'create' ? createSummary : 'Delete Snapshot request is successfully submitted',
      effect: { kind: action === 'create' ? 'snapshot-create' : 'snapshot-delete', id: parent.id, name: snapshotName },
      mainTaskType: 'ontap_snapshot',
      fields: { parent_id: parent.id, snapshot_name: snapshotName, ...body },
    });
  }

  /** An `add-`, `update-` or `remove-hostgroup-initiator` call, after its checks. */
  function submitInitiator(
    call: CallContext,
    hostgroup: SimResource,
    alias: string,
    change: { kind: 'add' | 'update'; initiator: string } | { kind: 'remove' },
  ): Answer {
    const operation = `${change.kind}-hostgroup-initiator`;
    const jobId = store.newId();
    const kind = change.kind === 'add' ? 'create' : change.kind === 'update' ? 'update' : 'delete';
    store.recordEvent(kind, 'hostgroup-initiator', hostgroup.id, alias, jobId);
    const summary = { add: 'Create', update: 'Update', remove: 'Delete' }[change.kind];
    return accept(call, {
      jobId,
      operation,
      // NSE reports initiator changes as updates of the host group (nse-api.md §6.2).
      action: 'update',
      ...onResource(hostgroup, `initiator '${alias}'`),
      fateName: change.kind === 'remove' ? undefined : alias,
      summary: `${summary} request is successfully submitted`,
      effect:
        change.kind === 'remove'
          ? { kind: 'initiator-remove', id: hostgroup.id, alias }
          : { kind: 'initiator-set', id: hostgroup.id, alias, initiator: change.initiator },
      mainTaskType: 'ontap_igroup_initiator',
      fields: {
        hostgroup_id: hostgroup.id,
        alias,
        ...(change.kind === 'remove' ? {} : { initiator: change.initiator }),
      },
    });
  }

  // ---- job reads, with the long-poll extension ----

  function jobAnswer(job: SimJob, unknownWord?: string): Answer {
    return {
      status: 200,
      body: envelope(200, records(1), '', {
        total_records: 1,
        records: [renderJob(job, store.currentWord(job), { tasks: true, unknownWord })],
      }),
    };
  }

  /** One read of a job: it moves a per-read job on, and applies the job faults of the request's rule. */
  function readJobOnce(job: SimJob, call: CallContext): Answer {
    if (!store.isFinished(job)) {
      const unknown = call.fire('unknownState');
      if (unknown) {
        store.touch(job);
        return jobAnswer(job, unknown.word ?? DEFAULT_UNKNOWN_WORD);
      }
    }
    store.readJob(job);
    if (store.isFinished(job)) {
      const vanish = call.matched?.rule.faults?.vanishAfterTerminal;
      if (vanish && job.terminalReads >= (vanish.terminalReads ?? 0) && call.fire('vanishAfterTerminal')) {
        store.vanish(job);
        app.log.info({ jobId: job.id }, 'simulated fault: job vanished after finishing');
        throw notFound(`Job '${job.id}'`);
      }
      job.terminalReads += 1;
    }
    return jobAnswer(job);
  }

  /**
   * Waits until the job changes, vanishes, or `timeoutMs` passes. Wall-clock jobs are woken at their next step.
   * Every timer is cleared when the wait ends, and `preClose` ends all waits, so a long poll never holds the
   * process open.
   */
  function waitForChange(job: SimJob, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let stepTimer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timeout);
        clearTimeout(stepTimer);
        unsubscribe();
        longPolls.delete(finish);
        resolve();
      };
      const unsubscribe = store.onChange(job.id, finish);
      const timeout = setTimeout(finish, timeoutMs).unref();
      const scheduleStep = (): void => {
        const at = store.nextStepAt(job);
        if (at === undefined) return;
        stepTimer = setTimeout(
          () => {
            store.refresh(job);
            scheduleStep();
          },
          Math.min(Math.max(at - now(), 1), timeoutMs),
        ).unref();
      };
      scheduleStep();
      longPolls.add(finish);
    });
  }

  async function getJob(req: SimRequest, call: CallContext): Promise<Answer> {
    const id = req.params.id ?? '';
    const job = store.getJob(id);
    if (!job) throw notFound(`Job '${id}'`);
    requireTenancy(job.tenantId, `job '${id}'`);
    const pollTimeout = queryValue(req.query, 'poll_timeout');
    if (pollTimeout === undefined) return readJobOnce(job, call);
    // Long polling is NOT NSE behaviour: NSE documents no parameter for it. This extension follows ONTAP Select
    // (nse-api.md §10): answer when the job's `updated` is after `last_modified`, or when `poll_timeout` s pass.
    if (!/^\d+$/.test(pollTimeout) || Number(pollTimeout) < 1 || Number(pollTimeout) > 120) {
      throw invalid([`'poll_timeout' must be an integer from 1 to 120 seconds`]);
    }
    const lastModifiedText = queryValue(req.query, 'last_modified');
    let since = job.updated;
    if (lastModifiedText !== undefined) {
      since = Date.parse(lastModifiedText.replace(/^>=?/, ''));
      if (Number.isNaN(since)) throw invalid([`'last_modified' must be an ISO-8601 timestamp`]);
    }
    const first = readJobOnce(job, call);
    const extension = { 'x-nse-simulator-extension': 'long-poll' };
    if (job.updated > since || store.isFinished(job)) {
      return { ...first, headers: extension };
    }
    await waitForChange(job, Number(pollTimeout) * 1000);
    const current = store.getJob(id);
    if (!current) throw notFound(`Job '${id}'`);
    store.refresh(current);
    return { ...jobAnswer(current), headers: extension };
  }

  function listJobs(req: SimRequest): Answer {
    const tenantFilter = queryValue(req.query, 'tenant_id');
    const subtenantFilter = queryValue(req.query, 'subtenant_id');
    if (tenantFilter !== undefined && findTenant(tenantFilter)) requireTenancy(tenantFilter, 'the jobs');
    const jobs = store
      .allJobs()
      .filter((job) => inTenancy(job.tenantId))
      .filter((job) => !tenantFilter || filterMatches(tenantFilter, job.tenantId))
      .filter((job) => !subtenantFilter || filterMatches(subtenantFilter, job.subtenantId));
    // Listing shows each job as it is now but never counts as a read: jobs move only when read by id.
    const rendered = jobs.map((job) => renderJob(job, store.currentWord(job), { tasks: true }));
    return page(rendered, req.query, JOB_SORT_KEYS, { sortBy: 'created', orderBy: 'desc' });
  }

  // ---- resource reads ----

  function listResources(type: ResourceType, req: SimRequest): Answer {
    store.allJobs(); // brings wall-clock jobs, and so their resources, up to date
    const items = store
      .liveResources((r) => r.type === type && inTenancy(r.tenantId))
      .map((r) => store.renderResource(r));
    return page(
      filtered(items, req.query, ['tenant_id', 'subtenant_id', 'zone', 'name', 'state']),
      req.query,
      RESOURCE_SORT_KEYS,
      {
        sortBy: 'created',
        orderBy: 'desc',
      },
    );
  }

  function getResource(type: ResourceType, req: SimRequest): Answer {
    store.allJobs();
    return one(store.renderResource(requireResource(type, req.params.id ?? '')));
  }

  // ---- route table ----

  const bodyName = (req: SimRequest): string | undefined => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return str(body.name) ?? str(body.display_name) ?? str(body.alias);
  };
  const aboutBody = (req: SimRequest) => ({ name: bodyName(req) });
  const aboutTarget = (req: SimRequest) => ({ name: bodyName(req) ?? store.getResource(req.params.id ?? '')?.name });
  /** For calls whose body names nothing: account calls, and a block store create (NSE names the store). */
  const aboutNoName = () => ({ name: undefined });

  /** The resource of the path's `:id`, or a 404. */
  const target = (type: ResourceType, req: SimRequest): SimResource => requireResource(type, req.params.id ?? '');

  /** Uniqueness scopes of {@link requireUnique}: the arguments after the name. */
  const inZone = (subtenantId: string, zone: string | undefined) =>
    [(r: SimResource) => r.subtenantId === subtenantId && r.zone === zone, `in zone '${zone ?? ''}'`] as const;
  const inSubtenant = (subtenantId: string) =>
    [(r: SimResource) => r.subtenantId === subtenantId, `in subtenant '${subtenantId}'`] as const;

  /** A clone's source (a disk or a file share) and, when named, its snapshot must exist. */
  function requireCloneSource(type: 'disk' | 'fileshare', id: string | undefined, snapshot: string | undefined): void {
    if (id === undefined) return;
    const source = requireResource(type, id);
    if (snapshot !== undefined && !source.snapshots.some((s) => s.name === snapshot)) {
      throw notFound(`Snapshot '${snapshot}' of ${FAMILIES[type].label} '${source.id}'`);
    }
  }

  /** An update may name the subtenant, but never move the resource to another one. */
  function requireSameSubtenant(resource: SimResource, subtenantId: string, noun: string): void {
    requireSubtenant(subtenantId);
    if (subtenantId !== resource.subtenantId)
      throw invalid([`'subtenant_id' is not the subtenant of ${noun} '${resource.id}'`]);
  }

  function requireInitiator(hostgroup: SimResource, alias: string): { alias: string; initiator: string } {
    const initiator = hostgroup.initiators.find((i) => i.alias === alias);
    if (!initiator) throw notFound(`Initiator '${alias}' of host group '${hostgroup.id}'`);
    return initiator;
  }

  /** The host group of the path and the `:alias` of one of its initiators, or a 404. */
  function pathInitiator(req: SimRequest): { hostgroup: SimResource; alias: string } {
    const hostgroup = target('hostgroup', req);
    const alias = req.params.alias ?? '';
    requireInitiator(hostgroup, alias);
    return { hostgroup, alias };
  }

  /** `POST` to a family's collection: the body validated by `schema`, checked and shaped by `prepare`, created. */
  function createRoute<S extends z.ZodType>(
    type: ResourceType,
    schema: S,
    about: NonNullable<ApiRoute['about']>,
    prepare: (input: z.output<S>) => Omit<NewResource, 'operation' | 'family'>,
  ): ApiRoute {
    const operation = `create-${type}`;
    return {
      method: 'POST',
      url: FAMILIES[type].collection,
      operation,
      about,
      handle: (req, call) =>
        submitCreate(call, { operation, family: FAMILIES[type], ...prepare(parse(schema, req.body)) }),
    };
  }

  /** `PUT` of one resource: the body validated by `schema`, then `check`ed against the resource; `fateName` as in rules. */
  function updateRoute<S extends z.ZodType<Record<string, unknown>>>(
    type: ResourceType,
    schema: S,
    options: {
      about?: NonNullable<ApiRoute['about']>;
      check?: (resource: SimResource, input: z.output<S>) => void;
      fateName?: (input: z.output<S>) => string | undefined;
    } = {},
  ): ApiRoute {
    const operation = `update-${type}`;
    return {
      method: 'PUT',
      url: `${FAMILIES[type].collection}/:id`,
      operation,
      about: options.about ?? aboutTarget,
      handle: (req, call) => {
        const resource = target(type, req);
        const input = parse(schema, req.body);
        options.check?.(resource, input);
        return submitUpdate(call, operation, resource, input, options.fateName?.(input));
      },
    };
  }

  /** `DELETE` of one resource, refused by `guard` while something still depends on it. */
  function deleteRoute(
    type: ResourceType,
    options: { about?: NonNullable<ApiRoute['about']>; guard?: (resource: SimResource) => void } = {},
  ): ApiRoute {
    const operation = `delete-${type}`;
    return {
      method: 'DELETE',
      url: `${FAMILIES[type].collection}/:id`,
      operation,
      about: options.about ?? aboutTarget,
      handle: (req, call) => {
        const resource = target(type, req);
        options.guard?.(resource);
        return submitDelete(call, operation, resource);
      },
    };
  }

  /** Create and delete of a disk's or a share's snapshots: the same two calls for both (§7.1, §7.2). */
  function snapshotRoutes(kind: 'disk' | 'fileshare'): ApiRoute[] {
    const url = `${FAMILIES[kind].collection}/:id/snapshot/:name`;
    const about = (req: SimRequest) => ({ name: req.params.name });
    return (['create', 'delete'] as const).map((action) => ({
      method: action === 'create' ? 'POST' : 'DELETE',
      url,
      operation: `${action}-${kind}-snapshot`,
      about,
      handle: (req, call) => {
        const parent = target(kind, req);
        const input = action === 'create' ? parse(schemas.SnapshotCreate, req.body) : {};
        return submitSnapshot(call, `${action}-${kind}-snapshot`, parent, req.params.name ?? '', action, input);
      },
    }));
  }

  /** A seeded, read-only collection (tenants, subtenants, zones): filtered lists and one item by its key. */
  function fixtureRoutes(
    collection: string,
    items: readonly object[],
    filters: readonly string[],
    byKey: { param: string; find: (key: string) => object | undefined; label: string },
    tenantOf: (item: object) => string | undefined,
  ): ApiRoute[] {
    return [
      {
        method: 'GET',
        url: collection,
        handle: (req) =>
          byName(
            filtered(
              items
                .filter((item) => {
                  const tenantId = tenantOf(item);
                  return tenantId === undefined || inTenancy(tenantId);
                })
                .map((item) => ({ ...item })),
              req.query,
              filters,
            ),
            req,
          ),
      },
      {
        method: 'GET',
        url: `${collection}/:${byKey.param}`,
        handle: (req) => {
          const key = req.params[byKey.param] ?? '';
          const item = byKey.find(key);
          if (!item) throw notFound(`${byKey.label} '${key}'`);
          const tenantId = tenantOf(item);
          if (tenantId !== undefined) requireTenancy(tenantId, `${byKey.label.toLowerCase()} '${key}'`);
          return one({ ...item });
        },
      },
    ];
  }

  /** A page of seeded records, sorted by name unless the query says otherwise. */
  const byName = (items: Record<string, unknown>[], req: SimRequest): Answer =>
    page(items, req.query, FIXTURE_SORT_KEYS, { sortBy: 'name', orderBy: 'asc' });

  const routes: ApiRoute[] = [
    // Authentication
    {
      method: 'POST',
      url: '/v2.1/auth/signin',
      public: true,
      handle: (req) => {
        const credentials = parse(schemas.Signin, req.body);
        const user = users.get(credentials.username);
        if (!user || !samePassword(user.password, credentials.password)) {
          throw new SimHttpError(401, 'Unauthorized.', 'Invalid username or password.');
        }
        return tokenAnswer(user);
      },
    },
    {
      method: 'POST',
      url: '/v2.1/auth/refresh',
      handle: (req, call) => {
        if (!req.authorization?.toLowerCase().startsWith('bearer ') || !call.user) {
          throw new SimHttpError(401, 'Unauthorized.', 'Refreshing needs a valid Bearer token.');
        }
        return tokenAnswer(call.user);
      },
    },

    // Jobs
    { method: 'GET', url: '/v2.1/jobs', handle: listJobs },
    {
      method: 'GET',
      url: '/v2.1/jobs/:id',
      // A job read is matched with the name and operation of the request that created the job.
      about: (req) => {
        const job = store.getJob(req.params.id ?? '');
        return { name: job?.matchName, operation: job?.operation };
      },
      handle: getJob,
    },

    // Administrator resources (synchronous, seeded)
    ...fixtureRoutes(
      '/v2.1/tenants',
      TENANTS,
      ['code', 'name'],
      { param: 'id', find: findTenant, label: 'Tenant' },
      (tenant) => (tenant as { id: string }).id,
    ),
    ...fixtureRoutes(
      '/v2.1/subtenants',
      SUBTENANTS,
      ['tenant_id', 'code', 'name'],
      { param: 'id', find: findSubtenant, label: 'Subtenant' },
      (subtenant) => (subtenant as SimSubtenant).tenant_id,
    ),
    ...fixtureRoutes(
      '/v2.1/zones',
      ZONES,
      ['region_name', 'name'],
      { param: 'name', find: findZone, label: 'Zone' },
      () => undefined,
    ),
    { method: 'GET', url: '/v2.1/regions', handle: (req) => byName([{ name: SIM_FIXTURES.region }], req) },
    {
      method: 'GET',
      url: '/v2.1/tenants/:tenant_id/zones/:zone_name/subnets',
      handle: (req) => {
        requireTenancy(req.params.tenant_id ?? '', 'the subnets');
        return byName(
          SUBNETS.filter((s) => s.tenant_id === req.params.tenant_id && s.zone === req.params.zone_name).map((s) => ({
            ...s,
          })),
          req,
        );
      },
    },
    {
      method: 'GET',
      url: '/v2.1/tenants/:tenant_id/zones/:zone_name/subnets/:id',
      handle: (req) => {
        requireTenancy(req.params.tenant_id ?? '', 'the subnets');
        const subnet = findSubnet(req.params.id ?? '');
        if (!subnet || subnet.tenant_id !== req.params.tenant_id || subnet.zone !== req.params.zone_name) {
          throw notFound(`Subnet '${req.params.id ?? ''}'`);
        }
        return one({ ...subnet });
      },
    },

    // Block stores (§7.1)
    createRoute('blockstore', schemas.BlockstoreCreate, aboutNoName, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      if (input.tenant_id !== undefined) {
        if (!findTenant(input.tenant_id)) throw notFound(`Tenant '${input.tenant_id}'`);
        if (input.tenant_id !== subtenant.tenant_id)
          throw invalid([`'tenant_id' is not the tenant of subtenant '${subtenant.id}'`]);
      }
      requireZone(input.zone);
      if (input.dr_zone !== undefined) requireZone(input.dr_zone);
      if (input.subnet_id !== undefined && !findSubnet(input.subnet_id)) throw notFound(`Subnet '${input.subnet_id}'`);
      if (
        store.liveResources((r) => r.type === 'blockstore' && r.subtenantId === subtenant.id && r.zone === input.zone)
          .length > 0
      ) {
        throw precondition(`Subtenant '${subtenant.id}' already has a block store in zone '${input.zone}'.`);
      }
      return {
        name: `${subtenant.id}_${input.zone}`,
        subtenant,
        zone: input.zone,
        fields: { service_fcp_enabled: false, service_iscsi_enabled: true, ...input },
        fateName: undefined,
      };
    }),
    updateRoute('blockstore', schemas.BlockstoreUpdate, {
      check: (_resource, input) => {
        if (input.dr_zone !== undefined) requireZone(input.dr_zone);
      },
    }),
    deleteRoute('blockstore', {
      guard: (blockstore) => {
        const disks = store.liveResources(
          (r) => r.type === 'disk' && r.subtenantId === blockstore.subtenantId && r.zone === blockstore.zone,
        );
        if (disks.length > 0) {
          throw precondition(
            `Block store '${blockstore.id}' still has ${disks.length} disk(s): ${disks.map((d) => d.name).join(', ')}. Delete them first.`,
          );
        }
      },
    }),

    // Disks
    createRoute('disk', schemas.DiskCreate, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      requireZone(input.zone);
      requireCloneSource('disk', input.clone_from_disk_id, input.clone_from_snapshot_name);
      requireUnique('disk', input.name, ...inZone(subtenant.id, input.zone));
      const inline = (input.hostgroups ?? []).map((hg, index) => {
        requireUnique('hostgroup', hg.name, ...inZone(subtenant.id, input.zone));
        (hg.initiators ?? []).forEach((i, j) =>
          checkInitiator(input.protocol, i.initiator, `hostgroups.${index}.initiators.${j}.initiator`),
        );
        return { name: hg.name, initiators: hg.initiators ?? [] };
      });
      return {
        name: input.name,
        subtenant,
        zone: input.zone,
        fields: input,
        fateName: input.name,
        inlineHostgroups: inline,
      };
    }),
    updateRoute('disk', schemas.DiskUpdate, {
      check: (disk, input) => {
        if (disk.fields.dr_enabled === true && input.dr_enabled === false)
          throw invalid([`'dr_enabled' cannot be disabled once enabled`]);
        if (input.name !== undefined && input.name !== disk.name)
          requireUnique('disk', input.name, ...inZone(disk.subtenantId, disk.zone));
      },
      fateName: (input) => input.name,
    }),
    deleteRoute('disk'),
    ...snapshotRoutes('disk'),

    // Host groups and initiators
    createRoute('hostgroup', schemas.HostgroupCreate, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      requireZone(input.zone);
      requireUnique('hostgroup', input.name, ...inZone(subtenant.id, input.zone));
      const initiators = input.initiators ?? [];
      initiators.forEach((i, index) => checkInitiator(input.protocol, i.initiator, `initiators.${index}.initiator`));
      if (new Set(initiators.map((i) => i.alias)).size !== initiators.length)
        throw invalid([`'initiators' has a duplicate alias`]);
      return { name: input.name, subtenant, zone: input.zone, fields: input, fateName: input.name, initiators };
    }),
    deleteRoute('hostgroup', {
      guard: (hostgroup) => {
        const mapped = store.liveResources(
          (r) =>
            r.type === 'disk' &&
            r.subtenantId === hostgroup.subtenantId &&
            r.zone === hostgroup.zone &&
            Array.isArray(r.fields.hostgroup_mappings) &&
            r.fields.hostgroup_mappings.includes(hostgroup.name),
        );
        if (mapped.length > 0) {
          throw precondition(
            `Host group '${hostgroup.name}' is still mapped by disk(s): ${mapped.map((d) => d.name).join(', ')}.`,
          );
        }
      },
    }),
    {
      method: 'GET',
      url: '/v2.1/hostgroups/:id/initiators',
      handle: (req) =>
        page(
          target('hostgroup', req).initiators.map((i) => ({ ...i })),
          req.query,
          ['alias', 'initiator'],
          { sortBy: 'alias', orderBy: 'asc' },
        ),
    },
    {
      method: 'GET',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      handle: (req) => one({ ...requireInitiator(target('hostgroup', req), req.params.alias ?? '') }),
    },
    {
      method: 'POST',
      url: '/v2.1/hostgroups/:id/initiators',
      operation: 'add-hostgroup-initiator',
      about: aboutBody,
      handle: (req, call) => {
        const hostgroup = target('hostgroup', req);
        const input = parse(schemas.InitiatorAdd, req.body);
        checkInitiator(hostgroup.fields.protocol, input.initiator, 'initiator');
        if (hostgroup.initiators.some((i) => i.alias === input.alias)) {
          throw precondition(`Host group '${hostgroup.name}' already has an initiator with alias '${input.alias}'.`);
        }
        return submitInitiator(call, hostgroup, input.alias, { kind: 'add', initiator: input.initiator });
      },
    },
    {
      method: 'PATCH',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      operation: 'update-hostgroup-initiator',
      about: (req) => ({ name: req.params.alias }),
      handle: (req, call) => {
        const { hostgroup, alias } = pathInitiator(req);
        const input = parse(schemas.InitiatorUpdate, req.body);
        checkInitiator(hostgroup.fields.protocol, input.initiator, 'initiator');
        return submitInitiator(call, hostgroup, alias, { kind: 'update', initiator: input.initiator });
      },
    },
    {
      method: 'DELETE',
      url: '/v2.1/hostgroups/:id/initiators/:alias',
      operation: 'remove-hostgroup-initiator',
      about: (req) => ({ name: req.params.alias }),
      handle: (req, call) => {
        const { hostgroup, alias } = pathInitiator(req);
        return submitInitiator(call, hostgroup, alias, { kind: 'remove' });
      },
    },

    // File servers and shares (§7.2)
    createRoute('fileserver', schemas.FileserverCreate, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      requireZone(input.zone);
      if (input.dr_zone !== undefined) requireZone(input.dr_zone);
      if (input.subnet_id !== undefined && !findSubnet(input.subnet_id)) throw notFound(`Subnet '${input.subnet_id}'`);
      requireUnique('fileserver', input.name, ...inSubtenant(subtenant.id));
      return { name: input.name, subtenant, zone: input.zone, fields: input, fateName: input.name };
    }),
    updateRoute('fileserver', schemas.FileserverUpdate, {
      check: (_resource, input) => {
        if (input.dr_zone !== undefined) requireZone(input.dr_zone);
      },
      fateName: (input) => input.name,
    }),
    deleteRoute('fileserver', {
      guard: (fileserver) => {
        const shares = store.liveResources((r) => r.type === 'fileshare' && r.fields.fileserver_id === fileserver.id);
        if (shares.length > 0) {
          throw precondition(
            `File server '${fileserver.name}' still has ${shares.length} share(s): ${shares.map((s) => s.name).join(', ')}. Delete them first.`,
          );
        }
      },
    }),
    createRoute('fileshare', schemas.FileshareCreate, aboutBody, (input) => {
      const fileserver = requireResource('fileserver', input.fileserver_id);
      const subtenant = requireSubtenant(fileserver.subtenantId);
      requireCloneSource('fileshare', input.clone_from_fileshare_id, input.clone_from_snapshot_name);
      requireUnique(
        'fileshare',
        input.name,
        (r) => r.fields.fileserver_id === fileserver.id,
        `on file server '${fileserver.name}'`,
      );
      return { name: input.name, subtenant, zone: fileserver.zone, fields: input, fateName: input.name };
    }),
    updateRoute('fileshare', schemas.FileshareUpdate, { fateName: (input) => input.name }),
    deleteRoute('fileshare'),
    ...snapshotRoutes('fileshare'),

    // Object storage (§7.3). Accounts have no name of their own, so name rules never match them.
    createRoute('objectstorage-account', schemas.AccountCreate, aboutNoName, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      if (store.liveResources((r) => r.type === 'objectstorage-account' && r.subtenantId === subtenant.id).length > 0) {
        throw precondition(`Subtenant '${subtenant.id}' already has an object storage account.`);
      }
      const tenant = findTenant(subtenant.tenant_id);
      const name = `${tenant?.name ?? subtenant.tenant_id} - ${subtenant.name}`;
      return {
        name,
        subtenant,
        fields: { name, ...input },
        fateName: undefined,
        summary: `Activate request for Sub Tenant ${subtenant.name} is successfully submitted`,
      };
    }),
    updateRoute('objectstorage-account', schemas.AccountUpdate, {
      about: aboutNoName,
      check: (account, input) => requireSameSubtenant(account, input.subtenant_id, 'account'),
    }),
    deleteRoute('objectstorage-account', {
      about: aboutNoName,
      guard: (account) => {
        const blockers = store.liveResources(
          (r) =>
            r.subtenantId === account.subtenantId &&
            (r.type === 'objectiam-group' || r.type === 'objectiam-user' || r.type === 'bucket'),
        );
        if (blockers.length > 0) {
          const list = blockers.map((r) => `${FAMILIES[r.type].label} '${r.name}'`).join(', ');
          throw precondition(`Object storage account '${account.id}' still has groups, users or buckets: ${list}.`);
        }
      },
    }),
    createRoute('bucket', schemas.BucketCreate, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      const account = store.liveResources(
        (r) => r.type === 'objectstorage-account' && r.subtenantId === subtenant.id,
      )[0];
      if (!account || account.state !== 'Operational') {
        throw precondition(
          `The object storage account of subtenant '${subtenant.id}' is ${account ? `'${account.state}'` : 'not activated'}; buckets need an Operational account.`,
        );
      }
      // S3 bucket names are global, not per subtenant.
      requireUnique('bucket', input.name, () => true, 'in the grid');
      return {
        name: input.name,
        subtenant,
        fields: input,
        fateName: input.name,
        summary: 'Create S3 bucket for Sub Tenant',
      };
    }),
    createRoute('objectiam-group', schemas.GroupBody, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      requireUnique('objectiam-group', input.name, ...inSubtenant(subtenant.id));
      return { name: input.name, subtenant, fields: input, fateName: input.name };
    }),
    updateRoute('objectiam-group', schemas.GroupBody, {
      check: (group, input) => requireSameSubtenant(group, input.subtenant_id, 'group'),
      fateName: (input) => input.name,
    }),
    deleteRoute('objectiam-group'),
    createRoute('objectiam-user', schemas.UserBody, aboutBody, (input) => {
      const subtenant = requireSubtenant(input.subtenant_id);
      for (const groupId of input.sg_group_membership) {
        const group = requireResource('objectiam-group', groupId);
        if (group.subtenantId !== subtenant.id)
          throw notFound(`Object IAM group '${groupId}' in subtenant '${subtenant.id}'`);
      }
      requireUnique('objectiam-user', input.display_name, ...inSubtenant(subtenant.id));
      return {
        name: input.display_name,
        subtenant,
        fields: input,
        fateName: input.display_name,
        summary: 'Activate request is successfully submitted',
      };
    }),
    updateRoute('objectiam-user', schemas.UserBody, {
      check: (user, input) => {
        requireSameSubtenant(user, input.subtenant_id, 'user');
        for (const groupId of input.sg_group_membership) requireResource('objectiam-group', groupId);
      },
      fateName: (input) => input.display_name,
    }),
    deleteRoute('objectiam-user'),
  ];

  // Collection and by-id reads of every resource family.
  for (const family of Object.values(FAMILIES)) {
    routes.push(
      { method: 'GET', url: family.collection, handle: (req) => listResources(family.type, req) },
      {
        method: 'GET',
        url: `${family.collection}/:id`,
        about: aboutTarget,
        handle: (req) => getResource(family.type, req),
      },
    );
  }

  // ---- request pipeline ----

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms).unref();
      pauses.add(done);
    });
  }

  /**
   * The answers of what stands in front of NSE rather than NSE itself: a proxy's redirect to its login page, a web
   * application firewall's HTML 403, and a bare 400. Not envelopes, except the 400.
   */
  function foreignAnswer(
    call: CallContext,
    url: string,
  ): { status: number; headers: Record<string, string>; body: string | object } | undefined {
    if (call.fire('http302Login')) {
      return {
        status: 302,
        headers: { location: `/login?next=${encodeURIComponent(url)}`, 'content-type': 'text/html; charset=utf-8' },
        body: '<html><head><title>Sign in</title></head><body><form action="/login" method="post">Session expired. Please sign in.</form></body></html>',
      };
    }
    if (call.fire('http403Html')) {
      return {
        status: 403,
        headers: { 'content-type': 'text/html; charset=utf-8' },
        body: '<html><head><title>403 Forbidden</title></head><body><h1>Request blocked</h1><p>The web application firewall refused this request. Support ID: 4711</p></body></html>',
      };
    }
    if (call.fire('http400')) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: envelope(400, 'Invalid request.', 'Simulated fault: http400.', {}),
      };
    }
    return undefined;
  }

  function send(reply: FastifyReply, answer: Answer): FastifyReply {
    return reply
      .code(answer.status)
      .headers(answer.headers ?? {})
      .send(answer.body);
  }

  /** Auth, rule match, pre-processing faults, the handler, then post-processing faults, in that order. */
  async function dispatch(route: ApiRoute, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const entry = entries.get(request);
    const req: SimRequest = {
      method: request.method,
      path: apiPath(request.url),
      params: request.params as Record<string, string>,
      query: request.query as SimRequest['query'],
      body: request.body,
      authorization: request.headers.authorization,
    };
    let user: UserRecord | undefined;
    if (!route.public) {
      const auth = authenticate(req.authorization);
      if (!auth.ok) {
        return send(reply, {
          status: 401,
          body: envelope(401, 'Unauthorized.', auth.reason, {}),
          headers: { 'www-authenticate': 'Basic realm="NSE simulator", Bearer' },
        });
      }
      user = auth.user;
    }
    const about = route.about?.(req) ?? {};
    const ruleSet = rules;
    const matched = ruleSet.match({
      method: req.method,
      path: req.path,
      name: about.name,
      operation: about.operation ?? route.operation,
    });
    const call: CallContext = {
      user,
      matched,
      name: about.name,
      fire: (kind) => {
        const fault = ruleSet.fire(matched, kind);
        if (fault && entry) entry.fault = entry.fault ? `${entry.fault},${kind}` : kind;
        if (fault) request.log.info({ fault: kind, rule: matched?.index }, 'simulated fault');
        return fault;
      },
    };
    const latency = call.fire('latencyMs');
    if (latency) await pause(latency.ms);
    const tooMany = call.fire('http429');
    if (tooMany) {
      return send(reply, {
        status: 429,
        body: envelope(429, 'Too many requests.', 'Simulated fault: http429.', {}),
        headers: { 'retry-after': String(tooMany.retryAfterSeconds ?? 1) },
      });
    }
    if (call.fire('http500')) {
      return send(reply, {
        status: 500,
        body: envelope(500, 'Internal server error.', 'Simulated fault: http500.', {}),
      });
    }
    const foreign = foreignAnswer(call, request.url);
    if (foreign) return reply.code(foreign.status).headers(foreign.headers).send(foreign.body);
    let answer: Answer;
    try {
      answer = await currentCall.run(call, () => route.handle(req, call));
    } catch (err) {
      if (!(err instanceof SimHttpError)) throw err;
      answer = { status: err.status, body: envelope(err.status, err.userMessage, err.verbose, {}) };
    }
    if (answer.status >= 200 && answer.status < 300) {
      if (call.fire('dropAfterProcessing')) {
        if (entry) entry.status = answer.status;
        // The work is done and recorded; the client never learns it: an ambiguous submit.
        reply.hijack();
        reply.raw.destroy();
        return reply;
      }
      if (call.fire('malformedJson')) {
        const text = JSON.stringify(answer.body);
        return reply
          .code(answer.status)
          .headers({ ...answer.headers, 'content-type': 'application/json; charset=utf-8' })
          .send(text.slice(0, Math.floor(text.length / 2)));
      }
    }
    return send(reply, answer);
  }

  // An empty body is no body (clients often send a JSON content type on DELETE); bad JSON is a 400 envelope.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    const source = typeof text === 'string' ? text : text.toString('utf8');
    if (source.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(source));
    } catch {
      done(
        new SimHttpError(400, 'Invalid request: the body is not valid JSON.', 'Could not parse the JSON request body.'),
        undefined,
      );
    }
  });

  app.addHook('onRequest', async (request) => {
    if (request.url === '/api' || request.url.startsWith('/api/') || request.url.startsWith('/api?')) {
      const query = Object.fromEntries(
        Object.entries(request.query as Record<string, unknown>).map(([k, v]) => [
          k,
          Array.isArray(v) ? v.map(String) : String(v),
        ]),
      );
      entries.set(request, store.recordRequest(request.method, apiPath(request.url), query));
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    const entry = entries.get(request);
    if (entry && entry.status === 0) entry.status = reply.statusCode;
  });
  // End every long poll and injected delay first, so close() never waits on them and no timer outlives the app.
  app.addHook('preClose', async () => {
    for (const finish of [...longPolls, ...pauses]) finish();
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    if (error instanceof SimHttpError) {
      return reply.code(error.status).send(envelope(error.status, error.userMessage, error.verbose, {}));
    }
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'simulator error');
    const message = status >= 500 ? 'Internal server error.' : 'Invalid request.';
    return reply.code(status).send(envelope(status, message, error.message, {}));
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(envelope(404, 'Resource not found.', `No route for ${request.method} ${apiPath(request.url)}.`, {}));
  });

  for (const route of routes) {
    app.route({
      method: route.method,
      url: `/api${route.url}`,
      handler: (request, reply) => dispatch(route, request, reply),
    });
  }

  // ---- control endpoints: not NSE, not recorded; closed to all but an administrator of the simulator ----

  const control: SimulatorControl = {
    store,
    ledger: () => store.ledger(),
    rules: () => rules.rules,
    setRules: (input) => {
      rules = new RuleSet(input);
    },
    reset: () => {
      store.reset();
      rules = new RuleSet(startupRules);
    },
    waitingLongPolls: () => longPolls.size,
  };

  // Rules decide what every caller sees, and the ledger echoes every request: only a user of the simulator with no
  // tenancy limit (an administrator) may read or change them, with the same Basic or Bearer credentials as the API.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/_sim/') && request.url !== '/_sim') return;
    const auth = authenticate(request.headers.authorization);
    if (!auth.ok) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="NSE simulator control"')
        .send(
          envelope(401, 'Unauthorized.', `The simulator's control endpoints need its credentials. ${auth.reason}`, {}),
        );
    }
    if (auth.user.tenancies !== undefined) {
      return reply
        .code(403)
        .send(
          envelope(
            403,
            'Forbidden.',
            `User '${auth.user.username}' is scoped to tenancies; control needs an administrator.`,
            {},
          ),
        );
    }
  });
  app.get('/_sim/ledger', async () => control.ledger());
  app.get('/_sim/rules', async () => ({ rules: control.rules() }));
  app.put('/_sim/rules', async (request, reply) => {
    try {
      control.setRules(request.body ?? []);
    } catch (err) {
      if (err instanceof RulesError) return reply.code(400).send(envelope(400, 'Invalid rules.', err.message, {}));
      throw err;
    }
    return { rules: control.rules() };
  });
  app.post('/_sim/reset', async (_request, reply) => {
    control.reset();
    return reply.code(204).send();
  });

  app.decorate('sim', control);
  return app as SimulatorApp;
}
