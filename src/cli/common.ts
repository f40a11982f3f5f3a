/**
 * What the `nse-flow` commands share: exit codes and the typed CLI error, argument and file readers, output, the
 * client and configuration loaders, following a run to its end.
 * @module
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { connect, type NseFlowClient } from '../client';
import { ConfigError, loadConfig } from '../config';
import { parseBulk, type BulkInput } from '../shared/bulk';
import { redactSecrets, scrubText } from '../common/redact';
import { useStackConnection } from './stack-connection';

/** The exit codes of `nse-flow`. */
export const ExitCode = { Ok: 0, RunFailed: 1, Usage: 2, Unreachable: 3, Cancelled: 4 } as const;

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

export function loadConfigOrFail(): ReturnType<typeof loadConfig> {
  useStackConnection();
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, ExitCode.Usage);
    throw err;
  }
}
