/**
 * What an operation run shows: the `status` query's answer, its search attributes and its current details.
 * Read-only views of {@link OperationRun}.
 * @module
 */
import type { OperationStatus } from '../shared/workflow-api';
import { detailsTable, type ProgressView } from './progress';
import type { OperationRun } from './run';

/** The `status` query's answer. */
export function operationStatus(run: OperationRun): OperationStatus {
  return {
    operation: run.spec.name,
    summary: run.summary,
    phase: run.phase,
    jobId: run.jobId,
    jobState: run.lastJob?.state,
    objectId: run.lastJob?.objectId || undefined,
    polls: run.polls,
    warnings: run.warnings,
    nextPollAt: run.nextPollAt === undefined ? undefined : new Date(run.nextPollAt).toISOString(),
    compensation: run.compensation,
  };
}

/** Search attributes and markdown details of the run, for its progress publisher. */
export function operationView(run: OperationRun): ProgressView {
  const status = operationStatus(run);
  const details = detailsTable(run.summary, [
    ['Phase', status.phase],
    ['NSE job', status.jobId && `${status.jobId} (${status.jobState ?? 'submitted'})`],
    ['Object', status.objectId],
    ['Polls', status.polls],
    ['Warnings seen', status.warnings || undefined],
    ['Next poll', status.nextPollAt],
    ['Compensation', status.compensation && `${status.compensation.outcome}: ${status.compensation.message}`],
  ]);
  return {
    searchAttributes: {
      NsePhase: run.phase,
      NseObjectType: run.spec.resource,
      NseTenantId: run.tenantId,
      NseJobId: run.jobId,
      NseJobState: run.lastJob?.state,
    },
    details,
  };
}
