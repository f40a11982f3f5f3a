/**
 * zod schemas of the request bodies the simulator accepts, written from nse-api.md §7.1-7.3 and independent of
 * the client's catalogue (src/shared/operations.ts), so a client bug shows up as a 400 instead of being mirrored.
 * Unknown fields are refused, as NSE refuses "bad keys in body" (§4). Both network generations are accepted:
 * Gen-1 `subnet` + `vlan_id` and Gen-2 `subnet_id`.
 * @module
 */
import { z } from 'zod';

const id = z.string().min(1).max(64);
const name = z.string().min(1).max(255);
const zone = z.string().min(1).max(128);
const tags = z.record(z.string(), z.string());
const serviceLevel = z.enum(['standard', 'premium', 'extreme', 'premium-tiering', 'extreme-tiering']);
const drSchedule = z.enum(['hourly', 'four-hourly', 'daily']);
const osType = z.enum(['windows', 'linux', 'solaris', 'vmware']);
const blockProtocol = z.enum(['iscsi', 'fcp']);
const sizeGb = z.number().int().positive();
const snapmirrorLabel = z.enum(['hourly', 'daily', 'weekly', 'monthly']);
const policy = z.record(z.string(), z.unknown());
const initiator = z.strictObject({ alias: name, initiator: z.string().min(1).max(255) });
const exportRule = z.strictObject({
  client_match: z.string().min(1),
  access: z.string().min(1),
  superuser: z.string(),
});
const s3Policy = z.looseObject({ Statement: z.array(z.record(z.string(), z.unknown())).min(1) });

const network = {
  subnet_id: id.optional(),
  subnet: z.string().min(1).max(64).optional(),
  // The docs' examples send the VLAN as a string ("881"); NSE takes both.
  vlan_id: z
    .union([
      z.number().int().min(1).max(4094),
      z
        .string()
        .regex(/^[1-9]\d{0,3}$/)
        .refine((v) => Number(v) <= 4094),
    ])
    .optional(),
};

/** Refuses a body with neither Gen-2 `subnet_id` nor Gen-1 `subnet` + `vlan_id`, naming the missing field. */
function requireNetwork(
  value: { subnet_id?: string | undefined; subnet?: string | undefined; vlan_id?: number | string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (value.subnet_id !== undefined) return;
  if (value.subnet !== undefined && value.vlan_id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['vlan_id'], message: 'is required with subnet (Gen-1)' });
  } else if (value.subnet === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['subnet_id'],
      message: 'is required (Gen-2), or give subnet with vlan_id (Gen-1)',
    });
  }
}

/** `POST /v2.1/blockstores`. */
export const BlockstoreCreate = z
  .strictObject({
    tenant_id: id.optional(),
    subtenant_id: id,
    zone,
    ...network,
    service_fcp_enabled: z.boolean().optional(),
    dr_zone: zone.optional(),
    dr_schedule: drSchedule.optional(),
    tags: tags.optional(),
  })
  .superRefine(requireNetwork);

/** `PUT /v2.1/blockstores/{id}`. */
export const BlockstoreUpdate = z.strictObject({
  dr_zone: zone.optional(),
  dr_schedule: drSchedule.optional(),
  tags: tags.optional(),
});

/** `POST /v2.1/disks`. */
export const DiskCreate = z.strictObject({
  subtenant_id: id,
  zone,
  name,
  disk_path: z.string().min(1).max(255),
  protocol: blockProtocol,
  os_type: osType,
  hostgroup_mappings: z.array(name),
  service_level: serviceLevel,
  size_gb: sizeGb,
  hostgroups: z.array(z.strictObject({ name, initiators: z.array(initiator).optional() })).optional(),
  snapshot_policy: policy.optional(),
  backup_policy: policy.optional(),
  dr_enabled: z.boolean().optional(),
  clone_from_disk_id: id.optional(),
  clone_from_snapshot_name: name.optional(),
  tags: tags.optional(),
});

/** `PUT /v2.1/disks/{id}`; `protocol` is immutable, so it is refused as an unknown field. */
export const DiskUpdate = z.strictObject({
  name: name.optional(),
  service_level: serviceLevel.optional(),
  size_gb: sizeGb.optional(),
  hostgroup_mappings: z.array(name).optional(),
  snapshot_policy: policy.optional(),
  backup_policy: policy.optional(),
  dr_enabled: z.boolean().optional(),
  tags: tags.optional(),
});

/** `POST /v2.1/disks/{id}/snapshot/{name}` and the file-share equivalent; the body may be absent. */
export const SnapshotCreate = z.strictObject({ snapmirror_label: snapmirrorLabel.optional() });

/** `POST /v2.1/hostgroups`. */
export const HostgroupCreate = z.strictObject({
  name,
  subtenant_id: id,
  zone,
  protocol: blockProtocol,
  os_type: osType,
  initiators: z.array(initiator).optional(),
  tags: tags.optional(),
});

/** `POST /v2.1/hostgroups/{id}/initiators`. */
export const InitiatorAdd = initiator;

/** `PATCH /v2.1/hostgroups/{id}/initiators/{alias}`: the alias itself is immutable. */
export const InitiatorUpdate = z.strictObject({ initiator: z.string().min(1).max(255) });

/** `POST /v2.1/fileservers`; CIFS needs its AD fields. */
export const FileserverCreate = z
  .strictObject({
    name,
    subtenant_id: id,
    zone,
    ...network,
    ip_addr: z.string().max(64).optional(),
    gateway: z.string().max(64).optional(),
    dr_zone: zone.optional(),
    dr_schedule: drSchedule.optional(),
    tags: tags.optional(),
    cifs_enabled: z.boolean().optional(),
    cifs_ad_username: z.string().optional(),
    cifs_ad_password: z.string().optional(),
    cifs_domain: z.string().optional(),
    // A string in the docs' examples, a list elsewhere.
    cifs_dns_servers: z.union([z.string().min(1), z.array(z.string())]).optional(),
    cifs_server_name: z.string().optional(),
    cifs_ou: z.string().optional(),
  })
  .superRefine(requireNetwork)
  .superRefine((value, ctx) => {
    if (value.cifs_enabled !== true) return;
    for (const field of ['cifs_ad_password', 'cifs_domain', 'cifs_dns_servers', 'cifs_server_name'] as const) {
      if (value[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'is required when cifs_enabled is true' });
    }
  });

/** `PUT /v2.1/fileservers/{id}`. */
export const FileserverUpdate = z.strictObject({
  name: name.optional(),
  dr_zone: zone.optional(),
  dr_schedule: drSchedule.optional(),
  tags: tags.optional(),
});

const shareProtocol = z.enum(['nfs', 'cifs', 'multiprotocol']);

/** `POST /v2.1/fileshares`. */
export const FileshareCreate = z.strictObject({
  name,
  share_path: z.string().min(1).max(255),
  fileserver_id: id,
  size_gb: sizeGb,
  service_level: serviceLevel,
  protocol: shareProtocol,
  security_style: z.enum(['unix', 'ntfs']),
  export_policy: z.array(exportRule),
  snapshot_policy: policy.optional(),
  backup_policy: policy.optional(),
  dr_enabled: z.boolean().optional(),
  clone_from_fileshare_id: id.optional(),
  clone_from_snapshot_name: name.optional(),
  tags: tags.optional(),
});

/** `PUT /v2.1/fileshares/{id}`; the doc lists required fields, but a partial update is what clients send. */
export const FileshareUpdate = z.strictObject({
  name: name.optional(),
  size_gb: sizeGb.optional(),
  service_level: serviceLevel.optional(),
  protocol: shareProtocol.optional(),
  export_policy: z.array(exportRule).optional(),
  snapshot_policy: policy.optional(),
  client_match: z.string().optional(),
  tags: tags.optional(),
});

/** `POST /v2.1/objectstorage/accounts` ("activate"). */
export const AccountCreate = z.strictObject({ subtenant_id: id, quota_gb: sizeGb });

/** `PUT /v2.1/objectstorage/accounts/{id}`. */
export const AccountUpdate = z.strictObject({ name, subtenant_id: id, quota_gb: sizeGb });

/** `POST /v2.1/objectstorage/buckets`: S3 bucket names are lowercase letters, digits, dots and dashes. */
export const BucketCreate = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/, 'must be 3-63 lowercase letters, digits, dots or dashes'),
  subtenant_id: id,
});

/** `POST /v2.1/objectiam/groups` and `PUT /v2.1/objectiam/groups/{id}`. */
export const GroupBody = z.strictObject({ name, subtenant_id: id, s3_policy: s3Policy });

/** `POST /v2.1/objectiam/users` and `PUT /v2.1/objectiam/users/{id}`. */
export const UserBody = z.strictObject({ display_name: name, subtenant_id: id, sg_group_membership: z.array(id) });

/** `POST /v2.1/auth/signin`. */
export const Signin = z.object({ username: z.string().min(1), password: z.string().min(1) });

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** One readable sentence per zod issue, each naming its field (`'name' is required`, `unknown field 'foo'`). */
export function describeIssues(error: z.ZodError, body: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const prefix = path === '' ? '' : `${path}.`;
    if (issue.code === 'unrecognized_keys')
      return `unknown field ${issue.keys.map((k) => `'${prefix}${k}'`).join(', ')}`;
    if (path === '') return `request body ${issue.message.toLowerCase()}`;
    if (issue.code === 'invalid_type' && valueAt(body, issue.path) === undefined) return `'${path}' is required`;
    return `'${path}' ${issue.message}`;
  });
}
