/**
 * Workflow inputs the benchmark starts, shared by the harness and the starter child (which must stay light: no
 * worker or simulator imports here).
 * @module
 */
import { SIM_FIXTURES } from '../simulator/fixtures';
import type { OperationInput, PollMode, PollPolicy } from '../src/shared/workflow-api';

/** The poll interval of every latency and throughput figure: the dev server fires timers to about 1 s anyway. */
export const POLL_INTERVAL_MS = 1_000;

/** A fixed 1 s interval: no backoff, no jitter, so the interval in force is exactly {@link POLL_INTERVAL_MS}. */
export function pollEverySecond(mode: PollMode, extra: Partial<PollPolicy> = {}): Partial<PollPolicy> {
  return {
    mode,
    initialIntervalMs: POLL_INTERVAL_MS,
    maxIntervalMs: POLL_INTERVAL_MS,
    backoffCoefficient: 1,
    jitterRatio: 0,
    ...extra,
  };
}

/** A tenant of the simulator's fixtures and the subtenant its runs create in. */
export interface BenchTenant {
  tenantId: string;
  subtenantId: string;
}

/** Acme, the tenant of every scenario (and the large tenant of the fleet's fairness figure). */
export const ACME: BenchTenant = { tenantId: SIM_FIXTURES.tenantId, subtenantId: SIM_FIXTURES.subtenantId };
/** Globex, the small tenant of the fleet's fairness figure. */
export const GLOBEX: BenchTenant = {
  tenantId: SIM_FIXTURES.otherTenantId,
  subtenantId: SIM_FIXTURES.foreignSubtenantId,
};

/** Input of one create-hostgroup run, the operation every scenario uses; `name` selects the simulator rule. */
export function hostgroupInput(name: string, poll: Partial<PollPolicy>, tenant: BenchTenant = ACME): OperationInput {
  return {
    operation: 'create-hostgroup',
    tenantId: tenant.tenantId,
    input: {
      name,
      subtenant_id: tenant.subtenantId,
      zone: SIM_FIXTURES.zone,
      protocol: 'iscsi',
      os_type: 'linux',
    },
    poll,
  };
}

/** What a sustained batch keeps starting: the baseline, or an operation run whose resource name ends in its index. */
export type RunTemplate =
  | { workflowType: 'baselineWorkflow'; idPrefix: string }
  | { workflowType: 'nseOperationWorkflow'; idPrefix: string; namePrefix: string; poll: Partial<PollPolicy> };

/** The workflow id and arguments of run `index` of a template. */
export function runFromTemplate(
  template: RunTemplate,
  index: number,
): { workflowType: string; workflowId: string; args: unknown[] } {
  const workflowId = `${template.idPrefix}-${index}`;
  if (template.workflowType === 'baselineWorkflow')
    return { workflowType: template.workflowType, workflowId, args: [] };
  return {
    workflowType: template.workflowType,
    workflowId,
    args: [hostgroupInput(`${template.namePrefix}${index}`, template.poll)],
  };
}
