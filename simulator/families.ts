/**
 * The resource families of the simulator: how each appears in jobs (nse-api.md §6.3), which driver and task types
 * work on it, and the sort keys of its collection reads.
 * @module
 */
import type { ResourceType } from './job-store';

/** How each resource family appears in jobs (nse-api.md §6.3) and which driver and task types work on it. */
export interface Family {
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

export const FAMILIES: Readonly<Record<ResourceType, Family>> = {
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

export const JOB_SORT_KEYS = [
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
export const RESOURCE_SORT_KEYS = [
  'id',
  'name',
  'state',
  'created',
  'updated',
  'subtenant_id',
  'tenant_id',
  'zone',
] as const;
export const FIXTURE_SORT_KEYS = [
  'id',
  'name',
  'code',
  'tenant_id',
  'description',
  'region_name',
  'zone',
  'cidr',
] as const;
