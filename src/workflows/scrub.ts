/**
 * Texts a run shows, scrubbed of the worker's secrets by value. Workflow code cannot know the worker's NSE password
 * or token (the sandbox sees only history), yet a caller's object name may contain one, and the run's summary shows
 * it in activity summaries, details, the `status` query and failure messages. So the worker scrubs the texts a run
 * builds from its input, in a local activity: history records only the scrubbed result, and replay reads it from
 * there. Values sent to NSE are never scrubbed (the run's fields stay as the caller gave them).
 * @module
 */
import { isCancellation, log, proxyLocalActivities } from '@temporalio/workflow';
import type { NseActivities } from '../activities';
import { describeOperation } from '../shared/operations';
import type { OperationRun } from './run';

const { scrubTexts } = proxyLocalActivities<NseActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '5 seconds', maximumAttempts: 5 },
  summary: 'scrub the run summary of the worker secrets',
});

/**
 * `texts` as the worker scrubbed them; when the worker cannot answer, `fallback` of each (texts without the
 * caller's values): never the unscrubbed text.
 */
export async function scrubbedByWorker(texts: string[], fallback: (index: number) => string): Promise<string[]> {
  try {
    const scrubbed = await scrubTexts(texts);
    return texts.map((_text, index) => scrubbed[index] ?? fallback(index));
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('the worker did not scrub the run summary; it shows the operation without its values', {
      error: (err as Error).message,
    });
    return texts.map((_text, index) => fallback(index));
  }
}

/**
 * Gives `run` its summary (`create disk 'db01' for subtenant …`) scrubbed by the worker. Until then (and if the worker
 * cannot scrub it) the run shows the operation without its values (`create disk`).
 */
export async function scrubRunSummary(run: OperationRun): Promise<void> {
  const [summary] = await scrubbedByWorker([describeOperation(run.spec, run.fields)], () => run.summary);
  run.summary = summary ?? run.summary;
  run.progress.changed();
}
