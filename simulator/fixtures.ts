/**
 * Seeded administrator data of the NSE simulator: tenants, subtenants, regions, zones and subnets. These are the
 * synchronous resources of nse-api.md §7.4; the simulator serves them read-only and never deletes them on reset.
 * @module
 */

/** A tenant as `GET /v2.1/tenants` shows it. */
interface SimTenant {
  id: string;
  name: string;
  code: string;
}

/** A subtenant as `GET /v2.1/subtenants` shows it. */
export interface SimSubtenant {
  id: string;
  name: string;
  code: string;
  tenant_id: string;
}

/** A zone as `GET /v2.1/zones` shows it. */
interface SimZone {
  name: string;
  description: string;
  region_name: string;
}

/** A Gen-2 subnet (`subnet_id` of block stores and file servers). */
interface SimSubnet {
  id: string;
  name: string;
  tenant_id: string;
  subtenant_id: string;
  zone: string;
  cidr: string;
  vlan: number;
}

/** A user the simulator accepts (HTTP Basic, or `POST /v2.1/auth/signin`). */
export interface SimUser {
  username: string;
  password: string;
  /**
   * Ids of the tenants the user may act in; absent = every tenant (an administrator). Anything about another
   * tenant (its jobs, resources, subtenants, a create in one of its subtenants) answers 403, and lists leave it out.
   */
  tenancies?: readonly string[];
}

/**
 * Ids and names of the seeded data, for tests and demos. Ids are 24 lowercase hex characters like NSE's ObjectIds;
 * `otherSubtenantId` belongs to the same tenant as `subtenantId`, `foreignSubtenantId` to `otherTenantId`.
 */
export const SIM_FIXTURES = {
  tenantId: '5f1a00000000000000000001',
  otherTenantId: '5f1a00000000000000000002',
  subtenantId: '5f1a00000000000000000011',
  otherSubtenantId: '5f1a00000000000000000012',
  foreignSubtenantId: '5f1a00000000000000000013',
  region: 'region-1',
  zone: 'zone-a',
  otherZone: 'zone-b',
  /** Gen-2 subnet of `subtenantId` in `zone`. */
  subnetId: '5f1a00000000000000000021',
  /** Gen-2 subnet of `otherSubtenantId` in `zone`. */
  otherSubnetId: '5f1a00000000000000000022',
  /** The user configured when none is given: an administrator of every tenant. */
  defaultUser: { username: 'admin', password: 'nse-simulator-password' },
  /** Configured too when no users are given: scoped to `tenantId` (Acme); 403 on anything of `otherTenantId`. */
  tenantUser: { username: 'acme-user', password: 'nse-simulator-acme', tenancies: ['5f1a00000000000000000001'] },
  /** Configured too when no users are given: scoped to `otherTenantId` (Globex). */
  otherTenantUser: {
    username: 'globex-user',
    password: 'nse-simulator-globex',
    tenancies: ['5f1a00000000000000000002'],
  },
  /**
   * Fake credentials echoed in every job task's `request_payload`, as real NSE echoes StorageGRID and ONTAP
   * passwords; a client that logs or stores a job unredacted leaks one of these strings.
   */
  fakeSecrets: { orgPassword: 'sim-org-Secret-7f3a', adminPassword: 'sim-admin-Secret-91c2' },
} as const;

/** Seeded tenants. */
export const TENANTS: readonly SimTenant[] = [
  { id: SIM_FIXTURES.tenantId, name: 'Acme', code: 'acme' },
  { id: SIM_FIXTURES.otherTenantId, name: 'Globex', code: 'globex' },
];

/** Seeded subtenants. */
export const SUBTENANTS: readonly SimSubtenant[] = [
  { id: SIM_FIXTURES.subtenantId, name: 'Engineering', code: 'eng', tenant_id: SIM_FIXTURES.tenantId },
  { id: SIM_FIXTURES.otherSubtenantId, name: 'Finance', code: 'fin', tenant_id: SIM_FIXTURES.tenantId },
  { id: SIM_FIXTURES.foreignSubtenantId, name: 'Research', code: 'res', tenant_id: SIM_FIXTURES.otherTenantId },
];

/** Seeded zones, all in one region. */
export const ZONES: readonly SimZone[] = [
  { name: SIM_FIXTURES.zone, description: 'Primary data centre', region_name: SIM_FIXTURES.region },
  { name: SIM_FIXTURES.otherZone, description: 'Secondary data centre', region_name: SIM_FIXTURES.region },
];

/** Seeded Gen-2 subnets. */
export const SUBNETS: readonly SimSubnet[] = [
  {
    id: SIM_FIXTURES.subnetId,
    name: 'eng-data',
    tenant_id: SIM_FIXTURES.tenantId,
    subtenant_id: SIM_FIXTURES.subtenantId,
    zone: SIM_FIXTURES.zone,
    cidr: '10.10.0.0/24',
    vlan: 110,
  },
  {
    id: SIM_FIXTURES.otherSubnetId,
    name: 'fin-data',
    tenant_id: SIM_FIXTURES.tenantId,
    subtenant_id: SIM_FIXTURES.otherSubtenantId,
    zone: SIM_FIXTURES.zone,
    cidr: '10.20.0.0/24',
    vlan: 120,
  },
];

/** Looks up a seeded tenant by id. */
export function findTenant(id: string): SimTenant | undefined {
  return TENANTS.find((t) => t.id === id);
}

/** Looks up a seeded subtenant by id. */
export function findSubtenant(id: string): SimSubtenant | undefined {
  return SUBTENANTS.find((s) => s.id === id);
}

/** Looks up a seeded zone by name. */
export function findZone(name: string): SimZone | undefined {
  return ZONES.find((z) => z.name === name);
}

/** Looks up a seeded subnet by id. */
export function findSubnet(id: string): SimSubnet | undefined {
  return SUBNETS.find((s) => s.id === id);
}
