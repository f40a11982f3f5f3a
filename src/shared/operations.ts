/**
 * The catalogue of NSE asynchronous calls (nse-api.md §7.1-7.3): for each operation its HTTP call, its input
 * schema and how to undo it. Pure data and zod: safe in the workflow sandbox, where inputs are validated before
 * any activity runs.
 * @module
 */
import { z } from 'zod';

export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a completed operation is undone during compensation. */
export type Undo =
  /** Run `operation` with the input built from the forward input and the job's `object_id`. */
  | {
      kind: 'delete';
      operation: string;
      input: (input: Record<string, unknown>, objectId: string) => Record<string, unknown>;
    }
  /** Read `readPath` before the forward call, then run `operation` with the values it had. */
  | {
      kind: 'restore';
      operation: string;
      readPath: string;
      restoreInput: (input: Record<string, unknown>, before: Record<string, unknown>) => Record<string, unknown>;
    }
  /** NSE has no undo for this call: a failed run reports "manual clean-up needed". */
  | { kind: 'none'; reason: string };

/** One entry of the catalogue. */
export interface OperationSpec {
  name: string;
  verb: 'create' | 'update' | 'delete' | 'add' | 'remove';
  /** The resource family, also the `NseObjectType` search attribute value. */
  resource: string;
  method: HttpMethod;
  /** Path under the API base; `{field}` segments are taken (URL-encoded) from the input. */
  path: string;
  /** Built on first use (`z.lazy`): every workflow run loads this module, and building all schemas up front cost each run milliseconds and memory. */
  schema: z.ZodType<Record<string, unknown>>;
  undo: Undo;
  /** Field holding the subtenant, used in summaries. */
  subtenantField?: string;
}

// NSE ids are 24-hex ObjectIds; accept any short token without '/', '?', '#' so an id can never rewrite the path.
const nseId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be an NSE id (letters, digits, _ . : -)');
const resourceName = z
  .string()
  .min(1)
  .max(255)
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  .regex(/^[^\u0000-\u001f/\\?#]+$/, 'must not contain control characters, slashes, ? or #');
const zone = z.string().min(1).max(128);
const tags = z.record(z.string().max(128), z.string().max(256));
const serviceLevel = z.enum(['standard', 'premium', 'extreme', 'premium-tiering', 'extreme-tiering']);
const drSchedule = z.enum(['hourly', 'four-hourly', 'daily']);
const osType = z.enum(['windows', 'linux', 'solaris', 'vmware']);
const blockProtocol = z.enum(['iscsi', 'fcp']);
const sizeGb = z.number().int().positive().max(1_048_576);
const snapmirrorLabel = z.enum(['hourly', 'daily', 'weekly', 'monthly']);
const initiator = z.object({ alias: resourceName, initiator: z.string().min(1).max(255) }).strict();
const exportRule = z
  .object({
    client_match: z.string().min(1).max(255),
    access: z.string().min(1).max(32),
    superuser: z.string().max(32),
  })
  .strict();
const policy = z.record(z.string(), z.unknown());
const s3Policy = z.object({ Statement: z.array(z.record(z.string(), z.unknown())).min(1) }).passthrough();

/** Gen-1 (`subnet` + `vlan_id`) and Gen-2 (`subnet_id`) network fields: one of the two is required. */
function withNetwork<T extends z.ZodRawShape>(shape: T) {
  return z
    .object({
      ...shape,
      subnet_id: nseId.optional(),
      subnet: z.string().min(1).max(64).optional(),
      vlan_id: z.number().int().min(1).max(4094).optional(),
    })
    .strict()
    .refine(
      (v: Record<string, unknown>) => v.subnet_id !== undefined || (v.subnet !== undefined && v.vlan_id !== undefined),
      {
        message: 'give subnet_id, or subnet with vlan_id',
        path: ['subnet_id'],
      },
    );
}

const deleteById = (operation: string): Undo => ({
  kind: 'delete',
  operation,
  input: (_input, objectId) => ({ id: objectId }),
});

/** Copies the fields an update changes from the record read before it, so the same call can put them back. */
function restoreChangedFields(rename: Record<string, (value: unknown) => unknown> = {}) {
  return (input: Record<string, unknown>, before: Record<string, unknown>): Record<string, unknown> => {
    const restored: Record<string, unknown> = { id: input.id };
    for (const key of Object.keys(input)) {
      if (key === 'id' || !(key in before)) continue;
      const convert = rename[key];
      restored[key] = convert ? convert(before[key]) : before[key];
    }
    return restored;
  };
}

// A disk record lists host group mappings as objects; the request takes names.
const mappingNames = (value: unknown): unknown =>
  Array.isArray(value) ? value.map((m: unknown) => (m && typeof m === 'object' && 'name' in m ? m.name : m)) : value;

// A record lists tags as `[{key, value}]`; requests take a `{key: value}` map (nse-api.md §7.1).
const tagMap = (value: unknown): unknown =>
  Array.isArray(value)
    ? Object.fromEntries(
        value.flatMap((t: unknown) =>
          t && typeof t === 'object' && 'key' in t && 'value' in t ? [[String(t.key), String(t.value)]] : [],
        ),
      )
    : value;

const byId = z.object({ id: nseId }).strict();

const specs: OperationSpec[] = [
  // Block storage (§7.1)
  {
    name: 'create-blockstore',
    verb: 'create',
    resource: 'blockstore',
    method: 'POST',
    path: '/v2.1/blockstores',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      withNetwork({
        tenant_id: nseId.optional(),
        subtenant_id: nseId,
        zone,
        service_fcp_enabled: z.boolean().optional(),
        dr_zone: zone.optional(),
        dr_schedule: drSchedule.optional(),
        tags: tags.optional(),
      }),
    ),
    undo: deleteById('delete-blockstore'),
  },
  {
    name: 'update-blockstore',
    verb: 'update',
    resource: 'blockstore',
    method: 'PUT',
    path: '/v2.1/blockstores/{id}',
    schema: z.lazy(() =>
      z
        .object({ id: nseId, dr_zone: zone.optional(), dr_schedule: drSchedule.optional(), tags: tags.optional() })
        .strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-blockstore',
      readPath: '/v2.1/blockstores/{id}',
      restoreInput: restoreChangedFields({ tags: tagMap }),
    },
  },
  {
    name: 'delete-blockstore',
    verb: 'delete',
    resource: 'blockstore',
    method: 'DELETE',
    path: '/v2.1/blockstores/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted block store cannot be restored (a new one gets a new id)' },
  },
  {
    name: 'create-disk',
    verb: 'create',
    resource: 'disk',
    method: 'POST',
    path: '/v2.1/disks',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z
        .object({
          subtenant_id: nseId,
          zone,
          name: resourceName,
          disk_path: z.string().min(1).max(255),
          protocol: blockProtocol,
          os_type: osType,
          hostgroup_mappings: z.array(resourceName),
          service_level: serviceLevel,
          size_gb: sizeGb,
          hostgroups: z
            .array(z.object({ name: resourceName, initiators: z.array(initiator).optional() }).strict())
            .optional(),
          snapshot_policy: policy.optional(),
          backup_policy: policy.optional(),
          dr_enabled: z.boolean().optional(),
          clone_from_disk_id: nseId.optional(),
          clone_from_snapshot_name: resourceName.optional(),
          tags: tags.optional(),
        })
        .strict(),
    ),
    undo: deleteById('delete-disk'),
  },
  {
    name: 'update-disk',
    verb: 'update',
    resource: 'disk',
    method: 'PUT',
    path: '/v2.1/disks/{id}',
    schema: z.lazy(() =>
      z
        .object({
          id: nseId,
          name: resourceName.optional(),
          service_level: serviceLevel.optional(),
          size_gb: sizeGb.optional(),
          hostgroup_mappings: z.array(resourceName).optional(),
          snapshot_policy: policy.optional(),
          backup_policy: policy.optional(),
          dr_enabled: z.boolean().optional(),
        })
        .strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-disk',
      readPath: '/v2.1/disks/{id}',
      restoreInput: restoreChangedFields({ hostgroup_mappings: mappingNames }),
    },
  },
  {
    name: 'delete-disk',
    verb: 'delete',
    resource: 'disk',
    method: 'DELETE',
    path: '/v2.1/disks/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted disk and its data cannot be restored' },
  },
  {
    name: 'create-disk-snapshot',
    verb: 'create',
    resource: 'disk-snapshot',
    method: 'POST',
    path: '/v2.1/disks/{disk_id}/snapshot/{name}',
    schema: z.lazy(() =>
      z.object({ disk_id: nseId, name: resourceName, snapmirror_label: snapmirrorLabel.optional() }).strict(),
    ),
    // The job's object_id is the disk, so the undo is built from the forward input.
    undo: {
      kind: 'delete',
      operation: 'delete-disk-snapshot',
      input: (input) => ({ disk_id: input.disk_id, name: input.name }),
    },
  },
  {
    name: 'delete-disk-snapshot',
    verb: 'delete',
    resource: 'disk-snapshot',
    method: 'DELETE',
    path: '/v2.1/disks/{disk_id}/snapshot/{name}',
    schema: z.lazy(() => z.object({ disk_id: nseId, name: resourceName }).strict()),
    undo: { kind: 'none', reason: 'a deleted snapshot cannot be restored' },
  },
  {
    name: 'create-hostgroup',
    verb: 'create',
    resource: 'hostgroup',
    method: 'POST',
    path: '/v2.1/hostgroups',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z
        .object({
          name: resourceName,
          subtenant_id: nseId,
          zone,
          protocol: blockProtocol,
          os_type: osType,
          initiators: z.array(initiator).optional(),
          tags: tags.optional(),
        })
        .strict(),
    ),
    undo: deleteById('delete-hostgroup'),
  },
  {
    name: 'delete-hostgroup',
    verb: 'delete',
    resource: 'hostgroup',
    method: 'DELETE',
    path: '/v2.1/hostgroups/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted host group gets a new id when recreated' },
  },
  {
    name: 'add-hostgroup-initiator',
    verb: 'add',
    resource: 'hostgroup-initiator',
    method: 'POST',
    path: '/v2.1/hostgroups/{hostgroup_id}/initiators',
    schema: z.lazy(() =>
      z.object({ hostgroup_id: nseId, alias: resourceName, initiator: z.string().min(1).max(255) }).strict(),
    ),
    undo: {
      kind: 'delete',
      operation: 'remove-hostgroup-initiator',
      input: (input) => ({ hostgroup_id: input.hostgroup_id, alias: input.alias }),
    },
  },
  {
    name: 'update-hostgroup-initiator',
    verb: 'update',
    resource: 'hostgroup-initiator',
    method: 'PATCH',
    path: '/v2.1/hostgroups/{hostgroup_id}/initiators/{alias}',
    schema: z.lazy(() =>
      z.object({ hostgroup_id: nseId, alias: resourceName, initiator: z.string().min(1).max(255) }).strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-hostgroup-initiator',
      readPath: '/v2.1/hostgroups/{hostgroup_id}/initiators/{alias}',
      restoreInput: (input, before) => ({
        hostgroup_id: input.hostgroup_id,
        alias: input.alias,
        initiator: before.initiator,
      }),
    },
  },
  {
    name: 'remove-hostgroup-initiator',
    verb: 'remove',
    resource: 'hostgroup-initiator',
    method: 'DELETE',
    path: '/v2.1/hostgroups/{hostgroup_id}/initiators/{alias}',
    schema: z.lazy(() => z.object({ hostgroup_id: nseId, alias: resourceName }).strict()),
    undo: { kind: 'none', reason: 'add the initiator back with add-hostgroup-initiator' },
  },
  // File services (§7.2)
  {
    name: 'create-fileserver',
    verb: 'create',
    resource: 'fileserver',
    method: 'POST',
    path: '/v2.1/fileservers',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      withNetwork({
        name: resourceName,
        subtenant_id: nseId,
        zone,
        ip_addr: z.string().max(64).optional(),
        gateway: z.string().max(64).optional(),
        dr_zone: zone.optional(),
        dr_schedule: drSchedule.optional(),
        tags: tags.optional(),
        // CIFS needs an AD password: history is not secret-safe, so CIFS file servers are created outside nse-flow.
        cifs_enabled: z.literal(false).optional(),
      }),
    ),
    undo: deleteById('delete-fileserver'),
  },
  {
    name: 'update-fileserver',
    verb: 'update',
    resource: 'fileserver',
    method: 'PUT',
    path: '/v2.1/fileservers/{id}',
    schema: z.lazy(() =>
      z
        .object({ id: nseId, dr_zone: zone.optional(), dr_schedule: drSchedule.optional(), tags: tags.optional() })
        .strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-fileserver',
      readPath: '/v2.1/fileservers/{id}',
      restoreInput: restoreChangedFields({ tags: tagMap }),
    },
  },
  {
    name: 'delete-fileserver',
    verb: 'delete',
    resource: 'fileserver',
    method: 'DELETE',
    path: '/v2.1/fileservers/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted file server cannot be restored' },
  },
  {
    name: 'create-fileshare',
    verb: 'create',
    resource: 'fileshare',
    method: 'POST',
    path: '/v2.1/fileshares',
    schema: z.lazy(() =>
      z
        .object({
          name: resourceName,
          share_path: z.string().min(1).max(255),
          fileserver_id: nseId,
          size_gb: sizeGb,
          service_level: serviceLevel,
          protocol: z.enum(['nfs', 'cifs', 'multiprotocol']),
          security_style: z.enum(['unix', 'ntfs']),
          export_policy: z.array(exportRule),
          snapshot_policy: policy.optional(),
          backup_policy: policy.optional(),
          dr_enabled: z.boolean().optional(),
          clone_from_fileshare_id: nseId.optional(),
          clone_from_snapshot_name: resourceName.optional(),
          tags: tags.optional(),
        })
        .strict(),
    ),
    undo: deleteById('delete-fileshare'),
  },
  {
    name: 'update-fileshare',
    verb: 'update',
    resource: 'fileshare',
    method: 'PUT',
    path: '/v2.1/fileshares/{id}',
    schema: z.lazy(() =>
      z
        .object({
          id: nseId,
          name: resourceName.optional(),
          size_gb: sizeGb.optional(),
          service_level: serviceLevel.optional(),
          protocol: z.enum(['nfs', 'cifs', 'multiprotocol']).optional(),
          export_policy: z.array(exportRule).optional(),
          snapshot_policy: policy.optional(),
        })
        .strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-fileshare',
      readPath: '/v2.1/fileshares/{id}',
      restoreInput: restoreChangedFields(),
    },
  },
  {
    name: 'delete-fileshare',
    verb: 'delete',
    resource: 'fileshare',
    method: 'DELETE',
    path: '/v2.1/fileshares/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted file share and its data cannot be restored' },
  },
  {
    name: 'create-fileshare-snapshot',
    verb: 'create',
    resource: 'fileshare-snapshot',
    method: 'POST',
    path: '/v2.1/fileshares/{fileshare_id}/snapshot/{name}',
    schema: z.lazy(() =>
      z.object({ fileshare_id: nseId, name: resourceName, snapmirror_label: snapmirrorLabel.optional() }).strict(),
    ),
    undo: {
      kind: 'delete',
      operation: 'delete-fileshare-snapshot',
      input: (input) => ({ fileshare_id: input.fileshare_id, name: input.name }),
    },
  },
  {
    name: 'delete-fileshare-snapshot',
    verb: 'delete',
    resource: 'fileshare-snapshot',
    method: 'DELETE',
    path: '/v2.1/fileshares/{fileshare_id}/snapshot/{name}',
    schema: z.lazy(() => z.object({ fileshare_id: nseId, name: resourceName }).strict()),
    undo: { kind: 'none', reason: 'a deleted snapshot cannot be restored' },
  },
  // Object storage (§7.3)
  {
    name: 'create-objectstorage-account',
    verb: 'create',
    resource: 'objectstorage-account',
    method: 'POST',
    path: '/v2.1/objectstorage/accounts',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() => z.object({ subtenant_id: nseId, quota_gb: sizeGb }).strict()),
    undo: deleteById('delete-objectstorage-account'),
  },
  {
    name: 'update-objectstorage-account',
    verb: 'update',
    resource: 'objectstorage-account',
    method: 'PUT',
    path: '/v2.1/objectstorage/accounts/{id}',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() => z.object({ id: nseId, name: resourceName, subtenant_id: nseId, quota_gb: sizeGb }).strict()),
    undo: {
      kind: 'restore',
      operation: 'update-objectstorage-account',
      readPath: '/v2.1/objectstorage/accounts/{id}',
      restoreInput: restoreChangedFields(),
    },
  },
  {
    name: 'delete-objectstorage-account',
    verb: 'delete',
    resource: 'objectstorage-account',
    method: 'DELETE',
    path: '/v2.1/objectstorage/accounts/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted object-storage account cannot be restored' },
  },
  {
    name: 'create-bucket',
    verb: 'create',
    resource: 'bucket',
    method: 'POST',
    path: '/v2.1/objectstorage/buckets',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z
        .object({
          name: z
            .string()
            .regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be 3-63 lowercase letters, digits, dots or dashes'),
          subtenant_id: nseId,
        })
        .strict(),
    ),
    undo: { kind: 'none', reason: 'NSE cannot delete buckets; delete it with an S3 client' },
  },
  {
    name: 'create-objectiam-group',
    verb: 'create',
    resource: 'objectiam-group',
    method: 'POST',
    path: '/v2.1/objectiam/groups',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() => z.object({ name: resourceName, subtenant_id: nseId, s3_policy: s3Policy }).strict()),
    undo: deleteById('delete-objectiam-group'),
  },
  {
    name: 'update-objectiam-group',
    verb: 'update',
    resource: 'objectiam-group',
    method: 'PUT',
    path: '/v2.1/objectiam/groups/{id}',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z.object({ id: nseId, name: resourceName, subtenant_id: nseId, s3_policy: s3Policy }).strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-objectiam-group',
      readPath: '/v2.1/objectiam/groups/{id}',
      restoreInput: restoreChangedFields(),
    },
  },
  {
    name: 'delete-objectiam-group',
    verb: 'delete',
    resource: 'objectiam-group',
    method: 'DELETE',
    path: '/v2.1/objectiam/groups/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted group gets a new id when recreated' },
  },
  {
    name: 'create-objectiam-user',
    verb: 'create',
    resource: 'objectiam-user',
    method: 'POST',
    path: '/v2.1/objectiam/users',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z.object({ display_name: resourceName, subtenant_id: nseId, sg_group_membership: z.array(nseId) }).strict(),
    ),
    undo: deleteById('delete-objectiam-user'),
  },
  {
    name: 'update-objectiam-user',
    verb: 'update',
    resource: 'objectiam-user',
    method: 'PUT',
    path: '/v2.1/objectiam/users/{id}',
    subtenantField: 'subtenant_id',
    schema: z.lazy(() =>
      z
        .object({ id: nseId, display_name: resourceName, subtenant_id: nseId, sg_group_membership: z.array(nseId) })
        .strict(),
    ),
    undo: {
      kind: 'restore',
      operation: 'update-objectiam-user',
      readPath: '/v2.1/objectiam/users/{id}',
      restoreInput: restoreChangedFields(),
    },
  },
  {
    name: 'delete-objectiam-user',
    verb: 'delete',
    resource: 'objectiam-user',
    method: 'DELETE',
    path: '/v2.1/objectiam/users/{id}',
    schema: z.lazy(() => byId),
    undo: { kind: 'none', reason: 'a deleted user gets a new id and new keys when recreated' },
  },
];

/** Every operation by name. */
export const OPERATIONS: ReadonlyMap<string, OperationSpec> = new Map(specs.map((spec) => [spec.name, spec]));

/** Operation names in catalogue order. */
export const OPERATION_NAMES: readonly string[] = specs.map((spec) => spec.name);

/** The spec of `name`, or undefined for an unknown operation. */
export function findOperation(name: string): OperationSpec | undefined {
  return OPERATIONS.get(name);
}

/** An HTTP call ready for the NSE client: path under the API base, body without the path fields. */
export interface NseRequest {
  method: HttpMethod;
  path: string;
  body: Record<string, unknown> | undefined;
}

/** Fills `{field}` segments of `template` from `values`, URL-encoded; returns the path and the fields it used. */
export function fillPath(template: string, values: Record<string, unknown>): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const path = template.replace(/\{(\w+)\}/g, (_match, field: string) => {
    used.add(field);
    return encodeURIComponent(String(values[field]));
  });
  return { path, used };
}

/** Builds the NSE call for a validated input: path fields go into the URL, the rest into the JSON body. */
export function buildRequest(spec: OperationSpec, input: Record<string, unknown>): NseRequest {
  const { path, used } = fillPath(spec.path, input);
  const body = Object.fromEntries(Object.entries(input).filter(([key]) => !used.has(key)));
  const hasBody = spec.method !== 'DELETE' && (Object.keys(body).length > 0 || spec.method === 'POST');
  return { method: spec.method, path, body: hasBody ? body : undefined };
}

/** A one-line human summary, e.g. `create disk 'db01' for subtenant 5ed7…`; it never includes secrets. */
export function describeOperation(spec: OperationSpec, input: Record<string, unknown>): string {
  const label = input.name ?? input.display_name ?? input.alias ?? input.id;
  const what = `${spec.verb} ${spec.resource.replace(/-/g, ' ')}${typeof label === 'string' ? ` '${label}'` : ''}`;
  const subtenant = spec.subtenantField ? input[spec.subtenantField] : undefined;
  return typeof subtenant === 'string' ? `${what} for subtenant ${subtenant}` : what;
}
