/**
 * Starting and following runs from the command line: `started <id>` as soon as the run exists, then what it is
 * doing and waiting on (its phase, a pending NSE call's attempt and last failure, a pending cancel, a held decision)
 * until it ends, then its outcome. A cancelled run ends with its own line and exit code, its undo below it.
 * @module
 */
import { scrubText } from '../common/redact';
import { RunFailedError, type NseFlowClient, type RunWaits } from '../client';
import type { BulkStatus } from '../shared/bulk';
import type { Acceptance, OperationStatus, ProvisionStatus } from '../shared/workflow-api';
import { CliError, ExitCode, print, withClient, type GlobalOptions } from './common';
import { describeCancelled, describeFailure, describeProgress, describeResult } from './format';

/** How the CLI knows a start's run before it starts: its workflow id and, if any, the idempotency key. */
interface KnownRun {
  workflowId: string;
  idempotencyKey?: string | undefined;
}

type Started = Pick<Acceptance, 'workflowId' | 'nseJobId' | 'step'> & { firstExecutionRunId: string };

/**
 * Starts a run, then prints what NSE answered (`started …`, or `already started …` for a key used before), or, with
 * `wait`, follows it to its end. A start that waits for NSE's acceptance shows meanwhile what the run waits on.
 */
export async function startRun(
  options: GlobalOptions,
  wait: boolean,
  start: (client: NseFlowClient) => Promise<Started>,
  known?: KnownRun,
): Promise<void> {
  await withClient(async (client) => {
    const existed = known?.idempotencyKey !== undefined && (await runExists(client, known.workflowId));
    const startedLine = (id: string): string =>
      existed
        ? `already started ${id} (idempotency key ${known?.idempotencyKey}): nothing new started`
        : `started ${id}`;
    const watch =
      wait && known ? watchRun(client, known.workflowId, options, startedLine(known.workflowId)) : undefined;
    let started: Started;
    try {
      started = await start(client);
    } catch (err) {
      await watch?.stop();
      throw failedRun(options, err);
    }
    const { workflowId, firstExecutionRunId, nseJobId, step } = started;
    if (!wait) {
      const accepted = `${step ? `, step ${step}` : ''}${nseJobId ? `, NSE job ${nseJobId}` : ''}`;
      const answer = { workflowId, runId: firstExecutionRunId, nseJobId, ...(step ? { step } : {}), existed };
      return print(options, answer, `${startedLine(workflowId)}${accepted}`);
    }
    await followRun(
      client,
      workflowId,
      options,
      watch ?? watchRun(client, workflowId, options, startedLine(workflowId)),
    );
  });
}

/** Follows a run until it ends, printing what it does and waits on (on stderr), then its outcome. */
export async function followRun(
  client: NseFlowClient,
  workflowId: string,
  options: GlobalOptions,
  watch: RunWatch = watchRun(client, workflowId, options),
): Promise<void> {
  try {
    const result = await client.result(workflowId).finally(() => watch.stop());
    print(options, { workflowId, status: 'completed', result }, describeResult(result));
  } catch (err) {
    if (err instanceof RunFailedError && err.failureType === 'CancelledFailure') {
      throw await cancelledRun(client, workflowId, options);
    }
    throw failedRun(options, err);
  }
}

/** A watch on a run's progress; `stop` waits for a read in flight, so none outlives the client. */
interface RunWatch {
  stop(): Promise<void>;
}

/**
 * Prints the run's progress on stderr whenever it changes (not with --json): `firstLine` once the run exists, then
 * its status and what it waits on.
 */
function watchRun(client: NseFlowClient, workflowId: string, options: GlobalOptions, firstLine?: string): RunWatch {
  let last = '';
  let firstShown = firstLine === undefined;
  const write = (text: string): void => {
    // Progress quotes NSE's texts: scrubbed like everything the CLI prints.
    if (!options.json) process.stderr.write(`${scrubText(text)}\n`);
  };
  const show = async (): Promise<void> => {
    const text = await progressText(client, workflowId);
    if (text === undefined) return;
    if (!firstShown && firstLine !== undefined) write(firstLine);
    firstShown = true;
    if (text === last || text === '') return;
    last = text;
    write(text);
  };
  // One read at a time, and none left running when the run ends: the client is closed right after, and a query
  // still retrying on a closed channel would crash the process.
  let showing: Promise<void> | undefined;
  const tick = (): void => {
    showing ??= show().finally(() => (showing = undefined));
  };
  const timer = setInterval(tick, 1_000);
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await showing;
      // A run that ended before the first look still says it started.
      if (!firstShown && firstLine !== undefined) write(firstLine);
      firstShown = true;
    },
  };
}

/** What the run does and waits on, or undefined while it does not exist yet ('' once it has closed). */
async function progressText(client: NseFlowClient, workflowId: string): Promise<string | undefined> {
  const waits = await client.getWaits(workflowId).catch(() => undefined);
  if (!waits) return undefined;
  if (waits.status !== 'RUNNING') return '';
  const status = await client.getStatus(workflowId).catch(() => undefined);
  return describeProgress(status, await waitsOfStep(client, status, waits));
}

/** A plan waits in its current step's run: that run's pending calls say why. Others: their own. */
export async function waitsOfStep(
  client: NseFlowClient,
  status: OperationStatus | ProvisionStatus | BulkStatus | undefined,
  own: RunWaits,
): Promise<RunWaits> {
  const step = status && 'steps' in status ? status.steps.find((s) => s.outcome === 'running') : undefined;
  if (!step?.workflowId) return own;
  return (await client.getWaits(step.workflowId).catch(() => undefined)) ?? own;
}

async function runExists(client: NseFlowClient, workflowId: string): Promise<boolean> {
  return (await client.getWaits(workflowId).catch(() => undefined)) !== undefined;
}

/** Prints a cancelled run's line and its undo (from its status), and maps it to its exit code. */
async function cancelledRun(client: NseFlowClient, workflowId: string, options: GlobalOptions): Promise<CliError> {
  const status = await client.getStatus(workflowId).catch(() => undefined);
  print(
    options,
    { workflowId, status: 'cancelled', ...(status ? { details: status } : {}) },
    describeCancelled(workflowId, status),
  );
  return new CliError('', ExitCode.Cancelled);
}

/** Prints a run's failure and maps it to exit code 1; other errors pass through. */
function failedRun(options: GlobalOptions, err: unknown): unknown {
  if (!(err instanceof RunFailedError)) return err;
  print(
    options,
    {
      workflowId: err.workflowId,
      status: 'failed',
      failureType: err.failureType,
      message: err.message,
      details: err.details,
    },
    describeFailure(err.failureType, err.message, err.details),
  );
  return new CliError('', ExitCode.RunFailed);
}
