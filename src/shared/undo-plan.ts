/**
 * What undoing an operation's job takes, planned from the catalogue and the job's tasks. Pure and workflow-safe.
 *
 * A create (or an initiator add) is undone by the catalogue's undo of the job's own object, then by the undo of every
 * other object its tasks created (a disk's inline host groups), newest first; the job's own object goes first because
 * it uses what was made with it (a disk maps its host groups). Every object a create task names counts, whatever the
 * task's status: a failed or cancelled task may leave its object behind (`Contact support`), and undoing an object
 * that is not there is reported as not needed. An object of a type the catalogue cannot undo is left for a human,
 * named by id and type. An update or delete whose tasks partly ran is left for a human too: putting back half of a
 * change is a guess.
 * @module
 */
import { isFailed, JobState, type Job } from './nse-types';
import { jobResourceOf, resourceOfType } from './object-types';
import { findOperation, type OperationSpec } from './operations';
import type { UndoStep } from './workflow-api';

/** What the planner needs to know about the forward call. */
export interface UndoSubject {
  spec: OperationSpec;
  fields: Record<string, unknown>;
  /** Values read before an update, for its undo. */
  before?: Record<string, unknown> | undefined;
}

const report = (
  outcome: 'not-needed' | 'manual-cleanup-needed',
  message: string,
  at?: { objectId?: string | undefined; objectType?: string | undefined },
): UndoStep => ({
  kind: 'report',
  report: {
    outcome,
    message,
    ...(at?.objectId ? { objectId: at.objectId } : {}),
    ...(at?.objectType ? { objectType: at.objectType } : {}),
  },
});

/**
 * The undo of the job's own object, from the catalogue alone: another operation to run, or only a report (nothing
 * to undo, or NSE has no undo and the object needs manual clean-up).
 */
export function objectUndoStep({ spec, fields, before }: UndoSubject, job: Job): UndoStep {
  const undo = spec.undo;
  const objectId = job.objectId || undefined;
  const objectType = job.objectType || spec.resource;
  if (undo.kind === 'none') {
    if (spec.verb !== 'create' || !objectId) return report('not-needed', undo.reason);
    return report('manual-cleanup-needed', `${spec.resource} ${objectId}: ${undo.reason}`, { objectId, objectType });
  }
  if (undo.kind === 'restore') {
    if (!before) return report('not-needed', 'nothing was read before the update');
    return { kind: 'run', operation: undo.operation, input: undo.restoreInput(fields, before), objectId, objectType };
  }
  if (!objectId && !spec.path.includes('{')) return report('not-needed', 'NSE created no object');
  return { kind: 'run', operation: undo.operation, input: undo.input(fields, objectId ?? ''), objectId, objectType };
}

/** True when some of the job's tasks ran and some did not: the change is half made. */
function partlyApplied(job: Job): boolean {
  if (job.state === JobState.PartialFailures) return true;
  const done = job.tasks.filter((t) => t.state === JobState.Normal).length;
  return done > 0 && done < job.tasks.length;
}

/** The undo of each object the job's tasks created besides the job's own, newest first. */
function inlineObjectSteps(subject: UndoSubject, job: Job): UndoStep[] {
  const ownResource = resourceOfType(job.objectType) ?? jobResourceOf(subject.spec);
  const seen = new Set<string>([job.objectId]);
  const steps: UndoStep[] = [];
  for (const task of [...job.tasks].reverse()) {
    if (task.action.toLowerCase() !== 'create' || !task.objectId || seen.has(task.objectId)) continue;
    const resource = resourceOfType(task.objectType);
    if (resource === ownResource) continue; // a part of the job's own object: undone with it
    seen.add(task.objectId);
    const at = { objectId: task.objectId, objectType: task.objectType || task.resourceType };
    const remove = resource === undefined ? undefined : findOperation(`delete-${resource}`);
    if (!remove || !remove.path.endsWith('/{id}')) {
      const why =
        resource === undefined ? 'an object type nse-flow does not know' : `NSE has no undo for a ${resource}`;
      steps.push(report('manual-cleanup-needed', `${at.objectType} ${task.objectId}: ${why}`, at));
    } else steps.push({ kind: 'run', operation: remove.name, input: { id: task.objectId }, ...at });
  }
  return steps;
}

/**
 * Every step that undoes `job`, in the order to run them (see the module comment). For a job that ended NORMAL this
 * is what a later undo of the finished operation takes (a provisioning plan's compensation).
 */
export function planUndo(subject: UndoSubject, job: Job): UndoStep[] {
  const { spec } = subject;
  if (spec.verb === 'create' || spec.verb === 'add') {
    return [objectUndoStep(subject, job), ...inlineObjectSteps(subject, job)];
  }
  if (isFailed(job.state) && partlyApplied(job)) {
    const objectId = job.objectId || undefined;
    const objectType = job.objectType || spec.resource;
    const what = spec.verb === 'update' ? 'a partial update' : `a partial ${spec.verb}`;
    const message = `${objectType} ${objectId ?? '(no id)'}: ${what} cannot be put back reliably; check it by hand`;
    return [report('manual-cleanup-needed', message, { objectId, objectType })];
  }
  return [objectUndoStep(subject, job)];
}
