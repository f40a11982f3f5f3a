/** The paused scopes the control workflow keeps, and the check NSE activities make against them. */
import { PauseViews } from '../../src/activities/pause-check';
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

describe('a worker view of the paused scopes', () => {
  function reader(): { read: (queue: string) => Promise<typeof NOTHING_PAUSED>; reads: string[] } {
    const reads: string[] = [];
    return {
      reads,
      read: async (queue) => {
        reads.push(queue);
        return NOTHING_PAUSED;
      },
    };
  }

  it('reads the scopes once per maximum age, however many calls check them', async () => {
    let now = 0;
    const views = new PauseViews(2_000, () => now);
    const { read, reads } = reader();
    await Promise.all(Array.from({ length: 50 }, () => views.scopes('q', read)));
    now = 1_999;
    await views.scopes('q', read);
    expect(reads).toEqual(['q']);
    now = 2_000; // as old as allowed: read again
    await views.scopes('q', read);
    expect(reads).toEqual(['q', 'q']);
  });

  it('keeps one view per task queue and reads afresh when asked', async () => {
    const views = new PauseViews(2_000, () => 0);
    const { read, reads } = reader();
    await views.scopes('a', read);
    await views.scopes('b', read);
    await views.scopes('a', read, true);
    expect(reads).toEqual(['a', 'b', 'a']);
  });

  it('does not keep a failed read: the next check reads again', async () => {
    const views = new PauseViews(2_000, () => 0);
    let fail = true;
    const read = async (): Promise<typeof NOTHING_PAUSED> => {
      if (fail) throw new Error('Temporal unreachable');
      return NOTHING_PAUSED;
    };
    await expect(views.scopes('q', read)).rejects.toThrow('Temporal unreachable');
    fail = false;
    await expect(views.scopes('q', read)).resolves.toEqual(NOTHING_PAUSED);
  });
});
