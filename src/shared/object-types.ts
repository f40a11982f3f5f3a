/**
 * NSE's names for object types, in jobs and tasks, mapped onto catalogue resources. Jobs name the type in `type`
 * (singular: `disk`) or `object_type` (plural: `ontap_disks`), depending on the endpoint (nse-api.md §6.3, §9).
 * Pure and workflow-safe.
 * @module
 */
import type { OperationSpec } from './operations';

/** Every known type word (lower case) and the catalogue resource it names. */
const RESOURCE_OF_TYPE: Readonly<Record<string, string>> = {
  blockstore: 'blockstore',
  ontap_blockstores: 'blockstore',
  disk: 'disk',
  ontap_disks: 'disk',
  hostgroup: 'hostgroup',
  ontap_hostgroups: 'hostgroup',
  fileserver: 'fileserver',
  ontap_fileservers: 'fileserver',
  fileshare: 'fileshare',
  ontap_fileshares: 'fileshare',
  objectstorage_account: 'objectstorage-account',
  sg_accounts: 'objectstorage-account',
  bucket: 'bucket',
  sg_buckets: 'bucket',
  objectiam_group: 'objectiam-group',
  sg_groups: 'objectiam-group',
  objectiam_user: 'objectiam-user',
  sg_users: 'objectiam-user',
};

/** The catalogue resource an NSE type word names, or undefined for a word this table does not know. */
export function resourceOfType(typeWord: string): string | undefined {
  const key = typeWord.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(RESOURCE_OF_TYPE, key) ? RESOURCE_OF_TYPE[key] : undefined;
}

/**
 * The resource an operation's job names as its object: the operation's own, except that a snapshot's job names its
 * parent disk or share, and an initiator's job its host group (nse-api.md §6.2, §6.3).
 */
export function jobResourceOf(spec: OperationSpec): string {
  if (spec.resource.endsWith('-snapshot')) return spec.resource.slice(0, -'-snapshot'.length);
  if (spec.resource === 'hostgroup-initiator') return 'hostgroup';
  return spec.resource;
}
