/**
 * What a starter sets on a run (docs/contract.md, "What a starter sets"): the static summary and details, the starting
 * search attributes and the priority. The client library, the Nexus handler and the bench use these; a caller in
 * another language sets the same. The texts are scrubbed of the secrets this process knows (in the worker, whose
 * Nexus handler starts runs, the worker's NSE password or token): a caller's object name may contain one.
 * @module
 */
import type { Priority, SearchAttributePair } from '@temporalio/common';
import { scrubText } from '../common/redact';
import type { BulkInput } from '../shared/bulk';
import { describeOperation, findOperation } from '../shared/operations';
import type { ProvisionPlan } from '../shared/plans';
import { nseFairnessKey, SearchAttributes, type OperationInput } from '../shared/workflow-api';

/**
 * What a starter sets on a run that only a starter can set, the starting search attributes and the run's priority
 * (docs/contract.md). The tenant is the fairness key of the run's workflow tasks (its child runs and activities
 * inherit it), so a large tenant's burst of starts does not queue a small tenant's runs behind it.
 */
export interface StartMetadata {
  staticSummary: string;
  staticDetails: string;
  typedSearchAttributes: SearchAttributePair[];
  priority: Priority;
}

/** The priority of a run for `tenantId`: its fairness key, at the default priority. */
function tenantPriority(tenantId: unknown): Priority {
  return { fairnessKey: nseFairnessKey(typeof tenantId === 'string' ? tenantId : undefined) };
}

/** The start metadata of an operation run. The workflow validates the input: a malformed one still gets a summary. */
export function operationStartMetadata(input: OperationInput): StartMetadata {
  const spec = findOperation(input.operation);
  const fields = input.input !== null && typeof input.input === 'object' ? input.input : {};
  const summary = spec ? describeOperation(spec, fields) : String(input.operation);
  return {
    staticSummary: scrubText(summary).slice(0, 200),
    staticDetails: scrubText(
      `NSE operation \`${input.operation}\`${input.tenantId ? ` for tenant \`${input.tenantId}\`` : ''}`,
    ),
    typedSearchAttributes: [
      { key: SearchAttributes.NsePhase, value: 'validating' },
      ...(spec ? [{ key: SearchAttributes.NseObjectType, value: spec.resource }] : []),
      ...(input.tenantId ? [{ key: SearchAttributes.NseTenantId, value: input.tenantId }] : []),
    ],
    priority: tenantPriority(input.tenantId),
  };
}

/** The start metadata of a plan run; a malformed plan still gets a summary. */
export function planStartMetadata(plan: ProvisionPlan): StartMetadata {
  const steps = Array.isArray(plan.steps) ? plan.steps : [];
  return {
    staticSummary: scrubText(`provision plan '${String(plan.name)}' (${steps.length} steps)`).slice(0, 200),
    staticDetails: scrubText(
      steps.map((step, i) => `${i + 1}. \`${String(step?.id)}\`: ${String(step?.operation)}`).join('\n'),
    ),
    typedSearchAttributes: [
      { key: SearchAttributes.NsePhase, value: 'validating' },
      { key: SearchAttributes.NseObjectType, value: 'plan' },
      ...(plan.tenantId ? [{ key: SearchAttributes.NseTenantId, value: plan.tenantId }] : []),
    ],
    priority: tenantPriority(plan.tenantId),
  };
}

/** The start metadata of a bulk run; a malformed bulk still gets a summary. */
export function bulkStartMetadata(bulk: BulkInput): StartMetadata {
  const items = Array.isArray(bulk.items) ? bulk.items.length : 0;
  const total = typeof bulk.total === 'number' ? bulk.total : items;
  const operation = typeof bulk.operation === 'string' ? ` of ${bulk.operation}` : '';
  return {
    staticSummary: scrubText(`bulk '${String(bulk.name)}'${operation} (${total} items)`).slice(0, 200),
    staticDetails: bulk.redriveOf
      ? `Redrive of [${bulk.redriveOf.workflowId}](../${encodeURIComponent(bulk.redriveOf.workflowId)}/${bulk.redriveOf.runId}): ` +
        `${items} items to run, ${total - items} reused`
      : `${total} items, at most ${bulk.maxConcurrency ?? 'the default'} in flight`,
    typedSearchAttributes: [
      { key: SearchAttributes.NsePhase, value: 'validating' },
      { key: SearchAttributes.NseObjectType, value: 'bulk' },
      ...(bulk.tenantId ? [{ key: SearchAttributes.NseTenantId, value: bulk.tenantId }] : []),
      ...(bulk.redriveOf ? [{ key: SearchAttributes.NseRedriveOf, value: bulk.redriveOf.workflowId }] : []),
    ],
    priority: tenantPriority(bulk.tenantId),
  };
}
