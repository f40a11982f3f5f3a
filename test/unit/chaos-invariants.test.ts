/**
 * The chaos invariants on hand-made ledgers (no servers): objects are told apart by type, tenant, subtenant, zone
 * and name and owned by what their request carried, so nameless objects and names that collide across tenants and
 * types are judged right; a nameless create that lost the race must fail naming the winner's object.
 */
import { checkRun, duplicates, indexLedger, unreportedObjects, type RunRecord } from '../../chaos/invariants';
import { Story, tokenOf, type Scenario } from '../../chaos/scenarios';
import { SIM_FIXTURES as F } from '../../simulator/fixtures';
import type { Ledger, LedgerResource } from '../../simulator/job-store';
import { FailureType } from '../../src/shared/failures';
import { PollMode } from '../../src/shared/workflow-api';

const BLOCKSTORE_NAME = `${F.otherSubtenantId}_${F.zone}`;
const CONTENTION = `blockstore|${F.otherSubtenantId}|${F.zone}`;

function resource(
  id: string,
  type: LedgerResource['type'],
  name: string,
  fields: Record<string, unknown>,
  extra: Partial<LedgerResource> = {},
): LedgerResource {
  return {
    id,
    type,
    name,
    tenant_id: F.tenantId,
    subtenant_id: F.subtenantId,
    zone: F.zone,
    fields,
    state: 'Operational',
    created: '',
    ...extra,
  };
}

function scenario(index: number, story: Story, creates: Scenario['creates'], extra: Partial<Scenario> = {}): Scenario {
  return {
    index,
    token: tokenOf(index),
    workflowId: `wf-${tokenOf(index)}`,
    story,
    kind: 'operation',
    pollMode: PollMode.Local,
    expected: 'success',
    creates,
    keepsResources: true,
    faults: [],
    rules: [],
    ...extra,
  };
}

const run = (s: Scenario, outcome: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  scenario: s,
  outcome,
  message: '',
  failureText: '',
  startedAt: 0,
  endedAt: 0,
  ...extra,
});

// Two block-store scenarios contend for one subtenant+zone; two twins share a name across tenants and types.
const ledger: Ledger = {
  resources: [
    resource(
      'bs1',
      'blockstore',
      BLOCKSTORE_NAME,
      { tags: { chaos: tokenOf(1) } },
      { subtenant_id: F.otherSubtenantId },
    ),
    resource('hg5', 'hostgroup', 'twin5', { tags: { chaos: tokenOf(5) } }),
    resource(
      'hg6',
      'hostgroup',
      'twin5',
      { tags: { chaos: tokenOf(6) } },
      { tenant_id: F.otherTenantId, subtenant_id: F.foreignSubtenantId },
    ),
    resource('dk7', 'disk', 'twin5', { tags: { chaos: tokenOf(7) } }),
    resource('stray', 'hostgroup', 'no-token-here', {}),
  ],
  events: [
    { seq: 1, kind: 'create', type: 'blockstore', id: 'bs1', name: BLOCKSTORE_NAME, jobId: 'j1' },
    { seq: 2, kind: 'create', type: 'hostgroup', id: 'hg5', name: 'twin5', jobId: 'j5' },
    { seq: 3, kind: 'create', type: 'hostgroup', id: 'hg6', name: 'twin5', jobId: 'j6' },
    { seq: 4, kind: 'create', type: 'disk', id: 'dk7', name: 'twin5', jobId: 'j7' },
    { seq: 5, kind: 'create', type: 'hostgroup', id: 'stray', name: 'no-token-here', jobId: 'j9' },
  ],
  requests: [],
};
const index = indexLedger(ledger);
const nameless = (i: number): Scenario =>
  scenario(i, Story.OpNameless, [{ type: 'blockstore', name: BLOCKSTORE_NAME }], { contention: CONTENTION });

describe('chaos invariants', () => {
  it('counts no duplicate for one name in two tenants or two types', () => {
    expect(duplicates(ledger)).toEqual([]);
    const twice = { ...ledger, events: [...ledger.events, { ...ledger.events[1]!, seq: 6, jobId: 'j5b' }] };
    expect(duplicates(twice)).toEqual([
      { key: `hostgroup|${F.tenantId}|${F.subtenantId}|${F.zone}|twin5`, creates: 2 },
    ]);
  });

  it('takes the winner of a nameless race, and a loser only when it fails naming the winner', () => {
    expect(checkRun(run(nameless(1), 'success', { objectId: 'bs1' }), index)).toEqual([]);
    const named = `412 Precondition failed: blockstore bs1 already exists and was not adopted`;
    expect(checkRun(run(nameless(2), FailureType.NseRejected, { message: named }), index)).toEqual([]);
    const unnamed = checkRun(run(nameless(3), FailureType.NseRejected, { message: '412 Precondition failed' }), index);
    expect(unnamed.map((v) => v.invariant)).toEqual(['outcome']);
    // A loser that "succeeds" with the winner's block store adopted another request's object.
    const adopted = checkRun(run(nameless(4), 'success', { objectId: 'bs1' }), index);
    expect(adopted.map((v) => v.invariant)).toEqual(['missing', 'foreign', 'lost']);
  });

  it("flags a twin that reports its same-named twin's object of another tenant or type", () => {
    const twin = (i: number, type: string): Scenario => scenario(i, Story.OpTwin, [{ type, name: 'twin5' }]);
    expect(checkRun(run(twin(6, 'hostgroup'), 'success', { objectId: 'hg6' }), index)).toEqual([]);
    expect(checkRun(run(twin(7, 'disk'), 'success', { objectId: 'dk7' }), index)).toEqual([]);
    expect(checkRun(run(twin(6, 'hostgroup'), 'success', { objectId: 'hg5' }), index)[0]?.invariant).toBe('foreign');
  });

  it('calls a live object no run made or reported an orphan, whatever its name', () => {
    const runs = [1, 5, 6, 7].map((i) => run(scenario(i, Story.OpTwin, [{ type: 'x', name: 'y' }]), 'success'));
    const orphans = unreportedObjects(runs, index, new Set());
    expect(orphans.filter((v) => v.detail.includes('no run made or reported it')).map((v) => v.detail)).toEqual([
      expect.stringContaining("hostgroup 'no-token-here' (stray"),
    ]);
    expect(unreportedObjects(runs, index, new Set(['stray', 'bs1', 'hg5', 'hg6', 'dk7']))).toEqual([]);
  });
});
