/**
 * The one table that turns NSE's job words into a {@link JobState}, for jobs and their tasks alike. NSE documents
 * two vocabularies (nse-api.md §6.4): `state` (NORMAL, WARNING, PARTIAL_FAILURES, ERROR, copied from AIQUM) and
 * `status` (pending, successful in every example; running, failed and the like implied by the UI). A word of either
 * may arrive in either field, in any case. Free text (`last_error`, `status_detail`) never decides the state: a
 * benign message on a successful job must not trigger an undo. Pure and workflow-safe.
 * @module
 */
import { JobState } from './nse-types';

/** Every known word (lower case, `_` for spaces and dashes) and the state it means. */
export const JOB_STATE_WORDS: Readonly<Record<string, JobState>> = {
  // Not started yet
  pending: JobState.Pending,
  queued: JobState.Pending,
  new: JobState.Pending,
  waiting: JobState.Pending,
  // Running
  running: JobState.Running,
  in_progress: JobState.Running,
  processing: JobState.Running,
  started: JobState.Running,
  // Running with a warning (not terminal)
  warning: JobState.Warning,
  // Ended well
  normal: JobState.Normal,
  successful: JobState.Normal,
  success: JobState.Normal,
  succeeded: JobState.Normal,
  completed: JobState.Normal,
  // Ended with some tasks failed
  partial_failures: JobState.PartialFailures,
  partial_failure: JobState.PartialFailures,
  partially_successful: JobState.PartialFailures,
  partial: JobState.PartialFailures,
  // Ended badly; a cancelled job or task did not do what was asked (its successful tasks are still undone)
  error: JobState.Error,
  failed: JobState.Error,
  failure: JobState.Error,
  cancelled: JobState.Error,
  canceled: JobState.Error,
  aborted: JobState.Error,
};

/** A word as the table spells it: trimmed, lower case, spaces and dashes as `_`. */
function wordKey(word: string): string {
  return word
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** The state a single word means, or undefined for a word the table does not know. */
function stateOfWord(word: string): JobState | undefined {
  return Object.prototype.hasOwnProperty.call(JOB_STATE_WORDS, wordKey(word))
    ? JOB_STATE_WORDS[wordKey(word)]
    : undefined;
}

/** The raw fields a job (or task) state is read from. */
interface RawJobStatus {
  state?: string | undefined;
  status?: string | undefined;
}

/** What {@link normaliseJobState} read: the state, and the words it did not know (empty when it knew them). */
interface NormalisedState {
  state: JobState;
  known: boolean;
  unknownWords: string[];
}

/**
 * Maps `state` / `status` onto one {@link JobState}: the first field holding a known word decides (`state` before
 * `status`). When neither holds one, the job counts as still running, so a new NSE vocabulary never ends a run early
 * and never triggers an undo; `unknownWords` names them (a job with neither field is simply running).
 */
export function normaliseJobState(raw: RawJobStatus): NormalisedState {
  const words = [raw.state, raw.status].filter((w): w is string => w !== undefined && w.trim() !== '');
  for (const word of words) {
    const state = stateOfWord(word);
    if (state) return { state, known: true, unknownWords: [] };
  }
  return { state: JobState.Running, known: words.length === 0, unknownWords: words };
}
