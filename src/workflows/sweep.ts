/**
 * The sweep (`nse-flow sweep`, and the `nse-flow-sweep` Schedule): reads, per tenant, the create jobs NSE ran for
 * the worker's NSE user in a window, finds the run that owns each (`NseJobId`), and reports every object NSE still
 * holds whose run did not complete or that no run owns. Its NSE reads take turns on the budgeted NSE queue at the
 * lowest priority. It never deletes by itself: it stays open for `holdMs` to take `undoSweptObject` updates, each
 * starting the catalogue's undo of one reported object as a run of its own, then ends with its report.
 * @module
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SweepActivities } from '../activities/sweep-activities';
import { parseSweepInput } from '../shared/entries';
import { invalidInput } from '../shared/failures';
import { isSafePathSegment } from '../shared/nse-paths';
import { findOperation } from '../shared/operations';
import {
  createSpecOfType,
  isOwnUser,
  MAX_SWEEP_JOBS_PER_TENANT,
  sweepFindingsUpdate,
  sweepStatusQuery,
  sweepUndoOf,
  SWEPT_JOB_ID,
  undoSweptObjectUpdate,
  type JobOwner,
  type NseUser,
  type SweepFinding,
  type SweepInput,
  type SweepReport,
  type SweptJob,
  type ValidSweepInput,
} from '../shared/sweep';
import { nseFairnessKey, SweepSearchAttributes } from '../shared/workflow-api';
import { onQuery, onUpdate } from './entries';
import { NsePriority, onNseQueue, PERMANENT, READ_RETRY } from './nse-calls';
import { nseOperationWorkflow } from './operation';
import { handlePauses, unlessPaused } from './pause-wait';
import { detailsTable } from './progress';

/** Object reads in flight at once (they still take turns within the NSE request budget). */
const READS_AT_ONCE = 10;
/** Job ids per visibility query. */
const OWNER_QUERY_SIZE = 50;

/**
 * The sweep's NSE reads: within the NSE request budget, after every run's NSE calls, the tenant as fairness key; each
 * waits while `nse-flow pause` holds it.
 */
type SweepReads = Omit<SweepActivities, 'findJobOwners'>;

function nseReads(tenantId: string | undefined): SweepReads {
  const reads = proxyActivities<SweepActivities>({
    ...onNseQueue({ tenantId, priority: NsePriority.Sweep }),
    startToCloseTimeout: '1 minute',
    scheduleToCloseTimeout: '30 minutes',
    retry: { ...READ_RETRY, nonRetryableErrorTypes: PERMANENT },
  });
  return {
    nseUser: async () => await unlessPaused(() => reads.nseUser()),
    listJobsPage: async (request) => await unlessPaused(() => reads.listJobsPage(request)),
    readObject: async (path) => await unlessPaused(() => reads.readObject(path)),
  };
}

/** The visibility look-up: no NSE call, so on the workflows' own queue. */
const { findJobOwners } = proxyActivities<SweepActivities>({
  startToCloseTimeout: '1 minute',
  retry: READ_RETRY,
});

/** Reports the objects no run that completed owns; see the module comment. */
export async function nseSweepWorkflow(input: SweepInput = {}): Promise<SweepReport> {
  const valid = parseSweepInput(input);
  const started = workflowInfo().startTime.getTime();
  const sweep = new Sweep(valid, new Date(started - valid.windowMs).toISOString());
  onQuery(sweepStatusQuery, () => sweep.report);
  onUpdate(sweepFindingsUpdate, async () => {
    await condition(() => sweep.report !== undefined);
    return sweep.report as SweepReport;
  });
  onUpdate(
    undoSweptObjectUpdate,
    (objectId: string) => sweep.undo(objectId),
    (objectId) => sweep.assertUndoable(objectId),
  );
  handlePauses((paused) => sweep.showPaused(paused));
  try {
    await sweep.read();
    const openUntil = new Date(Date.now() + valid.holdMs).toISOString();
    sweep.finish(openUntil);
    // Open for undos until then; a cancellation (the Schedule's next sweep) ends the hold early.
    if (valid.holdMs > 0) await condition(() => false, valid.holdMs);
  } catch (err) {
    if (!isCancellation(err) || !sweep.report) throw err;
  }
  sweep.closing = true;
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return sweep.report as SweepReport;
}

/** One sweep's state: what it read, what it found, the undos it started. */
class Sweep {
  report: SweepReport | undefined;
  closing = false;
  private user: NseUser = {};
  private tenantIds: string[] = [];
  private jobsRead = 0;
  private createJobs = 0;
  private readonly truncated: string[] = [];
  private readonly findings: SweepFinding[] = [];
  private phase = 'reading';
  private pausedPhase: string | undefined;
  private published = '';
  private beforeWindow: (job: SweptJob) => boolean = () => false;

  constructor(
    private readonly input: ValidSweepInput,
    private readonly since: string,
  ) {}

  async read(): Promise<void> {
    const start = Date.parse(this.since);
    this.beforeWindow = (job) => Date.parse(job.created) < start; // an unreadable time is not before
    this.publish();
    this.user = await nseReads(undefined).nseUser();
    if (!this.user.id && !this.user.username)
      throw invalidInput(
        "cannot tell the worker's NSE user (its token is not a JWT): the sweep needs NSE_USERNAME/NSE_PASSWORD",
      );
    const tenantIds = this.input.tenantIds ?? this.user.tenantIds;
    if (!tenantIds || tenantIds.length === 0)
      throw invalidInput("NSE did not say which tenants the worker's user has: give the tenants to sweep (--tenant)");
    this.tenantIds = tenantIds;
    for (const tenantId of tenantIds) await this.readTenant(tenantId);
  }

  /** Reads the tenant's create jobs of the window, finds their runs, and checks the objects no completed run owns. */
  private async readTenant(tenantId: string): Promise<void> {
    const reads = nseReads(tenantId);
    const beforeWindow = this.beforeWindow;
    const creates: SweptJob[] = [];
    for (let offset = 0; ;) {
      const page = await reads.listJobsPage({ tenantId, offset });
      offset += page.jobs.length;
      this.jobsRead += page.jobs.length;
      for (const job of page.jobs)
        if (job.action.toLowerCase() === 'create' && !beforeWindow(job) && isOwnUser(this.user, job.userId))
          creates.push(job);
      // Newest first: a page that reaches before the window ends the reading.
      const reachedStart = page.jobs.some(beforeWindow);
      if (!page.more || reachedStart) break;
      if (offset >= MAX_SWEEP_JOBS_PER_TENANT) {
        this.truncated.push(tenantId);
        break;
      }
    }
    this.createJobs += creates.length;
    const owners: Record<string, JobOwner> = {};
    // A job id no run could record (none of NSE's) is owned by no run.
    const ownable = creates.filter((job) => SWEPT_JOB_ID.test(job.id));
    for (let i = 0; i < ownable.length; i += OWNER_QUERY_SIZE)
      Object.assign(owners, await findJobOwners(ownable.slice(i, i + OWNER_QUERY_SIZE).map((job) => job.id)));
    // A run that completed owns its object; one still running may yet undo it.
    const suspects = creates.filter((job) => {
      const status = owners[job.id]?.status;
      return status !== 'COMPLETED' && status !== 'RUNNING' && job.objectId !== '';
    });
    for (let i = 0; i < suspects.length; i += READS_AT_ONCE) {
      const batch = suspects.slice(i, i + READS_AT_ONCE);
      const found = await Promise.all(batch.map((job) => this.check(reads, tenantId, job, owners[job.id])));
      for (const finding of found) if (finding) this.findings.push(finding);
      this.publish();
    }
  }

  /** The finding for a suspect job when NSE still holds its object (under the job's name), else undefined. */
  private async check(
    reads: SweepReads,
    tenantId: string,
    job: SweptJob,
    owner: JobOwner | undefined,
  ): Promise<SweepFinding | undefined> {
    const spec = createSpecOfType(job.objectType);
    // A type nse-flow does not know, or an id that is no path segment: see the limits in docs/operations.md.
    if (!spec || !isSafePathSegment(job.objectId)) return undefined;
    const object = await reads.readObject(`${spec.path}/${encodeURIComponent(job.objectId)}`);
    // A snapshot's job names its parent disk or share: that object is not what the job made.
    if (!object.exists || (object.name !== undefined && job.objectName !== '' && object.name !== job.objectName))
      return undefined;
    const undo = sweepUndoOf(spec, job.objectId);
    return {
      tenantId,
      resource: spec.resource,
      objectId: job.objectId,
      objectName: job.objectName,
      jobId: job.id,
      jobCreated: job.created,
      ...(owner ? { owner } : {}),
      undo: 'operation' in undo ? { operation: undo.operation } : { none: undo.none },
    };
  }

  finish(openUntil: string): void {
    this.phase = 'open for undo';
    this.report = this.snapshot(openUntil);
    this.publish();
  }

  /** While an NSE read is paused (`nse-flow pause`) the details say so; the read goes on after `resume`. */
  showPaused(paused: boolean): void {
    if (paused) {
      this.pausedPhase ??= this.phase;
      this.phase = 'paused: its NSE reads wait for nse-flow resume';
    } else if (this.pausedPhase !== undefined) {
      this.phase = this.pausedPhase;
      this.pausedPhase = undefined;
    }
    this.publish();
  }

  /** Refuses (`InvalidInput`, in the validator: a refused update leaves no history) an undo the sweep cannot start. */
  assertUndoable(objectId: string): void {
    const finding = this.findings.find((f) => f.objectId === objectId);
    if (!this.report) throw invalidInput('the sweep is still reading; try again once it has reported');
    if (!finding) throw invalidInput(`this sweep did not report ${objectId}`);
    if (this.closing) throw invalidInput('the sweep is closing; run a new sweep and undo what it reports');
    if ('none' in finding.undo)
      throw invalidInput(`${finding.resource} ${objectId} cannot be undone by nse-flow: ${finding.undo.none}`);
  }

  /** Starts the catalogue's undo of a reported object as a run of its own (once; a second ask answers that run). */
  async undo(objectId: string): Promise<{ workflowId: string; runId: string }> {
    const finding = this.findings.find((f) => f.objectId === objectId) as SweepFinding;
    if (finding.undoRun) return finding.undoRun;
    const spec = findOperation(`create-${finding.resource}`);
    const undo = spec ? sweepUndoOf(spec, objectId) : { none: 'unknown resource' };
    if ('none' in undo) throw invalidInput(undo.none);
    // The id names the object: a second sweep's undo of it meets this run instead of deleting twice.
    const workflowId = `nse-flow-sweep-undo-${finding.resource}-${objectId}`;
    const child = await startChild(nseOperationWorkflow, {
      workflowId,
      args: [{ operation: undo.operation, input: undo.input, tenantId: finding.tenantId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: `undo of ${finding.resource} ${objectId}, reported by ${workflowInfo().workflowId}`,
      // An undo's calls go first, as a run's own undo's do.
      priority: { priorityKey: NsePriority.Compensation, fairnessKey: nseFairnessKey(finding.tenantId) },
    }).catch((err: unknown) => {
      // WorkflowExecutionAlreadyStartedError (of @temporalio/common, outside the workflow fence), by name.
      if (!(err instanceof Error && err.name === 'WorkflowExecutionAlreadyStartedError')) throw err;
      throw invalidInput(`${finding.resource} ${objectId} already has an undo run, ${workflowId}: see how it went`);
    });
    finding.undoRun = { workflowId, runId: child.firstExecutionRunId };
    this.report = this.snapshot(this.report?.openUntil);
    this.publish();
    return finding.undoRun;
  }

  private snapshot(openUntil: string | undefined): SweepReport {
    return {
      since: this.since,
      tenantIds: this.tenantIds,
      user: this.user,
      jobsRead: this.jobsRead,
      createJobs: this.createJobs,
      truncated: [...this.truncated],
      findings: this.findings.map((f) => ({ ...f })),
      ...(openUntil ? { openUntil } : {}),
    };
  }

  /** The counts as search attributes and the findings as current details, for the Web UI. */
  private publish(): void {
    const counts = [this.createJobs, this.findings.length, this.findings.filter((f) => f.undoRun).length];
    if (counts.join() !== this.published) {
      const [jobs, reported, undone] = counts as [number, number, number];
      upsertSearchAttributes([
        { key: SweepSearchAttributes.NseSweepJobs, value: jobs },
        { key: SweepSearchAttributes.NseSweepReported, value: reported },
        { key: SweepSearchAttributes.NseSweepUndone, value: undone },
      ]);
      this.published = counts.join();
    }
    const rows: [string, string | number | undefined][] = [
      ['Phase', this.phase],
      ['Since', this.since],
      ['Tenants', this.tenantIds.join(', ') || undefined],
      ['Create jobs of the worker', this.createJobs],
      ['Reported', this.findings.length],
      ...this.findings.map((f): [string, string] => [
        `${f.resource} ${f.objectId}`,
        `${f.objectName}, job ${f.jobId}, ${f.owner ? `${f.owner.workflowId} ${f.owner.status}` : 'no run'}` +
          (f.undoRun ? `, undo ${f.undoRun.workflowId}` : ''),
      ]),
    ];
    setCurrentDetails(detailsTable('Sweep', rows));
  }
}
