/**
 * The check an NSE activity makes before it calls NSE: are all calls, or its tenant's (its fairness key), paused?
 * The scopes live in the control workflow's memo (`describe()`, answered by the server without a worker). Each worker
 * process keeps one view of them per task queue and reads it afresh only when it is older than
 * {@link PAUSE_VIEW_MAX_AGE_MS} (one read at a time, shared by every activity that waits for it), so a fleet's NSE
 * calls cost Temporal about one request per worker per {@link PAUSE_VIEW_MAX_AGE_MS}, not one per call.
 * The promise that once `pause` answered no new call starts holds because `pause` answers only after the view's
 * maximum age has passed since the scopes changed (src/workflows/control.ts): by then every view in use was read
 * after the change. A view that says paused is read again before a call is refused, so `resume` takes effect at once.
 * @module
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { FailureType } from '../shared/failures';
import {
  controlWorkflowId,
  isPaused,
  NOTHING_PAUSED,
  PAUSE_VIEW_MAX_AGE_MS,
  PAUSED_MEMO,
  type PausedScopes,
} from '../shared/pause';
import { workflowTaskQueueOf } from '../shared/workflow-api';

/** Reads the scopes of one task queue from its control workflow. */
type ScopesReader = (taskQueue: string) => Promise<PausedScopes>;

/** The scopes a task queue's control workflow keeps in its memo; nothing paused when it never ran. */
function readScopesWith(client: Client): ScopesReader {
  return async (taskQueue) => {
    try {
      const { memo } = await client.workflow.getHandle(controlWorkflowId(taskQueue)).describe();
      return (memo?.[PAUSED_MEMO] as PausedScopes | undefined) ?? NOTHING_PAUSED;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return NOTHING_PAUSED; // never paused on this queue
      throw err;
    }
  };
}

interface View {
  /** When the read behind it started (monotonic ms): its age counts from the moment it could first miss a change. */
  readStartedAt: number;
  scopes: Promise<PausedScopes>;
}

/** One process's views of the paused scopes, by task queue (see the module comment). */
export class PauseViews {
  private readonly views = new Map<string, View>();

  constructor(
    private readonly maxAgeMs = PAUSE_VIEW_MAX_AGE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The scopes of `taskQueue` as read at most `maxAgeMs` ago (`fresh`: read now). */
  async scopes(taskQueue: string, read: ScopesReader, fresh = false): Promise<PausedScopes> {
    const view = this.views.get(taskQueue);
    if (!fresh && view && this.now() - view.readStartedAt < this.maxAgeMs) return await view.scopes;
    const next: View = { readStartedAt: this.now(), scopes: read(taskQueue) };
    this.views.set(taskQueue, next);
    next.scopes.catch(() => this.views.get(taskQueue) === next && this.views.delete(taskQueue)); // no cached failure
    return await next.scopes;
  }
}

const processViews = new PauseViews();

/**
 * Throws a non-retryable `NsePaused` failure when this activity's NSE call is paused; the workflow then waits for
 * `resume`. A local activity (a `local` mode read) is never paused: it bypasses the NSE task queue and its budget.
 */
export async function assertNotPaused(views: PauseViews = processViews): Promise<void> {
  const { taskQueue, priority, isLocal } = Context.current().info;
  if (isLocal) return;
  const queue = workflowTaskQueueOf(taskQueue);
  const read = readScopesWith(Context.current().client);
  const fairnessKey = priority?.fairnessKey;
  if (!isPaused(await views.scopes(queue, read), fairnessKey)) return;
  const scopes = await views.scopes(queue, read, true); // a resume may have landed since the view was read
  if (!isPaused(scopes, fairnessKey)) return;
  const what = scopes.all ? 'all NSE calls are' : `NSE calls of tenant ${fairnessKey ?? ''} are`;
  throw ApplicationFailure.create({ type: FailureType.NsePaused, message: `${what} paused`, nonRetryable: true });
}
