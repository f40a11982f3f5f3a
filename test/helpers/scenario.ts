/**
 * Runs one workflow against the real dev server and a fresh simulator, and keeps its history for replay checks
 * (and, with RECORD_HISTORIES=1, writes it under test/replay/histories as the compatibility contract).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { testAddress } from './dev-servers';

/** Condition polling for tests: resolves when `check` returns a value, fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // re-check interval of a condition, not a fixed wait
  }
}

export const HISTORY_DIR = path.join(__dirname, '..', 'replay', 'histories');

/** Replays the run's own history with the current code, and records it when RECORD_HISTORIES=1. */
export async function replayAndMaybeRecord(
  handle: WorkflowHandle,
  name: string,
): Promise<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>> {
  const history = await handle.fetchHistory();
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: process.env.TEMPORAL_TEST_BUNDLE as string } },
    history,
    handle.workflowId,
  );
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORY_DIR, { recursive: true });
    // The CLI writes the same JSON as the Web UI's export (the SDK's historyToJSON trips over duplicated protobufjs copies).
    const json = execFileSync(
      process.env.TEMPORAL_TEST_CLI as string,
      ['workflow', 'show', '--workflow-id', handle.workflowId, '--address', testAddress(), '--output', 'json'],
      { encoding: 'utf8' },
    );
    // Child workflow ids derive from the parent's id, so replay needs the id the history was recorded under.
    const recorded = { workflowId: handle.workflowId, ...(JSON.parse(json) as object) };
    writeFileSync(path.join(HISTORY_DIR, `${name}.json`), `${JSON.stringify(recorded, null, 2)}\n`);
  }
  return history;
}
