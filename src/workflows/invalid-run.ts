/**
 * What an invalid run shows: the search attributes and details its input allows, so it looks the same whoever
 * started it.
 * @module
 */
import { setCurrentDetails, upsertSearchAttributes, type ApplicationFailure } from '@temporalio/workflow';
import { findOperation } from '../shared/operations';
import { Phase, SearchAttributes } from '../shared/workflow-api';
import { detailsTable } from './progress';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * An invalid run shows what its input allows: `NsePhase = failed`, the object type of a known operation (or `plan`)
 * and a tenant id that is well formed, with details naming the failure.
 */
export function publishInvalidRun(
  input: unknown,
  failure: ApplicationFailure,
  kind: 'operation' | 'plan' | 'bulk',
): void {
  const raw = (input !== null && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  const spec = typeof raw.operation === 'string' ? findOperation(raw.operation) : undefined;
  const objectType = kind === 'operation' ? spec?.resource : kind;
  const tenantId = typeof raw.tenantId === 'string' && ID_PATTERN.test(raw.tenantId) ? raw.tenantId : undefined;
  upsertSearchAttributes([
    { key: SearchAttributes.NsePhase, value: Phase.Failed },
    ...(objectType ? [{ key: SearchAttributes.NseObjectType, value: objectType }] : []),
    ...(tenantId ? [{ key: SearchAttributes.NseTenantId, value: tenantId }] : []),
  ]);
  const title =
    kind === 'operation'
      ? `invalid input for ${spec?.name ?? 'an unknown operation'}`
      : `invalid ${kind === 'plan' ? 'provisioning plan' : 'bulk'}`;
  setCurrentDetails(
    detailsTable(title, [
      ['Phase', Phase.Failed],
      ['InvalidInput', failure.message],
    ]),
  );
}
