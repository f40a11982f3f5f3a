/**
 * Jobs (nse-api.md §6): `GET /v2.1/jobs` lists them without moving them; `GET /v2.1/jobs/{id}` reads one, which
 * moves a per-read job on and applies the job faults of its rule (`unknownState`, `vanishAfterTerminal`); a list
 * applies `staleJobList`. A job read is matched with the name and operation of the request that created the job.
 * The long poll (`poll_timeout`, `last_modified`) is a simulator extension, not NSE behaviour.
 * @module
 */
import type { CallContext, SimContext } from '../context';
import { JOB_SORT_KEYS } from '../families';
import { findTenant } from '../fixtures';
import {
  envelope,
  filterMatches,
  invalid,
  notFound,
  page,
  queryValue,
  records,
  type Answer,
  type SimRequest,
} from '../http';
import type { SimJob } from '../job-store';
import { renderJob } from '../job-render';
import { addRoutes, type AreaPlugin } from '../routes';

const DEFAULT_UNKNOWN_WORD = 'RECONCILING';

function jobAnswer(ctx: SimContext, job: SimJob, unknownWord?: string): Answer {
  return {
    status: 200,
    body: envelope(200, records(1), '', {
      total_records: 1,
      records: [renderJob(job, ctx.store.currentWord(job), { tasks: true, unknownWord })],
    }),
  };
}

/** One read of a job: it moves a per-read job on, and applies the job faults of the request's rule. */
function readJobOnce(ctx: SimContext, job: SimJob, call: CallContext): Answer {
  if (!ctx.store.isFinished(job)) {
    const unknown = call.fire('unknownState');
    if (unknown) {
      ctx.store.touch(job);
      return jobAnswer(ctx, job, unknown.word ?? DEFAULT_UNKNOWN_WORD);
    }
  }
  ctx.store.readJob(job);
  if (ctx.store.isFinished(job)) {
    const vanish = call.matched?.rule.faults?.vanishAfterTerminal;
    if (vanish && job.terminalReads >= (vanish.terminalReads ?? 0) && call.fire('vanishAfterTerminal')) {
      ctx.store.vanish(job);
      ctx.log?.info({ jobId: job.id }, 'simulated fault: job vanished after finishing');
      throw notFound(`Job '${job.id}'`);
    }
    job.terminalReads += 1;
  }
  return jobAnswer(ctx, job);
}

/**
 * Waits until the job changes, vanishes, or `timeoutMs` passes. Wall-clock jobs are woken at their next step.
 * Every timer is cleared when the wait ends, and `preClose` ends all waits, so a long poll never holds the
 * process open.
 */
function waitForChange(ctx: SimContext, job: SimJob, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let stepTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(timeout);
      clearTimeout(stepTimer);
      unsubscribe();
      ctx.longPolls.delete(finish);
      resolve();
    };
    const unsubscribe = ctx.store.onChange(job.id, finish);
    const timeout = setTimeout(finish, timeoutMs).unref();
    const scheduleStep = (): void => {
      const at = ctx.store.nextStepAt(job);
      if (at === undefined) return;
      stepTimer = setTimeout(
        () => {
          ctx.store.refresh(job);
          scheduleStep();
        },
        Math.min(Math.max(at - ctx.now(), 1), timeoutMs),
      ).unref();
    };
    scheduleStep();
    ctx.longPolls.add(finish);
  });
}

async function getJob(ctx: SimContext, req: SimRequest, call: CallContext): Promise<Answer> {
  const id = req.params.id ?? '';
  const job = ctx.store.getJob(id);
  if (!job) throw notFound(`Job '${id}'`);
  ctx.requireTenancy(job.tenantId, `job '${id}'`);
  const pollTimeout = queryValue(req.query, 'poll_timeout');
  if (pollTimeout === undefined) return readJobOnce(ctx, job, call);
  // Long polling is NOT NSE behaviour: NSE documents no parameter for it. This extension follows ONTAP Select
  // (nse-api.md §10): answer when the job's `updated` is after `last_modified`, or when `poll_timeout` s pass.
  if (!/^\d+$/.test(pollTimeout) || Number(pollTimeout) < 1 || Number(pollTimeout) > 120) {
    throw invalid([`'poll_timeout' must be an integer from 1 to 120 seconds`]);
  }
  const lastModifiedText = queryValue(req.query, 'last_modified');
  let since = job.updated;
  if (lastModifiedText !== undefined) {
    since = Date.parse(lastModifiedText.replace(/^>=?/, ''));
    if (Number.isNaN(since)) throw invalid([`'last_modified' must be an ISO-8601 timestamp`]);
  }
  const first = readJobOnce(ctx, job, call);
  const extension = { 'x-nse-simulator-extension': 'long-poll' };
  if (job.updated > since || ctx.store.isFinished(job)) {
    return { ...first, headers: extension };
  }
  await waitForChange(ctx, job, Number(pollTimeout) * 1000);
  const current = ctx.store.getJob(id);
  if (!current) throw notFound(`Job '${id}'`);
  ctx.store.refresh(current);
  return { ...jobAnswer(ctx, current), headers: extension };
}

const DEFAULT_STALE_LIST_AGE_MS = 60_000;

function listJobs(ctx: SimContext, req: SimRequest, call: CallContext): Answer {
  const tenantFilter = queryValue(req.query, 'tenant_id');
  const subtenantFilter = queryValue(req.query, 'subtenant_id');
  if (tenantFilter !== undefined && findTenant(tenantFilter)) ctx.requireTenancy(tenantFilter, 'the jobs');
  const jobs = ctx.store
    .allJobs()
    .filter((job) => ctx.inTenancy(job.tenantId))
    .filter((job) => !tenantFilter || filterMatches(tenantFilter, job.tenantId))
    .filter((job) => !subtenantFilter || filterMatches(subtenantFilter, job.subtenantId));
  const stale = call.fire('staleJobList');
  const shown = stale
    ? jobs.filter((job) => job.created <= ctx.now() - (stale.ageMs ?? DEFAULT_STALE_LIST_AGE_MS))
    : jobs;
  // Listing shows each job as it is now but never counts as a read: jobs move only when read by id.
  const rendered = shown.map((job) => renderJob(job, ctx.store.currentWord(job), { tasks: true }));
  return page(rendered, req.query, JOB_SORT_KEYS, { sortBy: 'created', orderBy: 'desc' });
}

export const jobsPlugin: AreaPlugin = async (api, { ctx }) => {
  addRoutes(api, ctx, [
    { method: 'GET', url: '/v2.1/jobs', handle: (req, call) => listJobs(ctx, req, call) },
    {
      method: 'GET',
      url: '/v2.1/jobs/:id',
      about: (req) => {
        const job = ctx.store.getJob(req.params.id ?? '');
        return { name: job?.matchName, operation: job?.operation };
      },
      handle: (req, call) => getJob(ctx, req, call),
    },
  ]);
};
