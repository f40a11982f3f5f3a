/**
 * What an operation run shows: the `status` query's answer, its search attributes and its current details.
 * Read-only views of {@link OperationRun}.
 * @module
 */
import { Phase, PollMode, type OperationStatus } from '../shared/workflow-api';
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
    readErrors: run.readErrors || undefined,
    lastReadError: run.lastReadError,
    unknownStateWords: run.unknownStateWords.size > 0 ? [...run.unknownStateWords] : undefined,
    decisionDueAt: run.decisionDueAt === undefined ? undefined : new Date(run.decisionDueAt).toISOString(),
    cancelRequested: run.cancelRequested || undefined,
  };
}

/** Search attributes and markdown details of the run, for its progress publisher. */
export function operationView(run: OperationRun): ProgressView {
  const status = operationStatus(run);
  const details = detailsTable(run.summary, [
    ['Phase', status.phase],
    ['Paused since', run.pausedSince && `${new Date(run.pausedSince).toISOString()} (until \`nse-flow resume\`)`],
    ['NSE job', status.jobId && `${status.jobId} (${status.jobState ?? 'submitted'})`],
    ['Object', status.objectId],
    ['Polls', status.polls],
    ['Warnings seen', status.warnings || undefined],
    ['Next poll', status.nextPollAt ?? changeWait(run)],
    ['Unknown state words', status.unknownStateWords && `${status.unknownStateWords.join(', ')} (read as running)`],
    ['Read errors', status.readErrors ? `${status.readErrors} (last: ${status.lastReadError ?? '?'})` : undefined],
    ['Tasks', tasksCell(run)],
    ['Decision due', status.decisionDueAt && `${status.decisionDueAt} (then: ${run.holdDefault})`],
    ['Compensation', status.compensation && `${status.compensation.outcome}: ${status.compensation.message}`],
    ...undoRows(run),
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

/** While an `activity` mode read waits for a change: where its reads show (they add no event to this run). */
function changeWait(run: OperationRun): string | undefined {
  const waiting = run.phase === Phase.Polling && run.policy.mode === PollMode.Activity && run.jobId !== undefined;
  return waiting
    ? 'each attempt of the pending awaitJobChange reads the job (see its attempt and last failure)'
    : undefined;
}

/** The job's tasks in one cell: `resource object status`, separated by `<br>`. */
function tasksCell(run: OperationRun): string | undefined {
  const tasks = run.lastJob?.tasks ?? [];
  if (tasks.length === 0) return undefined;
  return tasks
    .map((t) => `${t.resourceType || t.objectType} ${t.objectId} ${t.status || t.state}`.replace(/\|/g, '/'))
    .join('<br>');
}

/** One row per undo step of a task-level compensation. */
function undoRows(run: OperationRun): [string, string][] {
  return (run.compensation?.steps ?? []).map((step) => [
    `Undo ${step.objectType ?? ''} ${step.objectId ?? ''}`.trim(),
    `${step.outcome}: ${step.message}`.replace(/\|/g, '/'),
  ]);
}
