/**
 * Pausing NSE calls, for one tenant or all: the scopes the control workflow keeps, its updates, the signal that wakes
 * paused runs, and the check every NSE activity makes. Pure: workflows, activities and the client share it.
 * @module
 */
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { nseFairnessKey } from './workflow-api';

/** What is paused: every NSE call, and the fairness keys (tenants) whose calls are. */
export interface PausedScopes {
  all: boolean;
  tenants: string[];
}

/** One pause or resume: a tenant, or all calls when `tenantId` is absent. */
export interface PauseScope {
  tenantId?: string;
}

export const NOTHING_PAUSED: PausedScopes = { all: false, tenants: [] };

/** The control workflow of a workflow task queue: one per queue, so each fleet (and each test's queue) has its own. */
export function controlWorkflowId(taskQueue: string): string {
  return `nse-flow-control-${taskQueue}`;
}

/** The memo field the control workflow keeps its scopes in, read with `describe()` (answered without a worker). */
export const PAUSED_MEMO = 'nsePaused';

/** What `resume` answers: the scopes still paused, and how many waiting runs it woke. */
export interface ResumeAnswer extends PausedScopes {
  woken: number;
}

/** Pause or resume a scope; both answer the scopes now paused (`resume` also how many runs it woke). */
export const pauseUpdate = defineUpdate<PausedScopes, [PauseScope]>('pause');
export const resumeUpdate = defineUpdate<ResumeAnswer, [PauseScope]>('resume');
/** Sent by `resume` to the paused runs of its scope, so they call NSE again without waiting for their re-check. */
export const resumeSignal = defineSignal('resume');

/**
 * The oldest view of the paused scopes a worker may use to let an NSE call through (src/activities/pause-check.ts);
 * `pause` answers only once this long (plus a second for timer granularity) has passed since the scopes changed.
 */
export const PAUSE_VIEW_MAX_AGE_MS = 2_000;

/** How long a paused run waits before it tries its call again when no `resume` signal reached it. */
export const PAUSE_RECHECK_MS = 60_000;

/** The scopes after pausing (`paused`) or resuming `scope`. Resuming all also resumes every tenant. */
export function changeScopes(scopes: PausedScopes, scope: PauseScope, paused: boolean): PausedScopes {
  if (scope.tenantId === undefined) return paused ? { ...scopes, all: true } : NOTHING_PAUSED;
  const key = nseFairnessKey(scope.tenantId);
  const others = scopes.tenants.filter((tenant) => tenant !== key);
  return { all: scopes.all, tenants: paused ? [...others, key] : others };
}

/** Whether a call with this fairness key (undefined: a call of a run started before fairness keys) is paused. */
export function isPaused(scopes: PausedScopes, fairnessKey: string | undefined): boolean {
  return scopes.all || (fairnessKey !== undefined && scopes.tenants.includes(fairnessKey));
}
