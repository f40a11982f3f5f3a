/**
 * The `nse-flow` command line. Exit codes: 0 success, 1 the run failed, 2 bad usage, input or configuration (a bad
 * query, an unknown value, a run that cannot be decided or redriven, credentials NSE refuses), 3 Temporal or NSE
 * cannot be reached (the address tried is named), 4 the run was cancelled (its undo complete).
 * @module
 */
import { isGrpcServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { Command, CommanderError, Help } from 'commander';
import { TemporalUnavailableError } from './client';
import { ENCODING_ENCRYPTED } from './codec';
import { ConfigError } from './config';
import { CliError, ExitCode } from './cli/common';
import { addPauseCommands } from './cli/pause-commands';
import { addRunCommands, addStartCommands } from './cli/run-commands';
import { addCatalogCommands, addProcessCommands } from './cli/service-commands';
import { addSweepCommand } from './cli/sweep-command';
import { shutdownTracing, startTracing, withSpan } from './tracing';

/** Builds the program; `main` runs it. */
function buildProgram(): Command {
  const program = new Command('nse-flow')
    .description('Durable Temporal workflows for NetApp Service Engine (NSE) v2.1 asynchronous jobs')
    .option('--json', 'machine-readable output')
    .configureHelp({ helpWidth: helpWidth(), boxWrap: wrapKeepingCode })
    .showHelpAfterError()
    .exitOverride();

  addStartCommands(program);
  addRunCommands(program);
  addPauseCommands(program);
  addSweepCommand(program);
  addCatalogCommands(program);
  addProcessCommands(program);
  return program;
}

/** The long-running commands, which are not one command's trace. */
const SERVICES = new Set(['worker', 'codec-server']);

/** The terminal's width; piped, `COLUMNS` or the 120 columns the project's text is written for. */
function helpWidth(): number {
  const columns = Number(process.env.COLUMNS);
  return process.stdout.columns ?? (Number.isInteger(columns) && columns > 0 ? columns : 120);
}

/** A stand-in for the spaces of a code span while help text is wrapped: not whitespace, one column wide. */
const CODE_SPACE = '\uE000';

/** Commander's wrapping, except that a `code span` is never split across lines. */
function wrapKeepingCode(this: Help, text: string, width: number): string {
  const kept = text.replace(/`[^`\n]*`/g, (span) => span.replace(/ /g, CODE_SPACE));
  return Help.prototype.boxWrap.call(this, kept, width).split(CODE_SPACE).join(' ');
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  // With traces on, a command is one trace under the span `nse-flow <command>`; the worker starts its own tracing.
  const command = argv.slice(2).find((arg) => !arg.startsWith('-')) ?? '';
  const traced = !SERVICES.has(command) && startTracing('nse-flow-cli');
  try {
    await withSpan(`nse-flow ${command}`.trimEnd(), () => buildProgram().parseAsync(argv));
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`nse-flow: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`nse-flow: configuration: ${err.message}\n`);
      return ExitCode.Usage;
    }
    if (err instanceof TemporalUnavailableError) {
      process.stderr.write(`nse-flow: ${err.message}\n`);
      return ExitCode.Unreachable;
    }
    return reportUnexpected(err);
  } finally {
    if (traced) await shutdownTracing(); // sends the command's spans before the process exits
  }
}

/**
 * Errors no command mapped: a run that does not exist is bad usage, a server that stopped answering is unreachable;
 * anything else is a bug or an outage nse-flow did not foresee, reported as it is (exit 1, as a failure).
 */
/** The gRPC status codes this maps (grpc.io status codes; @grpc/grpc-js is not a dependency of ours). */
const GrpcStatus = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, UNAVAILABLE: 14 } as const;

function reportUnexpected(err: unknown): number {
  const message = (err as Error).message ?? String(err);
  if (message.includes(ENCODING_ENCRYPTED)) {
    process.stderr.write(
      'nse-flow: the run is encrypted: set NSE_FLOW_CODEC_KEYS (or NSE_FLOW_CODEC_KEYS_FILE) to the keys of its worker\n',
    );
    return ExitCode.Usage;
  }
  if (err instanceof WorkflowNotFoundError) {
    process.stderr.write(`nse-flow: no such run: ${message}\n`);
    return ExitCode.Usage;
  }
  const grpc = isGrpcServiceError(err)
    ? err
    : isGrpcServiceError((err as Error).cause)
      ? (err as Error).cause
      : undefined;
  const code = (grpc as { code?: number } | undefined)?.code;
  if (code === GrpcStatus.UNAVAILABLE || code === GrpcStatus.DEADLINE_EXCEEDED) {
    process.stderr.write(`nse-flow: Temporal stopped answering: ${message}\n`);
    return ExitCode.Unreachable;
  }
  if (code === GrpcStatus.INVALID_ARGUMENT || code === GrpcStatus.NOT_FOUND) {
    process.stderr.write(`nse-flow: ${message}\n`);
    return ExitCode.Usage;
  }
  process.stderr.write(`nse-flow: ${message}\n`);
  return ExitCode.RunFailed;
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
