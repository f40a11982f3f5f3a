/**
 * How a run shows its progress: search attributes (history events, so batched) and current details (not history
 * events, so they follow every change). Every workflow publishes through {@link progressPublisher}; a run nested
 * inside another (an undo) publishes through {@link NO_PROGRESS}, so it never overwrites its owner's view.
 * @module
 */
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { BulkSearchAttributes, SearchAttributes } from '../shared/workflow-api';

const KEYS = { ...SearchAttributes, ...BulkSearchAttributes };
type SearchAttributeName = keyof typeof KEYS;
type Value = string | number;

/** What a run looks like now: the search attribute values it wants (undefined: not set yet) and markdown details. */
export interface ProgressView {
  /** Keyword attributes take strings, the bulk's Int attributes numbers. */
  searchAttributes: Partial<Record<SearchAttributeName, Value | undefined>>;
  details: string;
}

/** Publishes a run's {@link ProgressView}. */
export interface Progress {
  /** After a change of state: refreshes the details (the attributes wait for {@link publish}). */
  changed(): void;
  /**
   * Upserts the search attributes that changed since the last call, in one history event, and refreshes the details.
   * Called when the run is about to wait beyond the current workflow task and when it ends, so a workflow task
   * records at most one upsert however many changes it makes.
   */
  publish(): void;
}

/** For runs that must not publish (undo runs nested inside another run). */
export const NO_PROGRESS: Progress = { changed: () => undefined, publish: () => undefined };

/** The publisher of a top-level run; `view` is read on every call. */
export function progressPublisher(view: () => ProgressView): Progress {
  // Search attributes survive continue-as-new and may be set at start: begin from what the run already carries.
  const published = new Map<string, Value>();
  for (const key of Object.values(KEYS)) {
    const value = workflowInfo().typedSearchAttributes.get(key);
    if (typeof value === 'string' || typeof value === 'number') published.set(key.name, value);
  }
  const publish = (): void => {
    const { searchAttributes, details } = view();
    const changes = Object.entries(searchAttributes).filter(
      (entry): entry is [SearchAttributeName, Value] => entry[1] !== undefined && published.get(entry[0]) !== entry[1],
    );
    if (changes.length > 0) {
      upsertSearchAttributes(changes.map(([name, value]) => ({ key: KEYS[name], value }) as SearchAttributeUpdatePair));
      for (const [name, value] of changes) published.set(name, value);
    }
    setCurrentDetails(details);
  };
  return {
    publish,
    changed: () => setCurrentDetails(view().details),
  };
}

/** A two-column markdown table of the rows that have a value, under a bold title. */
export function detailsTable(title: string, rows: [string, string | number | undefined][]): string {
  const table = rows.filter(([, value]) => value !== undefined).map(([label, value]) => `| ${label} | ${value} |`);
  // The trailing blank line keeps the last row readable: the Web UI sizes this frame a little short.
  return [`**${title}**`, '', '| | |', '|---|---|', ...table, '', '&nbsp;'].join('\n');
}
