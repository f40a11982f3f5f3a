/**
 * Changes of history shape, by patch id. A run started before a change replays the earlier path: `patched(id)` is
 * false there. Remove an entry (and its old path) only once no run started before it can still be open.
 * @module
 */
export const Patches = {
  /** Search attributes are upserted once per workflow task (before waiting), not after every change. */
  OneUpsertPerTask: 'one-search-attribute-upsert-per-task',
} as const;
