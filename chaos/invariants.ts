/**
 * The invariants every chaos run is held to, checked against the simulator's ledger (what NSE actually did) and
 * what each run reported: the outcome its scenario implies, exactly one create per intended resource, no object
 * another run made reported as a run's own, and no object left at NSE that no run reported.
 *
 * Objects are told apart the way NSE tells them apart, never by name alone: by type, tenant, subtenant, zone and
 * name (a block store's name is `<subtenant>_<zone>`, an account's its tenant and subtenant), and a snapshot by its
 * parent. Whose request made an object is read from the object itself: the `chaos` tag of its request, an
 * account's quota (accounts take no tags), else the scenario token in its name; an object a job made alongside
 * (a disk's inline host group) belongs to whoever the job's other objects belong to.
 * @module
 */
import type { Ledger, LedgerResource } from '../simulator/job-store';
import { FailureType } from '../src/shared/failures';
import type { StepReport } from '../src/shared/workflow-api';
import { ACCOUNT_QUOTA_BASE, tokenOf, type Outcome, type Scenario } from './scenarios';

/** What one run ended with, as the suite saw it through the client. */
export interface RunRecord {
  scenario: Scenario;
  outcome: Outcome;
  /** Failure message (empty on success). */
  message: string;
  /** Message and details of the failure as text: where a run reports objects for manual clean-up. */
  failureText: string;
  /** Plans: the steps the result or the failure reported. */
  steps?: StepReport[];
  /** Operations: the result's `adopted` flag and object id. */
  adopted?: boolean;
  objectId?: string;
  startedAt: number;
  endedAt: number;
}

/** A broken invariant, with enough context to find the run. */
export interface Violation {
  invariant:
    | 'outcome'
    | 'duplicate'
    | 'missing'
    | 'orphan'
    | 'lost'
    | 'leak'
    | 'crash'
    /** A run reported another scenario's object (another tenant's or type's job adopted) as its own. */
    | 'foreign'
    /** A run ended CANCELLED although it left a resource behind (reported or not). */
    | 'untruthful-cancel';
  workflowId?: string;
  detail: string;
}

/** Phrases with which a run hands an object over to a person. */
const MANUAL = /manual clean-up needed|manual-cleanup-needed|by hand/;

/** A snapshot, which the ledger knows only from its events: parent id and name. */
interface SnapshotRecord {
  type: string;
  parentId: string;
  name: string;
  jobId: string;
  owner: string | undefined;
  live: boolean;
}

/** The ledger, indexed once for every run's checks. */
export interface LedgerIndex {
  ledger: Ledger;
  /** Owner token of each resource id (absent: no scenario's request made it). */
  owner: Map<string, string>;
  /** The job that created each resource id. */
  createdBy: Map<string, string>;
  snapshots: SnapshotRecord[];
}

/** Where NSE keeps an object unique: type, tenant, subtenant, zone and name. */
export function resourceKey(r: Pick<LedgerResource, 'type' | 'tenant_id' | 'subtenant_id' | 'zone' | 'name'>): string {
  return [r.type, r.tenant_id, r.subtenant_id, r.zone ?? '', r.name].join('|');
}

function markOf(r: LedgerResource): string | undefined {
  const tags = r.fields.tags;
  if (tags && typeof tags === 'object' && typeof (tags as Record<string, unknown>).chaos === 'string')
    return (tags as Record<string, string>).chaos;
  const quota = r.fields.quota_gb;
  if (r.type === 'objectstorage-account' && typeof quota === 'number' && quota >= ACCOUNT_QUOTA_BASE)
    return tokenOf(quota - ACCOUNT_QUOTA_BASE);
  return nameToken(r.name);
}

const nameToken = (name: string): string | undefined => name.match(/r\d{5}(?=-)/)?.[0];

/** Indexes owners (see the module comment), creating jobs and snapshots. */
export function indexLedger(ledger: Ledger): LedgerIndex {
  const byId = new Map(ledger.resources.map((r) => [r.id, r]));
  const createdBy = new Map<string, string>();
  const jobOwner = new Map<string, string>();
  const owner = new Map<string, string>();
  for (const e of ledger.events) {
    const r = e.kind === 'create' ? byId.get(e.id) : undefined;
    if (!r || e.type.endsWith('-snapshot')) continue;
    if (!createdBy.has(r.id)) createdBy.set(r.id, e.jobId);
    const mark = markOf(r);
    if (mark) jobOwner.set(e.jobId, mark);
  }
  for (const r of ledger.resources) {
    const mark = markOf(r) ?? jobOwner.get(createdBy.get(r.id) ?? '');
    if (mark) owner.set(r.id, mark);
  }
  const snapshotEvents = ledger.events.filter((e) => e.type.endsWith('-snapshot'));
  const snapshots = snapshotEvents
    .filter((e) => e.kind === 'create')
    .map((c) => ({
      type: c.type,
      parentId: c.id,
      name: c.name,
      jobId: c.jobId,
      owner: nameToken(c.name),
      // Live: no later delete of it, and its parent lives.
      live:
        !snapshotEvents.some((d) => d.kind === 'delete' && d.id === c.id && d.name === c.name && d.seq > c.seq) &&
        byId.get(c.id)?.deleted === undefined,
    }));
  return { ledger, owner, createdBy, snapshots };
}

/** Keys created more than once (a retried or adopted submit made a second object); snapshots per parent. */
export function duplicates(ledger: Ledger): { key: string; creates: number }[] {
  const byId = new Map(ledger.resources.map((r) => [r.id, r]));
  const counts = new Map<string, number>();
  for (const e of ledger.events) {
    if (e.kind !== 'create') continue;
    const r = byId.get(e.id);
    const key = e.type.endsWith('-snapshot') || !r ? `${e.type}|${e.id}|${e.name}` : resourceKey(r);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n > 1).map(([key, creates]) => ({ key, creates }));
}

const excusedBy = (run: RunRecord, id: string): boolean => MANUAL.test(run.failureText) && run.failureText.includes(id);

/**
 * A scenario contending for a nameless object (one block store per subtenant and zone, one account per subtenant)
 * with other scenarios: it either made the object and reports it, or was answered "already exists" and fails
 * NseRejected naming the object another scenario's request made. Adopting that object would be wrong: its request
 * differs (its tag or quota), so it is another caller's.
 */
function contentionOutcome(run: RunRecord, index: LedgerIndex): string | undefined {
  const s = run.scenario;
  if (run.outcome === 'success') return undefined;
  if (run.outcome !== FailureType.NseRejected) return `expected success or NseRejected, got ${run.outcome}`;
  const inTheWay = index.ledger.resources.filter(
    (r) => `${r.type}|${r.subtenant_id}|${r.zone ?? ''}` === s.contention && index.owner.get(r.id) !== s.token,
  );
  if (inTheWay.some((r) => run.message.includes(r.id))) return undefined;
  return `failed without naming the ${s.contention} object another request made: ${run.message}`;
}

/** Checks one run's outcome and its objects against the ledger. */
export function checkRun(run: RunRecord, index: LedgerIndex): Violation[] {
  const s = run.scenario;
  const out: Violation[] = [];
  const at = { workflowId: s.workflowId };
  const { ledger, owner } = index;
  if (s.contention !== undefined) {
    const wrong = contentionOutcome(run, index);
    if (wrong) out.push({ invariant: 'outcome', ...at, detail: `${s.story}: ${wrong}` });
  } else if (run.outcome !== s.expected) {
    out.push({
      invariant: 'outcome',
      ...at,
      detail: `${s.story}: expected ${s.expected}, got ${run.outcome}: ${run.message}`,
    });
  } else if (s.expectedSteps && run.steps) {
    const got = run.steps.map((step) => step.outcome);
    if (got.join() !== s.expectedSteps.join()) {
      out.push({
        invariant: 'outcome',
        ...at,
        detail: `${s.story}: steps ${got.join('/')} instead of ${s.expectedSteps.join('/')}`,
      });
    }
  }

  const mine = ledger.resources.filter((r) => owner.get(r.id) === s.token);
  const mySnapshots = index.snapshots.filter((snap) => snap.owner === s.token);
  const made = (type: string, name: string): boolean =>
    mine.some((r) => r.type === type && r.name === name) ||
    mySnapshots.some((snap) => snap.type === type && snap.name === name);
  const contendedAndRefused = s.contention !== undefined && run.outcome !== 'success';
  for (const intended of contendedAndRefused ? [] : s.creates) {
    if (!made(intended.type, intended.name))
      out.push({ invariant: 'missing', ...at, detail: `${intended.type} '${intended.name}' was never created` });
  }

  const reported = run.objectId ? ledger.resources.find((r) => r.id === run.objectId) : undefined;
  if (reported && owner.get(reported.id) !== s.token) {
    out.push({
      invariant: 'foreign',
      ...at,
      detail: `reported ${reported.type} '${reported.name}' (${reported.id}), which another request created`,
    });
  }
  const live = mine.filter((r) => r.deleted === undefined);
  const liveSnapshots = mySnapshots.filter((snap) => snap.live);
  if (s.keepsResources && run.outcome === 'success') {
    for (const intended of s.creates) {
      const alive =
        live.some((r) => r.type === intended.type && r.name === intended.name) ||
        liveSnapshots.some((snap) => snap.type === intended.type && snap.name === intended.name);
      if (!alive)
        out.push({ invariant: 'lost', ...at, detail: `${intended.type} '${intended.name}' was created but is gone` });
    }
    return out;
  }
  if (run.outcome === 'Cancelled') {
    for (const r of live)
      out.push({
        invariant: 'untruthful-cancel',
        ...at,
        detail: `ended cancelled, but ${r.type} '${r.name}' (${r.id}) lives`,
      });
  }
  for (const r of live) {
    if (!excusedBy(run, r.id))
      out.push({
        invariant: 'orphan',
        ...at,
        detail: `${r.type} '${r.name}' (${r.id}) is ${r.state}, not deleted and not reported`,
      });
  }
  for (const snap of liveSnapshots) {
    if (!excusedBy(run, snap.parentId))
      out.push({
        invariant: 'orphan',
        ...at,
        detail: `${snap.type} '${snap.name}' of ${snap.parentId} is not deleted and not reported`,
      });
  }
  return out;
}

/**
 * Objects at NSE that no run reported, whatever their names: a live object no scenario's request made (none owns
 * it), or one its owner's successful run did not mean to make. Objects that were there before the runs are left out.
 */
export function unreportedObjects(
  runs: readonly RunRecord[],
  index: LedgerIndex,
  existedBefore: ReadonlySet<string>,
): Violation[] {
  const byToken = new Map(runs.map((run) => [run.scenario.token, run]));
  const out: Violation[] = [];
  for (const r of index.ledger.resources) {
    if (r.deleted !== undefined || existedBefore.has(r.id)) continue;
    const token = index.owner.get(r.id);
    const run = token ? byToken.get(token) : undefined;
    const what = `${r.type} '${r.name}' (${r.id}, subtenant ${r.subtenant_id}) is ${r.state}`;
    if (!run) {
      if (!runs.some((other) => excusedBy(other, r.id)))
        out.push({ invariant: 'orphan', detail: `${what}: no run made or reported it` });
      continue;
    }
    const kept = run.scenario.keepsResources && run.outcome === 'success';
    const intended = run.scenario.creates.some((c) => c.type === r.type && c.name === r.name);
    if (kept && !intended)
      out.push({ invariant: 'orphan', workflowId: run.scenario.workflowId, detail: `${what}: not what it asked for` });
  }
  return out;
}

/** The live objects of failed or cancelled runs that those runs reported for manual clean-up. */
export function reportedForManualCleanUp(runs: readonly RunRecord[], index: LedgerIndex): number {
  let n = 0;
  for (const run of runs) {
    if (run.scenario.keepsResources && run.outcome === 'success') continue;
    n += index.ledger.resources.filter(
      (r) => index.owner.get(r.id) === run.scenario.token && r.deleted === undefined && excusedBy(run, r.id),
    ).length;
  }
  return n;
}
