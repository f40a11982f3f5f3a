/**
 * The chaos suite's drawing (no servers): an adversarial plan draws every job shape, the read faults from in front
 * of NSE, inline host groups and cancelled jobs; a plain plan draws none of them.
 */
import { chaosPlan } from '../../chaos/chaos';
import { SimFault, Story } from '../../chaos/scenarios';
import { SIM_FIXTURES } from '../../simulator/fixtures';
import { parseRules } from '../../simulator/rules';

describe('chaos drawing', () => {
  it('draws every job shape choice, the new read faults and stories when adversarial', () => {
    const scenarios = chaosPlan(300, 42, undefined, true);
    const rules = parseRules(scenarios.flatMap((s) => s.rules));
    const seen = new Map<string, Set<string>>();
    for (const rule of rules) {
      for (const [key, value] of Object.entries(rule.jobShape ?? {})) {
        seen.set(key, (seen.get(key) ?? new Set()).add(String(value)));
      }
    }
    expect(Object.fromEntries([...seen].map(([k, v]) => [k, [...v].sort()]))).toEqual({
      fields: ['both', 'state', 'status'],
      statusWords: ['state', 'status'],
      typeField: ['both', 'documented', 'object_type', 'type'],
      requestPayload: ['object', 'string'],
      texts: ['plain', 'quoting'],
    });
    const faults = new Set(scenarios.flatMap((s) => s.faults));
    for (const fault of [SimFault.Http302Read, SimFault.Http403HtmlRead, SimFault.Http400Read]) {
      expect(faults).toContain(fault);
    }
    const inline = scenarios.filter((s) => s.story === Story.OpInline);
    expect(inline.length).toBeGreaterThan(0);
    for (const s of inline) {
      const hostgroups = s.operation?.input.hostgroups as Array<{ name: string }>;
      expect([`${s.token}-ihg`, `${s.token}-disk`]).toContain(hostgroups[0]?.name);
      expect(s.creates.map((c) => c.type)).toEqual(['disk', 'hostgroup']);
    }
    expect(new Set(inline.map((s) => s.expected)).size).toBe(2);
    // Names that collide across types: an inline host group, or a plan's host group, named like its disk.
    const collisions = scenarios.filter((s) => {
      const names = s.creates.filter((c) => c.type === 'hostgroup' || c.type === 'disk').map((c) => c.name);
      return new Set(names).size < names.length;
    });
    expect(collisions.some((s) => s.kind === 'plan')).toBe(true);
    expect(collisions.some((s) => s.story === Story.OpInline)).toBe(true);
    const cancelled = scenarios.filter((s) => s.story === Story.OpJobCancelled);
    expect(cancelled.length).toBeGreaterThan(0);
    for (const s of cancelled) expect(s.rules.some((r) => r.outcome === 'CANCELLED')).toBe(true);
  });

  it('draws nameless creates that contend for one key, and twins of one name started together', () => {
    const scenarios = chaosPlan(300, 42, undefined, true);
    const keys = new Map<string, number>();
    for (const s of scenarios.filter((x) => x.story === Story.OpNameless))
      keys.set(s.contention ?? '', (keys.get(s.contention ?? '') ?? 0) + 1);
    expect([...keys.values()].some((n) => n > 1)).toBe(true);
    expect(scenarios.some((s) => s.story === Story.OpNameless && s.operation?.tenantId === undefined)).toBe(true);
    const twins = scenarios.filter((s) => s.story === Story.OpTwin);
    expect(twins.length).toBeGreaterThan(1);
    for (let i = 0; i + 1 < twins.length; i += 2) {
      const [a, b] = [twins[i]!, twins[i + 1]!];
      expect(b.index).toBe(a.index + 1);
      expect(b.operation?.input.name).toBe(a.operation?.input.name);
      const sameType = a.operation?.operation === b.operation?.operation;
      expect(b.operation?.input.subtenant_id).toBe(
        sameType ? SIM_FIXTURES.foreignSubtenantId : SIM_FIXTURES.subtenantId,
      );
    }
  });

  it('draws none of them in a plain run', () => {
    const scenarios = chaosPlan(300, 42);
    expect(scenarios.some((s) => s.rules.some((r) => r.jobShape !== undefined))).toBe(false);
    expect(scenarios.some((s) => s.story === Story.OpInline || s.story === Story.OpJobCancelled)).toBe(false);
    const adversarialFaults: string[] = [SimFault.Http302Read, SimFault.Http403HtmlRead, SimFault.Http400Read];
    expect(scenarios.some((s) => s.faults.some((f) => adversarialFaults.includes(f)))).toBe(false);
  });
});
