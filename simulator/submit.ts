/**
 * How the simulator accepts an async call: the resource and its ledger events recorded first, then the job with its
 * plan (from the request's rule) and tasks stored, and a 202 answer with the job, `job_tasks: null`.
 * @module
 */
import { FAMILIES, type Family } from './families';
import type { CallContext, SimContext } from './context';
import { SIM_FIXTURES, type SimSubtenant } from './fixtures';
import { envelope, notFound, precondition, publicFields, str, type Answer } from './http';
import type { JobAction, JobEffect, SimResource, TaskSpec } from './job-store';
import { renderJob } from './job-render';
import { isTerminalWord, planJob, type JobPlan, type StateWord } from './rules';

/** The step a plan ends on: its first terminal word, or its last word for a job that never ends. */
function finalWord(plan: JobPlan): StateWord {
  return plan.steps.find(isTerminalWord) ?? plan.steps.at(-1) ?? 'PENDING';
}

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

export interface Acceptance {
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
export function accept(ctx: SimContext, call: CallContext, p: Acceptance): Answer {
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
      tasks.push({ objectId: ctx.store.newId(), objectType: p.family.objectType, resourceType, action: p.action });
    }
  }
  const job = ctx.store.addJob(p.jobId, {
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
  ctx.log?.info(
    { jobId: job.id, operation: p.operation, objectId: p.objectId, steps: plan.steps, rule: call.matched?.index },
    'simulator accepted a job',
  );
  return {
    status: 202,
    body: envelope(202, 'Okay. Accepted for processing.', '', {
      returned_records: 1,
      records: [renderJob(job, ctx.store.currentWord(job), { tasks: false })],
    }),
  };
}

export interface NewResource {
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

export function submitCreate(ctx: SimContext, call: CallContext, p: NewResource): Answer {
  // Job id first, object id next: consecutive, as in NSE's examples.
  const jobId = ctx.store.newId();
  const objectId = ctx.store.newId();
  ctx.store.addResource({
    id: objectId,
    type: p.family.type,
    name: p.name,
    tenantId: p.subtenant.tenant_id,
    subtenantId: p.subtenant.id,
    zone: p.zone,
    fields: publicFields(p.fields),
    initiators: p.initiators?.map((i) => ({ ...i })),
  });
  ctx.store.recordEvent('create', p.family.type, objectId, p.name, jobId);
  const extraIds = (p.inlineHostgroups ?? []).map((hg) => {
    const id = ctx.store.newId();
    const fields = {
      name: hg.name,
      subtenant_id: p.subtenant.id,
      zone: p.zone,
      protocol: p.fields.protocol,
      os_type: p.fields.os_type,
    };
    ctx.store.addResource({
      id,
      type: 'hostgroup',
      name: hg.name,
      tenantId: p.subtenant.tenant_id,
      subtenantId: p.subtenant.id,
      zone: p.zone,
      fields,
      initiators: hg.initiators.map((i) => ({ ...i })),
    });
    ctx.store.recordEvent('create', 'hostgroup', id, hg.name, jobId);
    return id;
  });
  return accept(ctx, call, {
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
function beginChange(ctx: SimContext, resource: SimResource, action: 'update' | 'delete'): string {
  const family = FAMILIES[resource.type];
  if (resource.state === 'Deleting') {
    const already = action === 'delete' ? 'already ' : '';
    throw precondition(`The ${family.label} '${resource.name}' is ${already}being deleted.`);
  }
  const jobId = ctx.store.newId();
  ctx.store.setState(resource, action === 'update' ? 'Updating' : 'Deleting');
  ctx.store.recordEvent(action, family.type, resource.id, resource.name, jobId);
  return jobId;
}

export function submitUpdate(
  ctx: SimContext,
  call: CallContext,
  operation: string,
  resource: SimResource,
  body: Record<string, unknown>,
  fateName: string | undefined,
): Answer {
  return accept(ctx, call, {
    jobId: beginChange(ctx, resource, 'update'),
    operation,
    action: 'update',
    ...onResource(resource),
    fateName,
    summary: 'Update request is successfully submitted',
    effect: { kind: 'update', id: resource.id, changes: publicFields(body) },
    fields: { id: resource.id, ...body },
  });
}

export function submitDelete(ctx: SimContext, call: CallContext, operation: string, resource: SimResource): Answer {
  return accept(ctx, call, {
    jobId: beginChange(ctx, resource, 'delete'),
    operation,
    action: 'delete',
    ...onResource(resource),
    fateName: undefined,
    summary: 'Delete request is successfully submitted',
    effect: { kind: 'delete', id: resource.id },
    fields: { id: resource.id, name: resource.name },
  });
}

export function submitSnapshot(
  ctx: SimContext,
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
  if (action === 'delete' && !existing) throw notFound(`Snapshot '${snapshotName}' of ${family.label} '${parent.id}'`);
  if (action === 'delete' && existing?.state === 'Deleting')
    throw precondition(`Snapshot '${snapshotName}' is already being deleted.`);
  const jobId = ctx.store.newId();
  if (existing) existing.state = 'Deleting';
  else
    parent.snapshots.push({
      name: snapshotName,
      created: ctx.now(),
      snapmirror_label: str(body.snapmirror_label),
      state: 'Creating',
    });
  ctx.store.recordEvent(action, eventType, parent.id, snapshotName, jobId);
  const createSummary =
    parent.type === 'disk' ? 'Snapshot creation request on Ontap Disk is successfully submitted' : '';
  return accept(ctx, call, {
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
export function submitInitiator(
  ctx: SimContext,
  call: CallContext,
  hostgroup: SimResource,
  alias: string,
  change: { kind: 'add' | 'update'; initiator: string } | { kind: 'remove' },
): Answer {
  const operation = `${change.kind}-hostgroup-initiator`;
  const jobId = ctx.store.newId();
  const kind = change.kind === 'add' ? 'create' : change.kind === 'update' ? 'update' : 'delete';
  ctx.store.recordEvent(kind, 'hostgroup-initiator', hostgroup.id, alias, jobId);
  const summary = { add: 'Create', update: 'Update', remove: 'Delete' }[change.kind];
  return accept(ctx, call, {
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
