/**
 * The sweep (`nse-flow sweep`): what it is asked, what it reports, and how one reported object is undone. A sweep
 * reads the create jobs NSE ran for the worker's NSE user in a window, finds the run that owns each (its `NseJobId`),
 * and reports every object NSE still holds whose run did not complete or that no run owns. It never deletes by
 * itself. Pure and workflow-safe.
 * @module
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { findOperation, type OperationSpec } from './operations';
import { resourceOfType } from './object-types';

/** The Schedule `nse-flow sweep --schedule` creates or updates. */
export const SWEEP_SCHEDULE_ID = 'nse-flow-sweep';
/** The window read when none is given: the create jobs of the last day. */
export const DEFAULT_SWEEP_WINDOW_MS = 24 * 60 * 60 * 1000;
/** The longest window one sweep reads. */
export const MAX_SWEEP_WINDOW_MS = 90 * 24 * 60 * 60 * 1000;
/** How long a sweep stays open for undos when none is given. */
export const DEFAULT_SWEEP_HOLD_MS = 60 * 60 * 1000;
/** The longest a sweep stays open for undos (a Schedule's sweeps every longer interval each hold this long). */
export const MAX_SWEEP_HOLD_MS = 24 * 60 * 60 * 1000;
/** Most jobs one sweep reads per tenant: its history stays bounded (a larger window is several sweeps). */
export const MAX_SWEEP_JOBS_PER_TENANT = 5_000;
/** Jobs per page of `GET /v2.1/jobs`. */
export const SWEEP_PAGE_SIZE = 100;

/** Input of the sweep workflow (its schema is in ./entries, the one gate). */
export interface SweepInput {
  /** Tenants to sweep; default: every tenant the worker's NSE user has. */
  tenantIds?: string[];
  /** The window: create jobs created at most this long before the sweep started. */
  windowMs?: number;
  /** How long the sweep takes undos (`nse-flow sweep --undo`) after it reported. */
  holdMs?: number;
}

/** A valid {@link SweepInput}, defaults applied. */
export interface ValidSweepInput {
  tenantIds: string[] | undefined;
  windowMs: number;
  holdMs: number;
}

/** The job ids the sweep looks up runs for (they go into a visibility query); NSE's are 24 hex digits. */
export const SWEPT_JOB_ID = /^[\w.:-]{1,255}$/;

/** A create job as the sweep keeps it: only what it reports and decides on. */
export interface SweptJob {
  id: string;
  action: string;
  objectId: string;
  objectType: string;
  objectName: string;
  userId: string;
  created: string;
}

/** The NSE user the worker acts as: the `user_id` of its jobs is one of these. */
export interface NseUser {
  id?: string;
  username?: string;
  /** The tenants the user may act in, when NSE said. */
  tenantIds?: string[];
}

/** How the run that owns a job ended, as Temporal names it (`COMPLETED`, `TERMINATED`, ...). */
export interface JobOwner {
  workflowId: string;
  runId: string;
  status: string;
}

/** One object the sweep reports. */
export interface SweepFinding {
  tenantId: string;
  /** The catalogue resource (`disk`, `hostgroup`, ...). */
  resource: string;
  objectId: string;
  objectName: string;
  jobId: string;
  jobCreated: string;
  /** The run that owns the job, if any, and how it ended. */
  owner?: JobOwner;
  /** The operation that undoes it (`delete-<resource>`), or why nse-flow cannot. */
  undo: { operation: string } | { none: string };
  /** Set once an undo run was started for it. */
  undoRun?: { workflowId: string; runId: string };
}

/** What the sweep found, as its result and its `findings` answer. */
export interface SweepReport {
  /** The start of the window (ISO). */
  since: string;
  tenantIds: string[];
  user: NseUser;
  /** Jobs read from NSE's job lists. */
  jobsRead: number;
  /** Create jobs of the worker's user in the window. */
  createJobs: number;
  /** Tenants whose job list held more than the sweep reads ({@link MAX_SWEEP_JOBS_PER_TENANT}). */
  truncated: string[];
  findings: SweepFinding[];
  /** Until when `nse-flow sweep --undo` reaches this sweep (ISO); undefined while it still reads. */
  openUntil?: string;
}

/** Answers the sweep's report once it has read everything (it waits for that). */
export const sweepFindingsUpdate = defineUpdate<SweepReport>('sweepFindings');
/** The report so far (no wait). */
export const sweepStatusQuery = defineQuery<SweepReport | undefined>('sweepReport');
/** Starts the undo of one reported object as a run of its own; answers that run. Rejected for an object not reported. */
export const undoSweptObjectUpdate = defineUpdate<{ workflowId: string; runId: string }, [string]>('undoSweptObject');

/**
 * The catalogue's create of an NSE object type, when the catalogue can read it back by id: `GET <collection>/<id>`.
 * Undefined for a type nse-flow does not know.
 */
export function createSpecOfType(objectType: string): OperationSpec | undefined {
  const resource = resourceOfType(objectType);
  const spec = resource === undefined ? undefined : findOperation(`create-${resource}`);
  return spec && !spec.path.includes('{') ? spec : undefined;
}

/** The catalogue's undo of a create of `spec`'s object `objectId`: the operation and its input, or why there is none. */
export function sweepUndoOf(
  spec: OperationSpec,
  objectId: string,
): { operation: string; input: Record<string, unknown> } | { none: string } {
  const undo = spec.undo;
  if (undo.kind === 'none') return { none: undo.reason };
  if (undo.kind !== 'delete') return { none: `a ${spec.resource} is not undone by a delete` };
  const input = undo.input({}, objectId);
  const remove = findOperation(undo.operation);
  if (!remove || !remove.path.endsWith('/{id}') || input.id !== objectId)
    return { none: `its undo needs the input of the run that made it` };
  return { operation: undo.operation, input };
}

/** True when `userId` (a job's `user_id`) is the worker's NSE user, by id or by name. */
export function isOwnUser(user: NseUser, userId: string): boolean {
  return userId !== '' && (userId === user.id || userId === user.username);
}
