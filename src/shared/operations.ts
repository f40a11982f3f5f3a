/**
 * The catalogue of NSE asynchronous calls (nse-api.md §7.1-7.3): for each operation its HTTP call, its input
 * schema and how to undo it. Pure data and zod/mini: safe in the workflow sandbox, where inputs are validated before
 * any activity runs. Loading it builds no schema: each is built when an input is checked
 * (see {@link OperationSpec.schema}).
 * @module
 */
import * as z from 'zod/mini';
import { fillPath, isSafePathSegment, PATH_SEGMENT_RULE, pathFields } from './nse-paths';

export type HttpMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** How a completed operation is undone during compensation. */
type Undo =
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
  /**
   * The input schema (zod/mini), built anew on each read: every workflow run loads this module, so nothing is built
   * at load and nothing is kept once the input is checked. Parse it with `safeParse` of ./zod-kit.
   */
  readonly schema: z.ZodMiniType<Record<string, unknown>>;
  undo: Undo;
  /** Field holding the subtenant, used in summaries. */
  subtenantField?: string;
}

type Schema = z.ZodMiniType<Record<string, unknown>>;

// Field schemas are functions, so that loading this module builds none of them (every workflow run loads it).
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
// NSE ids are 24-hex ObjectIds; accept any short token without '/', '?', '#' so an id can never rewrite the path.
const nseId = () => z.string().check(z.regex(ID_PATTERN, 'must be an NSE id (letters, digits, _ . : -)'));
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
// Names may end up in a URL path (snapshot names, initiator aliases, and every name an undo sends back), so they
// follow the path-segment rule too.
const resourceName = () =>
  z.string().check(z.minLength(1), z.maxLength(255), z.refine(isSafePathSegment, PATH_SEGMENT_RULE));
const zone = () => text(1, 128);
const tags = () => z.record(z.string().check(z.maxLength(128)), z.string().check(z.maxLength(256)));
const serviceLevel = () => z.enum(['standard', 'premium', 'extreme', 'premium-tiering', 'extreme-tiering']);
const drSchedule = () => z.enum(['hourly', 'four-hourly', 'daily']);
const osType = () => z.enum(['windows', 'linux', 'solaris', 'vmware']);
const blockProtocol = () => z.enum(['iscsi', 'fcp']);
const shareProtocol = () => z.enum(['nfs', 'cifs', 'multiprotocol']);
const sizeGb = () => z.number().check(z.int(), z.positive(), z.maximum(1_048_576));
const snapmirrorLabel = () => z.enum(['hourly', 'daily', 'weekly', 'monthly']);
const initiator = () => z.strictObject({ alias: resourceName(), initiator: text(1, 255) });
const exportRule = () =>
  z.strictObject({ client_match: text(1, 255), access: text(1, 32), superuser: z.string().check(z.maxLength(32)) });
const policy = () => z.record(z.string(), z.unknown());
const s3Policy = () => z.looseObject({ Statement: z.array(z.record(z.string(), z.unknown())).check(z.minLength(1)) });
const opt = z.optional;
/** A VLAN id written as text, 1-4094 without leading zeros. */
const vlanText = () => z.string().check(z.regex(/^(?:[1-9]\d{0,2}|[1-3]\d{3}|40[0-8]\d|409[0-4])$/, 'must be 1-4094'));

/** Gen-1 (`subnet` + `vlan_id`) and Gen-2 (`subnet_id`) network fields: one of the two is required. */
function withNetwork(shape: Record<string, z.ZodMiniType>): Schema {
  return z
    .strictObject({
      ...shape,
      subnet_id: opt(nseId()),
      subnet: opt(text(1, 64)),
      // The docs' own examples send the VLAN as a string ("881"): both forms pass, sent as the caller gave them.
      vlan_id: opt(z.union([z.number().check(z.int(), z.minimum(1), z.maximum(4094)), vlanText()])),
    })
    .check(
      z.refine(
        (v: Record<string, unknown>) =>
          v.subnet_id !== undefined || (v.subnet !== undefined && v.vlan_id !== undefined),
        { error: 'give subnet_id, or subnet with vlan_id', path: ['subnet_id'] },
      ),
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

/** A catalogue entry as written below: its schema as a function that builds it. */
type Entry = Omit<OperationSpec, 'schema'> & { build: () => Schema };

/** `<verb>-<resource>` on `path`. */
function entry(
  verb: OperationSpec['verb'],
  resource: string,
  method: HttpMethod,
  path: string,
  build: () => Schema,
  undo: Undo,
  subtenantField?: string,
): Entry {
  return { name: `${verb}-${resource}`, verb, resource, method, path, build, undo, subtenantField };
}

/** `create-<resource>`: POST to the collection, undone by `delete-<resource>` of the job's object id. */
const create = (resource: string, collection: string, build: () => Schema, subtenantField?: string): Entry =>
  entry('create', resource, 'POST', collection, build, deleteById(`delete-${resource}`), subtenantField);

/** `update-<resource>`: undone by the same call with the values read from `path` before it. */
function update(
  resource: string,
  method: HttpMethod,
  path: string,
  build: () => Schema,
  restoreInput: Extract<Undo, { kind: 'restore' }>['restoreInput'] = restoreChangedFields(),
  subtenantField?: string,
): Entry {
  const undo: Undo = { kind: 'restore', operation: `update-${resource}`, readPath: path, restoreInput };
  return entry('update', resource, method, path, build, undo, subtenantField);
}

/** `delete-<resource>` of `{id}`, which cannot be undone (`reason` says why). */
const deleteOne = (resource: string, path: string, reason: string): Entry =>
  entry('delete', resource, 'DELETE', path, () => z.strictObject({ id: nseId() }), { kind: 'none', reason });

/**
 * `create-<parent>-snapshot` and `delete-<parent>-snapshot` of a named snapshot of `<parent>_id`. The create job's
 * object_id is the parent, so its undo is built from the forward input.
 */
function snapshots(parent: 'disk' | 'fileshare', collection: string): Entry[] {
  const parentId = `${parent}_id`;
  const path = `${collection}/{${parentId}}/snapshot/{name}`;
  const resource = `${parent}-snapshot`;
  return [
    entry(
      'create',
      resource,
      'POST',
      path,
      () => z.strictObject({ [parentId]: nseId(), name: resourceName(), snapmirror_label: opt(snapmirrorLabel()) }),
      {
        kind: 'delete',
        operation: `delete-${resource}`,
        input: (input) => ({ [parentId]: input[parentId], name: input.name }),
      },
    ),
    entry('delete', resource, 'DELETE', path, () => z.strictObject({ [parentId]: nseId(), name: resourceName() }), {
      kind: 'none',
      reason: 'a deleted snapshot cannot be restored',
    }),
  ];
}

const specs: Entry[] = [
  // Block storage (§7.1)
  create(
    'blockstore',
    '/v2.1/blockstores',
    () =>
      withNetwork({
        tenant_id: opt(nseId()),
        subtenant_id: nseId(),
        zone: zone(),
        service_fcp_enabled: opt(z.boolean()),
        dr_zone: opt(zone()),
        dr_schedule: opt(drSchedule()),
        tags: opt(tags()),
      }),
    'subtenant_id',
  ),
  update(
    'blockstore',
    'PUT',
    '/v2.1/blockstores/{id}',
    () => z.strictObject({ id: nseId(), dr_zone: opt(zone()), dr_schedule: opt(drSchedule()), tags: opt(tags()) }),
    restoreChangedFields({ tags: tagMap }),
  ),
  deleteOne(
    'blockstore',
    '/v2.1/blockstores/{id}',
    'a deleted block store cannot be restored (a new one gets a new id)',
  ),
  create(
    'disk',
    '/v2.1/disks',
    () =>
      z.strictObject({
        subtenant_id: nseId(),
        zone: zone(),
        name: resourceName(),
        disk_path: text(1, 255),
        protocol: blockProtocol(),
        os_type: osType(),
        hostgroup_mappings: z.array(resourceName()),
        service_level: serviceLevel(),
        size_gb: sizeGb(),
        hostgroups: opt(z.array(z.strictObject({ name: resourceName(), initiators: opt(z.array(initiator())) }))),
        snapshot_policy: opt(policy()),
        backup_policy: opt(policy()),
        dr_enabled: opt(z.boolean()),
        clone_from_disk_id: opt(nseId()),
        clone_from_snapshot_name: opt(resourceName()),
        tags: opt(tags()),
      }),
    'subtenant_id',
  ),
  update(
    'disk',
    'PUT',
    '/v2.1/disks/{id}',
    () =>
      z.strictObject({
        id: nseId(),
        name: opt(resourceName()),
        service_level: opt(serviceLevel()),
        size_gb: opt(sizeGb()),
        hostgroup_mappings: opt(z.array(resourceName())),
        snapshot_policy: opt(policy()),
        backup_policy: opt(policy()),
        dr_enabled: opt(z.boolean()),
      }),
    restoreChangedFields({ hostgroup_mappings: mappingNames }),
  ),
  deleteOne('disk', '/v2.1/disks/{id}', 'a deleted disk and its data cannot be restored'),
  ...snapshots('disk', '/v2.1/disks'),
  create(
    'hostgroup',
    '/v2.1/hostgroups',
    () =>
      z.strictObject({
        name: resourceName(),
        subtenant_id: nseId(),
        zone: zone(),
        protocol: blockProtocol(),
        os_type: osType(),
        initiators: opt(z.array(initiator())),
        tags: opt(tags()),
      }),
    'subtenant_id',
  ),
  deleteOne('hostgroup', '/v2.1/hostgroups/{id}', 'a deleted host group gets a new id when recreated'),
  entry(
    'add',
    'hostgroup-initiator',
    'POST',
    '/v2.1/hostgroups/{hostgroup_id}/initiators',
    () => z.strictObject({ hostgroup_id: nseId(), alias: resourceName(), initiator: text(1, 255) }),
    {
      kind: 'delete',
      operation: 'remove-hostgroup-initiator',
      input: (input) => ({ hostgroup_id: input.hostgroup_id, alias: input.alias }),
    },
  ),
  update(
    'hostgroup-initiator',
    'PATCH',
    '/v2.1/hostgroups/{hostgroup_id}/initiators/{alias}',
    () => z.strictObject({ hostgroup_id: nseId(), alias: resourceName(), initiator: text(1, 255) }),
    (input, before) => ({ hostgroup_id: input.hostgroup_id, alias: input.alias, initiator: before.initiator }),
  ),
  entry(
    'remove',
    'hostgroup-initiator',
    'DELETE',
    '/v2.1/hostgroups/{hostgroup_id}/initiators/{alias}',
    () => z.strictObject({ hostgroup_id: nseId(), alias: resourceName() }),
    { kind: 'none', reason: 'add the initiator back with add-hostgroup-initiator' },
  ),
  // File services (§7.2)
  create(
    'fileserver',
    '/v2.1/fileservers',
    () =>
      withNetwork({
        name: resourceName(),
        subtenant_id: nseId(),
        zone: zone(),
        ip_addr: opt(z.string().check(z.maxLength(64))),
        gateway: opt(z.string().check(z.maxLength(64))),
        dr_zone: opt(zone()),
        dr_schedule: opt(drSchedule()),
        tags: opt(tags()),
        // CIFS needs an AD password: history is not secret-safe, so CIFS file servers are created outside nse-flow.
        cifs_enabled: opt(z.literal(false)),
        // A string in the docs' examples, a list elsewhere: both pass, sent as the caller gave them.
        cifs_dns_servers: opt(z.union([text(1, 1024), z.array(text(1, 255)).check(z.maxLength(16))])),
      }),
    'subtenant_id',
  ),
  update(
    'fileserver',
    'PUT',
    '/v2.1/fileservers/{id}',
    () => z.strictObject({ id: nseId(), dr_zone: opt(zone()), dr_schedule: opt(drSchedule()), tags: opt(tags()) }),
    restoreChangedFields({ tags: tagMap }),
  ),
  deleteOne('fileserver', '/v2.1/fileservers/{id}', 'a deleted file server cannot be restored'),
  create('fileshare', '/v2.1/fileshares', () =>
    z.strictObject({
      name: resourceName(),
      share_path: text(1, 255),
      fileserver_id: nseId(),
      size_gb: sizeGb(),
      service_level: serviceLevel(),
      protocol: shareProtocol(),
      security_style: z.enum(['unix', 'ntfs']),
      export_policy: z.array(exportRule()),
      snapshot_policy: opt(policy()),
      backup_policy: opt(policy()),
      dr_enabled: opt(z.boolean()),
      clone_from_fileshare_id: opt(nseId()),
      clone_from_snapshot_name: opt(resourceName()),
      tags: opt(tags()),
    }),
  ),
  update('fileshare', 'PUT', '/v2.1/fileshares/{id}', () =>
    z.strictObject({
      id: nseId(),
      name: opt(resourceName()),
      size_gb: opt(sizeGb()),
      service_level: opt(serviceLevel()),
      protocol: opt(shareProtocol()),
      export_policy: opt(z.array(exportRule())),
      snapshot_policy: opt(policy()),
    }),
  ),
  deleteOne('fileshare', '/v2.1/fileshares/{id}', 'a deleted file share and its data cannot be restored'),
  ...snapshots('fileshare', '/v2.1/fileshares'),
  // Object storage (§7.3)
  create(
    'objectstorage-account',
    '/v2.1/objectstorage/accounts',
    () => z.strictObject({ subtenant_id: nseId(), quota_gb: sizeGb() }),
    'subtenant_id',
  ),
  update(
    'objectstorage-account',
    'PUT',
    '/v2.1/objectstorage/accounts/{id}',
    () => z.strictObject({ id: nseId(), name: resourceName(), subtenant_id: nseId(), quota_gb: sizeGb() }),
    undefined,
    'subtenant_id',
  ),
  deleteOne(
    'objectstorage-account',
    '/v2.1/objectstorage/accounts/{id}',
    'a deleted object-storage account cannot be restored',
  ),
  entry(
    'create',
    'bucket',
    'POST',
    '/v2.1/objectstorage/buckets',
    () =>
      z.strictObject({
        name: z
          .string()
          .check(z.regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be 3-63 lowercase letters, digits, dots or dashes')),
        subtenant_id: nseId(),
      }),
    { kind: 'none', reason: 'NSE cannot delete buckets; delete it with an S3 client' },
    'subtenant_id',
  ),
  create(
    'objectiam-group',
    '/v2.1/objectiam/groups',
    () => z.strictObject({ name: resourceName(), subtenant_id: nseId(), s3_policy: s3Policy() }),
    'subtenant_id',
  ),
  update(
    'objectiam-group',
    'PUT',
    '/v2.1/objectiam/groups/{id}',
    () => z.strictObject({ id: nseId(), name: resourceName(), subtenant_id: nseId(), s3_policy: s3Policy() }),
    undefined,
    'subtenant_id',
  ),
  deleteOne('objectiam-group', '/v2.1/objectiam/groups/{id}', 'a deleted group gets a new id when recreated'),
  create(
    'objectiam-user',
    '/v2.1/objectiam/users',
    () =>
      z.strictObject({ display_name: resourceName(), subtenant_id: nseId(), sg_group_membership: z.array(nseId()) }),
    'subtenant_id',
  ),
  update(
    'objectiam-user',
    'PUT',
    '/v2.1/objectiam/users/{id}',
    () =>
      z.strictObject({
        id: nseId(),
        display_name: resourceName(),
        subtenant_id: nseId(),
        sg_group_membership: z.array(nseId()),
      }),
    undefined,
    'subtenant_id',
  ),
  deleteOne('objectiam-user', '/v2.1/objectiam/users/{id}', 'a deleted user gets a new id and new keys when recreated'),
];

/** The spec of an entry: the entry's fields, and `schema` as a getter that builds a new schema on each read. */
function toSpec({ build, subtenantField, undo, ...rest }: Entry): OperationSpec {
  const spec = { ...rest, ...(subtenantField ? { subtenantField } : {}), undo };
  const fields = pathFields(rest.path);
  // Whatever a field's own schema allows, a value the path takes must be a safe path segment.
  const schema = (): Schema =>
    build().check(
      ...fields.map((field) =>
        z.refine((input: unknown) => isSafePathSegment(String((input as Record<string, unknown>)[field])), {
          error: PATH_SEGMENT_RULE,
          path: [field],
        }),
      ),
    );
  return Object.defineProperty(spec, 'schema', { get: schema, enumerable: false }) as OperationSpec;
}

/** Every operation by name. */
export const OPERATIONS: ReadonlyMap<string, OperationSpec> = new Map(
  specs.map((entry) => [entry.name, toSpec(entry)]),
);

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
