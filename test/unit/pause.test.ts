/** The paused scopes the control workflow keeps, and the check NSE activities make against them. */
import { changeScopes, isPaused, NOTHING_PAUSED } from '../../src/shared/pause';
import { nseFairnessKey } from '../../src/shared/workflow-api';

describe('paused scopes', () => {
  it('pauses and resumes one tenant by its fairness key, leaving the others', () => {
    const two = changeScopes(changeScopes(NOTHING_PAUSED, { tenantId: 'a' }, true), { tenantId: 'b' }, true);
    expect(two).toEqual({ all: false, tenants: ['a', 'b'] });
    expect(changeScopes(two, { tenantId: 'a' }, true)).toEqual({ all: false, tenants: ['b', 'a'] }); // no duplicate
    const one = changeScopes(two, { tenantId: 'a' }, false);
    expect(isPaused(one, 'a')).toBe(false);
    expect(isPaused(one, 'b')).toBe(true);
    expect(isPaused(one, undefined)).toBe(false);
  });

  it('keys a long tenant id as its fairness key', () => {
    const tenantId = 'x'.repeat(100);
    expect(isPaused(changeScopes(NOTHING_PAUSED, { tenantId }, true), nseFairnessKey(tenantId))).toBe(true);
  });

  it('pauses every call when all are paused, and resuming all clears every tenant', () => {
    const all = changeScopes(changeScopes(NOTHING_PAUSED, { tenantId: 'a' }, true), {}, true);
    expect(isPaused(all, 'z')).toBe(true);
    expect(isPaused(all, undefined)).toBe(true);
    expect(changeScopes(all, { tenantId: 'a' }, false)).toEqual({ all: true, tenants: [] });
    expect(changeScopes(all, {}, false)).toEqual(NOTHING_PAUSED);
  });
});
