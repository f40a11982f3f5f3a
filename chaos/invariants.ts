/**
 * The invariants every chaos run is held to, checked against the simulator's ledger (what NSE actually did) and
 * what each run reported: the outcome its scenario implies, exactly one create per intended resource, and no
 * resource left behind by a failed or cancelled run unless the run reported it for manual clean-up.
 * @module
 */
import type { Ledger } from '../src/simulator/job-store';
import type { StepReport } from '../src/shared/workflow-api';
import type { Outcome, Scenario } from './scenarios';

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

function createKey(e: { type: string; name: string }): string {
  return `${e.type}:${e.name}`;
}

/** Counts create events per `type:name` (snapshots by their name, which is unique per scenario too). */
export function createCounts(ledger: Ledger): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of ledger.events) if (e.kind === 'create') counts.set(createKey(e), (counts.get(createKey(e)) ?? 0) + 1);
  return counts;
}

/** Keys created more than once: a duplicate means a retried or adopted submit created a second resource. */
export function duplicates(ledger: Ledger): { key: string; creates: number }[] {
  return [...createCounts(ledger)].filter(([, n]) => n > 1).map(([key, creates]) => ({ key, creates }));
}

/** Checks one run's outcome and its resources against the ledger. */
export function checkRun(run: RunRecord, ledger: Ledger, counts: Map<string, number>): Violation[] {
  const s = run.scenario;
  const out: Violation[] = [];
  const at = { workflowId: s.workflowId };
  if (run.outcome !== s.expected) {
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
  for (const intended of s.creates) {
    const n = counts.get(createKey(intended)) ?? 0;
    if (n === 0)
      out.push({ invariant: 'missing', ...at, detail: `${intended.type} '${intended.name}' was never created` });
  }

  const mine = (name: string): boolean => name.includes(`${s.token}-`);
  const live = ledger.resources.filter((r) => mine(r.name) && r.deleted === undefined);
  // Snapshots are not resources of their own: one is live when its create has no later delete and its parent lives.
  const snapshotEvents = ledger.events.filter((e) => e.type.endsWith('-snapshot') && mine(e.name));
  const liveSnapshots = snapshotEvents
    .filter((e) => e.kind === 'create')
    .filter((c) => !snapshotEvents.some((d) => d.kind === 'delete' && d.name === c.name && d.seq > c.seq))
    .filter((c) => ledger.resources.some((r) => r.id === c.id && r.deleted === undefined));
  const reported = run.objectId && ledger.resources.find((r) => r.id === run.objectId);
  if (reported && !mine(reported.name)) {
    out.push({
      invariant: 'foreign',
      ...at,
      detail: `reported ${reported.type} '${reported.name}' (${reported.id}), which another run created`,
    });
  }
  if (s.keepsResources && run.outcome === 'success') {
    for (const intended of s.creates) {
      const alive = intended.type.endsWith('-snapshot')
        ? liveSnapshots.some((e) => e.name === intended.name)
        : live.some((r) => r.type === intended.type && r.name === intended.name);
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
  const excused = (id: string): boolean => MANUAL.test(run.failureText) && run.failureText.includes(id);
  for (const r of live) {
    if (!excused(r.id))
      out.push({
        invariant: 'orphan',
        ...at,
        detail: `${r.type} '${r.name}' (${r.id}) is ${r.state}, not deleted and not reported`,
      });
  }
  for (const e of liveSnapshots) {
    if (!excused(e.id))
      out.push({
        invariant: 'orphan',
        ...at,
        detail: `${e.type} '${e.name}' of ${e.id} is not deleted and not reported`,
      });
  }
  return out;
}

/** The live resources of failed or cancelled runs that those runs reported for manual clean-up. */
export function reportedForManualCleanUp(runs: readonly RunRecord[], ledger: Ledger): number {
  let n = 0;
  for (const run of runs) {
    if (run.scenario.keepsResources && run.outcome === 'success') continue;
    n += ledger.resources.filter(
      (r) => r.name.includes(`${run.scenario.token}-`) && r.deleted === undefined && run.failureText.includes(r.id),
    ).length;
  }
  return n;
}
