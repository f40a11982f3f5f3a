/**
 * The `nse-flow` command line. Exit codes: 0 success, 1 the run failed, 2 bad usage or input, 3 Temporal or NSE
 * cannot be reached.
 * @module
 */
import { Command, CommanderError } from 'commander';
import { TemporalUnavailableError } from './client';
import { ConfigError } from './config';
import { CliError, ExitCode } from './cli/common';
import { addPauseCommands } from './cli/pause-commands';
import { addRunCommands, addStartCommands } from './cli/run-commands';
import { addCatalogCommands, addProcessCommands } from './cli/service-commands';
import { shutdownTracing, startTracing, withSpan } from './tracing';

/** Builds the program; `main` runs it. */
function buildProgram(): Command {
  const program = new Command('nse-flow')
    .description('Durable Temporal workflows for NetApp Service Engine (NSE) v2.1 asynchronous jobs')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();

  addStartCommands(program);
  addRunCommands(program);
  addPauseCommands(program);
  addCatalogCommands(program);
  addProcessCommands(program);
  return program;
}

/** The long-running commands, which are not one command's trace. */
const SERVICES = new Set(['worker', 'simulator', 'codec-server']);

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
    process.stderr.write(`nse-flow: ${(err as Error).message ?? String(err)}\n`);
    return ExitCode.RunFailed;
  } finally {
    if (traced) await shutdownTracing(); // sends the command's spans before the process exits
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
