/** Inputs the tests share: a host group create on the simulator's seeded subtenant, polled fast. */
import { SIM_FIXTURES } from '../../simulator/fixtures';
import type { OperationInput, PollPolicy } from '../../src/shared/workflow-api';

/** Poll as often as the dev server's timers allow (they fire with about one second of granularity). */
export const FAST_POLL: Partial<PollPolicy> = { initialIntervalMs: 20, maxIntervalMs: 40, jitterRatio: 0.2 };

/** The fields of a valid `create-hostgroup` call. */
export function hostgroupFields(name: string): Record<string, unknown> {
  return { name, subtenant_id: SIM_FIXTURES.subtenantId, zone: SIM_FIXTURES.zone, protocol: 'iscsi', os_type: 'linux' };
}

/** The fields of a valid `create-disk` call (no host group mapped). */
export function diskFields(name: string): Record<string, unknown> {
  return {
    subtenant_id: SIM_FIXTURES.subtenantId,
    zone: SIM_FIXTURES.zone,
    name,
    disk_path: `/vol/${name}`,
    protocol: 'iscsi',
    os_type: 'linux',
    hostgroup_mappings: [],
    service_level: 'standard',
    size_gb: 10,
  };
}

/** A `create-hostgroup` run for the seeded tenant; `poll` overrides {@link FAST_POLL}. */
export function hostgroupOperation(name: string, poll: Partial<PollPolicy> = {}): OperationInput {
  return {
    operation: 'create-hostgroup',
    tenantId: SIM_FIXTURES.tenantId,
    input: hostgroupFields(name),
    poll: { ...FAST_POLL, ...poll },
  };
}
