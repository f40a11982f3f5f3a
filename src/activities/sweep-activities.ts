/**
 * The sweep's activities: who the worker is at NSE, one page of a tenant's jobs, whether NSE still holds an object
 * (these three call NSE, on the budgeted NSE queue, and are held by `nse-flow pause` like every NSE call), and which
 * run owns each job (a visibility query through the worker's Temporal client, on the workflows' queue).
 * @module
 */
import { Context } from '@temporalio/activity';
import type { NseClient, NseAuth } from '../nse/client';
import { NseHttpError } from '../nse/errors';
import { isRecord } from '../nse/envelope';
import { ACTIVITY_INPUTS } from '../shared/activity-inputs';
import type { Job } from '../shared/nse-types';
import type { JobOwner, NseUser, SweptJob } from '../shared/sweep';
import { SWEEP_PAGE_SIZE } from '../shared/sweep';
import { SearchAttributes } from '../shared/workflow-api';
import { rethrowAsFailure } from './nse-activities';
import { assertNotPaused } from './pause-check';

/** What the sweep workflow proxies (with `import type`). */
export interface SweepActivities {
  /** The worker's NSE user: its id, name and tenants, from a sign-in with the worker's credentials. */
  nseUser(): Promise<NseUser>;
  /** One page of a tenant's jobs, newest first; `more` is false on the last page. */
  listJobsPage(request: { tenantId: string; offset: number }): Promise<{ jobs: SweptJob[]; more: boolean }>;
  /** Whether NSE still holds the object at `path` (404: no), and the name it has there. */
  readObject(path: string): Promise<{ exists: boolean; name?: string }>;
  /** The runs that own these jobs (their `NseJobId`), by job id; a job no run owns is left out. */
  findJobOwners(jobIds: string[]): Promise<Record<string, JobOwner>>;
}

/**
 * The sweep's activities over `nse`; `auth` tells who the worker is when NSE is not asked (a static token). Each
 * admits its arguments first (src/shared/activity-inputs.ts): any workflow may schedule it.
 */
export function createSweepActivities({ nse, auth }: { nse: NseClient; auth?: NseAuth }): SweepActivities {
  const signal = (): AbortSignal => Context.current().cancellationSignal;
  return {
    async nseUser(...args: unknown[]) {
      ACTIVITY_INPUTS.nseUser(args);
      if (!auth || auth.kind === 'token') return { ...(auth ? { username: usernameOfToken(auth.token) } : {}) };
      await assertNotPaused();
      const answer = await nse
        .submit('POST', '/v2.1/auth/signin', { username: auth.username, password: auth.password }, { signal: signal() })
        .catch(rethrowAsFailure);
      const record = answer.kind === 'sync' ? answer.record : undefined;
      const user = isRecord(record?.user) ? record.user : {};
      const tenancies = Array.isArray(user.tenancies) ? user.tenancies.filter(isRecord) : [];
      const tenantIds = tenancies.map((tenancy) => tenancy.id).filter((id): id is string => typeof id === 'string');
      return {
        ...(typeof user.id === 'string' ? { id: user.id } : {}),
        username: typeof user.username === 'string' ? user.username : auth.username,
        ...(tenancies.length > 0 ? { tenantIds } : {}),
      };
    },

    async listJobsPage(...args: unknown[]) {
      const { tenantId, offset } = ACTIVITY_INPUTS.listJobsPage(args);
      await assertNotPaused();
      const page = await nse
        .listJobs(
          { tenantId, offset, limit: SWEEP_PAGE_SIZE, sortBy: 'created', orderBy: 'desc' },
          { signal: signal() },
        )
        .catch(rethrowAsFailure);
      // A full page may have a next one, whether or not NSE reported its total (at worst one empty page more).
      return { jobs: page.jobs.map(sweptJob), more: page.jobs.length === SWEEP_PAGE_SIZE };
    },

    async readObject(...args: unknown[]) {
      const path = ACTIVITY_INPUTS.readObject(args);
      await assertNotPaused();
      try {
        const record = await nse.getResource(path, { signal: signal() });
        return { exists: true, ...(typeof record.name === 'string' ? { name: record.name } : {}) };
      } catch (err) {
        if (err instanceof NseHttpError && err.status === 404) return { exists: false };
        return rethrowAsFailure(err);
      }
    },

    async findJobOwners(...args: unknown[]) {
      const jobIds = ACTIVITY_INPUTS.findJobOwners(args);
      const owners: Record<string, JobOwner & { closed: string }> = {};
      if (jobIds.length === 0) return {};
      const quoted = jobIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
      const query = `WorkflowType = 'nseOperationWorkflow' AND NseJobId IN (${quoted})`;
      for await (const run of Context.current().client.workflow.list({ query })) {
        const jobId = run.typedSearchAttributes.get(SearchAttributes.NseJobId);
        if (jobId === undefined) continue;
        const owner = { workflowId: run.workflowId, runId: run.runId, status: run.status.name };
        // A job adopted by a second run is owned by both: one that completed wins, then the latest.
        const known = owners[jobId];
        const closed = run.closeTime?.toISOString() ?? '9999';
        if (!known || (known.status !== 'COMPLETED' && (owner.status === 'COMPLETED' || closed > known.closed)))
          owners[jobId] = { ...owner, closed };
      }
      return Object.fromEntries(Object.entries(owners).map(([jobId, { closed: _closed, ...owner }]) => [jobId, owner]));
    },
  };
}

function sweptJob(job: Job): SweptJob {
  const { id, action, objectId, objectType, objectName, userId, created } = job;
  return { id, action, objectId, objectType, objectName, userId, created };
}

/** The `username` of a JWT's payload (NSE's tokens carry it), if the token is one. */
function usernameOfToken(token: string): string | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return isRecord(payload) && typeof payload.username === 'string' ? payload.username : undefined;
  } catch {
    return undefined;
  }
}
