/**
 * The `nse-flow` commands about the catalogue (`operations`, `schema`) and the long-running processes (`worker`,
 * `codec-server`).
 * @module
 */
import type { Command } from 'commander';
import { loadCodecConfig, maskConfig } from '../config';
import { createLogger } from '../logging';
import { AesGcmCodec } from '../codec';
import { normaliseOrigin, runCodecServer } from '../codec/codec-server';
import type * as WorkerModule from '../worker';
import { fullContract, operationContract } from '../contract/json-schema';
import { OPERATION_NAMES, OPERATIONS } from '../shared/operations';
import { positiveInt } from './int-option';

/** A repeatable option's values, in the order given. */
const collect = (value: string, all: string[]): string[] => [...all, value];

import { CliError, ExitCode, print, loadConfigOrFail, type CodecServerCliOptions, type GlobalOptions } from './common';

/**
 * The worker's connection failure (the native bridge's TransportError, whose message is a Rust debug dump) as exit 3
 * naming the address tried and the reason in words; other errors pass through.
 */
function unreachableTemporal(err: unknown, address: string): unknown {
  if (!(err instanceof Error) || err.name !== 'TransportError') return err;
  const reason = /connection refused|timed out|dns error|no such host|certificate|tls/i.exec(err.message)?.[0];
  return new CliError(
    `cannot reach Temporal at ${address}: ${reason?.toLowerCase() ?? err.message}`,
    ExitCode.Unreachable,
  );
}

/** `operations` and `schema`. */
export function addCatalogCommands(program: Command): void {
  program
    .command('operations')
    .description('list the NSE operations nse-flow can run, with their undo')
    .addHelpText('after', '\nExample:\n  nse-flow operations --json')
    .action((_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const rows = OPERATION_NAMES.map((name) => {
        const spec = OPERATIONS.get(name)!;
        const undo =
          spec.undo.kind === 'none' ? `none: ${spec.undo.reason}` : `${spec.undo.operation} (${spec.undo.kind})`;
        return { name, method: spec.method, path: spec.path, undo };
      });
      const width = Math.max(...rows.map((r) => r.name.length));
      print(
        global,
        rows,
        rows.map((r) => `${r.name.padEnd(width)}  ${r.method.padEnd(6)} ${r.path}  undo: ${r.undo}`).join('\n'),
      );
    });

  program
    .command('schema')
    .description("print the JSON Schema of the contract (docs/contract.md), or of one operation's workflow input")
    .argument('[operation]', 'catalogue name, see `nse-flow operations`')
    .addHelpText('after', '\nExamples:\n  nse-flow schema\n  nse-flow schema create-disk > create-disk.schema.json')
    .action((operation: string | undefined) => {
      if (operation !== undefined && !OPERATIONS.has(operation))
        throw new CliError(`unknown operation '${operation}' (see nse-flow operations)`, ExitCode.Usage);
      const schema = operation === undefined ? fullContract() : operationContract(operation);
      process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    });
}

/** `worker`, `codec-server`. */
export function addProcessCommands(program: Command): void {
  program
    .command('worker')
    .description('run the nse-flow worker (reads TEMPORAL_*, NSE_* and NSE_FLOW_* variables)')
    .option('--print-config', 'print the effective configuration, secrets masked, and exit')
    .addHelpText(
      'after',
      '\nExample:\n  NSE_BASE_URL=http://localhost:8080/api NSE_USERNAME=admin NSE_PASSWORD=... nse-flow worker',
    )
    .action(async (options: { printConfig?: boolean }) => {
      const config = loadConfigOrFail();
      if (options.printConfig) {
        process.stdout.write(`${JSON.stringify(maskConfig(config), null, 2)}\n`);
        return;
      }
      // Loaded on demand: the worker's native bridge is not needed by the other commands.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runWorker } = require('../worker') as typeof WorkerModule;
      await runWorker(config, createLogger(config.logLevel)).catch((err: unknown) => {
        throw unreachableTemporal(err, config.temporal.address);
      });
    });

  program
    .command('codec-server')
    .description(
      'serve the payload codec (POST /encode, /decode) so the Web UI and CLI show encrypted payloads; reads NSE_FLOW_CODEC_KEYS',
    )
    .option('--port <port>', 'port to listen on', positiveInt, 8888)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--ui-origin <origin>',
      'Web UI origin allowed by CORS (repeatable; default http://localhost:8233)',
      collect,
      [] as string[],
    )
    .option('--token <token>', 'require Authorization: Bearer <token> (default: NSE_FLOW_CODEC_SERVER_TOKEN)')
    .option('--insecure-no-token', 'serve without a token (prints a warning: any local process can decrypt)')
    .addHelpText(
      'after',
      '\nExample:\n  NSE_FLOW_CODEC_KEYS=k1:<base64 key> nse-flow codec-server --port 8888 --ui-origin http://localhost:8233',
    )
    .action(async (options: CodecServerCliOptions) => {
      const token = options.token ?? (process.env.NSE_FLOW_CODEC_SERVER_TOKEN || undefined);
      if (!token && !options.insecureNoToken) {
        throw new CliError(
          'codec-server: a token is required (--token or NSE_FLOW_CODEC_SERVER_TOKEN); ' +
            '--insecure-no-token serves without one',
          ExitCode.Usage,
        );
      }
      const codec = loadCodecConfig(); // a bad key: ConfigError, exit 2 (see main)
      if (!codec)
        throw new CliError(
          'configuration: NSE_FLOW_CODEC_KEYS: not set (nor NSE_FLOW_CODEC_KEYS_FILE); the codec server needs the keys',
          ExitCode.Usage,
        );
      const uiOrigins = options.uiOrigin.length > 0 ? options.uiOrigin : ['http://localhost:8233'];
      for (const origin of uiOrigins) {
        try {
          normaliseOrigin(origin);
        } catch (err) {
          throw new CliError(`--ui-origin: ${(err as Error).message}`, ExitCode.Usage);
        }
      }
      await runCodecServer({
        codec: new AesGcmCodec(codec),
        keyIds: codec.keys.map((k) => k.id),
        activeKeyId: codec.activeKeyId,
        port: options.port,
        host: options.host,
        uiOrigins,
        token,
        allowNoToken: options.insecureNoToken === true,
        logger: createLogger(process.env.LOG_LEVEL ?? 'info'),
      });
    });
}
