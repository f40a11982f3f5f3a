/**
 * The patch ledger: every `patched(id)` / `deprecatePatch(id)` in src/ names an entry here, and every entry is used
 * (test/unit/patch-ledger.test.ts holds the code to it). Empty on purpose: a change to workflow commands ships as a
 * new worker build (Worker Deployment Versioning), and a run finishes on the build that started it. A patch is only
 * for a run on an auto-upgrading workflow that must change mid-run; it names its id as a string literal.
 * @module
 */

/** One patch: why it exists and when its old path can go. */
interface PatchEntry {
  /** The id passed to `patched()` / `deprecatePatch()`. */
  id: string;
  /** When it was added (YYYY-MM-DD). */
  date: string;
  why: string;
  /** When no run that can take the old path is open any more (then `deprecatePatch`, then removal). */
  removeWhen: string;
}

export const PATCH_LEDGER: readonly PatchEntry[] = [];
