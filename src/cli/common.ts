/**
 * What the `nse-flow` commands share: exit codes and the typed CLI error, argument and file readers, output, the
 * client and configuration loaders, following a run to its end.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { connect, RunFailedError, type NseFlowClient } from '../client';
import { ConfigError, loadConfig } from '../config';
import { parseBulk, type BulkInput } from '../shared/bulk';
import { redactSecrets, scrubText } from '../common/redact';
import { type Acceptance } from '../shared/workflow-api';
import { describeFailure, describeResult, describeStatus } from './format';
import { useStackConnection } from './stack-connection';

/** The exit codes of `nse-flow`. */
export const ExitCode = { Ok: 0, RunFailed: 1, Usage: 2, Unreachable: 3 } as const;

/** A failure with the exit code it maps to; the message is printed alone. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface CodecServerCliOptions {
  port: number;
  host: string;
  uiOrigin: string[];
  token?: string;
  insecureNoToken?: boolean;
}

/** Reads `--input`: inline JSON, or `@path` to a JSON file. */
export function parseJsonArgument(value: string): unknown {
  const text = value.startsWith('@') ? readFileOrFail(value.slice(1)) : value;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`not valid JSON: ${(err as Error).message}`);
  }
}

function readFileOrFail(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

export interface ProvisionOptions {
  each?: string;
  maxConcurrency?: number;
  toleratedFailurePercent?: number;
  wait?: boolean;
  id?: string;
  idempotencyKey?: string;
  dryRun?: boolean;
}

/** Reads and checks a bulk file whole (every item), with the command line's limits over the file's. */
export function parseBulkFile(options: ProvisionOptions): BulkInput {
  try {
    const raw = parseJsonArgument(`@${options.each}`) as Record<string, unknown>;
    const bulk = {
      ...raw,
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
      ...(options.toleratedFailurePercent !== undefined
        ? { toleratedFailurePercent: options.toleratedFailurePercent }
        : {}),
    };
    parseBulk(bulk);
    return bulk as unknown as BulkInput;
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.Usage);
  }
}

export interface GlobalOptions {
  json?: boolean;
}

/** Prints `data` (--json) or `text`, redacted: results and details may hold values an undo sends back to NSE. */
export function print(options: GlobalOptions, data: unknown, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(redactSecrets(data), null, 2)}\n` : `${scrubText(text)}\n`);
}

export async function withClient<T>(fn: (client: NseFlowClient) => Promise<T>): Promise<T> {
  useStackConnection();
  let client: NseFlowClient;
  try {
    client = await connect();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, ExitCode.Usage);
    throw new CliError((err as Error).message, ExitCode.Unreachable);
  }
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

/** Follows a run until it ends, printing progress (one updating line on a TTY, plain lines otherwise). */
export async function followRun(client: NseFlowClient, workflowId: string, options: GlobalOptions): Promise<void> {
  const tty = process.stderr.isTTY && !options.json;
  let last = '';
  const show = async (): Promise<void> => {
    const status = await client.getStatus(workflowId).catch(() => undefined);
    if (!status) return;
    const line = describeStatus(status);
    if (line === last) return;
    last = line;
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (!options.json) process.stderr.write(`${line}\n`);
  };
  // One read at a time, and none left running when the run ends: the client is closed right after, and a query
  // still retrying on a closed channel would crash the process.
  let showing: Promise<void> | undefined;
  const timer = setInterval(() => {
    showing ??= show().finally(() => (showing = undefined));
  }, 1_000);
  const stopShowing = async (): Promise<void> => {
    clearInterval(timer);
    await showing;
  };
  try {
    const result = await client.result(workflowId).finally(stopShowing);
    if (tty) process.stderr.write('\n');
    print(options, { workflowId, status: 'completed', result }, describeResult(result));
  } catch (err) {
    if (tty) process.stderr.write('\n');
    throw failedRun(options, err);
  } finally {
    await stopShowing();
  }
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

/** Starts a run (it returns once NSE accepted its first call), then prints what it answered, or follows it to the end. */
export async function startRun(
  options: GlobalOptions,
  wait: boolean,
  start: (
    client: NseFlowClient,
  ) => Promise<Pick<Acceptance, 'workflowId' | 'nseJobId' | 'step'> & { firstExecutionRunId: string }>,
): Promise<void> {
  await withClient(async (client) => {
    const { workflowId, firstExecutionRunId, nseJobId, step } = await start(client).catch((err: unknown) => {
      throw failedRun(options, err);
    });
    const accepted = `${step ? `, step ${step}` : ''}${nseJobId ? `, NSE job ${nseJobId}` : ''}`;
    if (!wait) {
      const answer = { workflowId, runId: firstExecutionRunId, nseJobId, ...(step ? { step } : {}) };
      return print(options, answer, `started ${workflowId}${accepted}`);
    }
    if (!options.json) process.stderr.write(`started ${workflowId}\n`);
    await followRun(client, workflowId, options);
  });
}

export function loadConfigOrFail(): ReturnType<typeof loadConfig> {
  useStackConnection();
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, ExitCode.Usage);
    throw err;
  }
}
