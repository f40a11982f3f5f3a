/**
 * The `nse-flow` command line. Exit codes: 0 success, 1 the run failed, 2 bad usage or input, 3 Temporal or NSE
 * cannot be reached.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { connect, NotRedrivableError, RunFailedError, TemporalUnavailableError, type NseFlowClient } from './client';
import { ConfigError, loadCodecConfig, loadConfig, maskConfig } from './config';
import { createLogger } from './logging';
import { NseClient } from './nse/client';
import { NseError, NseHttpError } from './nse/errors';
import type { Job } from './shared/nse-types';
import type * as SimulatorModule from './simulator/main';
import { AesGcmCodec } from './codec';
import { normaliseOrigin, runCodecServer } from './codec/codec-server';
import type * as WorkerModule from './worker';
import { fullContract, operationContract } from './contract/json-schema';
import { OPERATION_NAMES, OPERATIONS } from './shared/operations';
import { parseOperationFields } from './shared/validation';
import { rootMessage } from './shared/failures';
import { parsePlan } from './shared/plans';
import { MAX_CONCURRENCY, parseBulk, type BulkInput } from './shared/bulk';
import { PollMode, type Acceptance, type Decision, type OnFailure, type OperationInput } from './shared/workflow-api';
import { describeFailure, describeResult, describeStatus } from './cli/format';
import { useStackConnection } from './cli/stack-connection';
import { intOption, positiveInt } from './cli/int-option';

export const ExitCode = { Ok: 0, RunFailed: 1, Usage: 2, Unreachable: 3 } as const;

/** A failure with the exit code it maps to; the message is printed alone. */
class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface CodecServerCliOptions {
  port: number;
  host: string;
  uiOrigin: string[];
  token?: string;
  insecureNoToken?: boolean;
}

/** Reads `--input`: inline JSON, or `@path` to a JSON file. */
function parseJsonArgument(value: string): unknown {
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

interface ProvisionOptions {
  each?: string;
  maxConcurrency?: number;
  toleratedFailurePercent?: number;
  wait?: boolean;
  id?: string;
  idempotencyKey?: string;
}

/** Reads and checks a bulk file whole (every item), with the command line's limits over the file's. */
function parseBulkFile(options: ProvisionOptions): BulkInput {
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

interface GlobalOptions {
  json?: boolean;
}

function print(options: GlobalOptions, data: unknown, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);
}

async function withClient<T>(fn: (client: NseFlowClient) => Promise<T>): Promise<T> {
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
async function followRun(client: NseFlowClient, workflowId: string, options: GlobalOptions): Promise<void> {
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
async function startRun(
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

/** Builds the program; `main` runs it. Exported for tests of the parser. */
export function buildProgram(): Command {
  const program = new Command('nse-flow')
    .description('Durable Temporal workflows for NetApp Service Engine (NSE) v2.1 asynchronous jobs')
    .option('--json', 'machine-readable output')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('start one NSE operation as a durable workflow run')
    .argument('<operation>', 'catalogue name, see `nse-flow operations`')
    .requiredOption('--input <json|@file>', 'the operation fields as JSON, or @path to a JSON file', parseJsonArgument)
    .option('--tenant <id>', 'tenant that owns the job (used to find a job a lost submit created)')
    .option('--wait', 'follow the run until it ends')
    .option('--id <workflowId>', 'workflow id to use')
    .option('--idempotency-key <key>', 'same key, same run: a second start returns the first run')
    .addOption(new Option('--poll-mode <mode>', 'how the job is read').choices(Object.values(PollMode)))
    .option('--poll-interval <ms>', 'first wait between reads', positiveInt)
    .addOption(
      new Option('--on-failure <what>', 'a failed job is undone at once, or held for `nse-flow decide`').choices([
        'compensate',
        'hold',
      ]),
    )
    .option('--hold-timeout <ms>', 'with --on-failure hold: wait this long, then compensate', positiveInt)
    .addHelpText(
      'after',
      `\nExample:\n  nse-flow run create-bucket --input '{"name":"logs-2026","subtenant_id":"<id>"}' --wait`,
    )
    .action(async (operation: string, options: Record<string, unknown>, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      try {
        parseOperationFields(operation, options.input); // the workflow checks again; this gives exit code 2 early
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.Usage);
      }
      const input: OperationInput = { operation, input: options.input as Record<string, unknown> };
      if (typeof options.tenant === 'string') input.tenantId = options.tenant;
      if (options.pollMode || options.pollInterval) {
        input.poll = {};
        if (options.pollMode) input.poll.mode = options.pollMode as PollMode;
        if (options.pollInterval) input.poll.initialIntervalMs = options.pollInterval as number;
      }
      if (options.onFailure) input.onFailure = options.onFailure as OnFailure;
      if (options.holdTimeout) input.holdTimeoutMs = options.holdTimeout as number;
      const startOptions = {
        workflowId: options.id as string | undefined,
        idempotencyKey: options.idempotencyKey as string | undefined,
      };
      await startRun(global, Boolean(options.wait), (client) => client.startOperation(input, startOptions));
    });

  program
    .command('provision')
    .description(
      'start a multi-step provisioning plan (steps run in order, undone newest first on failure), or with --each a ' +
        'bulk: one operation run per item',
    )
    .argument('[plan.json]', 'plan file, see examples/')
    .option('--each <items.json>', 'bulk file: defaults and items (docs/contract.md, Bulks), instead of a plan')
    .option('--max-concurrency <n>', 'bulk: items in flight at once', intOption(1, MAX_CONCURRENCY))
    .option('--tolerated-failure-percent <p>', 'bulk: fail once more than p% of items failed', intOption(0, 100))
    .option('--wait', 'follow the run until it ends')
    .option('--id <workflowId>', 'workflow id to use')
    .option('--idempotency-key <key>', 'same key, same run: a second start returns the first run')
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow provision examples/block-storage.json --idempotency-key order-1234 --wait' +
        '\n  nse-flow provision --each examples/bulk/hostgroups.json --max-concurrency 50 --wait',
    )
    .action(async (file: string | undefined, options: ProvisionOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const startOptions = { workflowId: options.id, idempotencyKey: options.idempotencyKey };
      if (options.each) {
        const bulk = parseBulkFile(options);
        return await startRun(global, Boolean(options.wait), (client) => client.startBulk(bulk, startOptions));
      }
      if (!file) throw new CliError('provision: give a plan file, or --each <items.json>', ExitCode.Usage);
      let plan;
      try {
        plan = parsePlan(parseJsonArgument(`@${file}`));
      } catch (err) {
        throw new CliError((err as Error).message, ExitCode.Usage);
      }
      await startRun(global, Boolean(options.wait), (client) => client.startProvisioning(plan, startOptions));
    });

  program
    .command('redrive')
    .description('rerun a failed bulk or plan: a new run reuses what the failed one left done, reruns the rest')
    .argument('<workflowId>')
    .option('--wait', 'follow the new run until it ends')
    .addHelpText('after', '\nExample:\n  nse-flow redrive nse-flow-bulk-hostgroups-1234 --wait')
    .action(async (workflowId: string, options: { wait?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await startRun(global, Boolean(options.wait), async (client) => {
        try {
          return await client.redrive(workflowId);
        } catch (err) {
          if (err instanceof NotRedrivableError) throw new CliError(err.message, ExitCode.Usage);
          throw err;
        }
      });
    });

  program
    .command('list')
    .description('list runs through their search attributes (newest first)')
    .option('--state <jobState>', 'only runs whose NSE job is in this state (NORMAL, ERROR, ...)')
    .option('--phase <phase>', 'only runs in this phase (polling, compensating, failed, ...)')
    .option('--job <jobId>', 'only the run of this NSE job')
    .option('--query <visibility query>', 'any Temporal visibility query')
    .option('--limit <n>', 'at most this many runs', positiveInt, 50)
    .addHelpText(
      'after',
      `\nExample:\n  nse-flow list --state ERROR\n  nse-flow list --query "NseTenantId = 'abc' AND ExecutionStatus = 'Running'"`,
    )
    .action(
      async (
        options: { state?: string; phase?: string; job?: string; query?: string; limit: number },
        command: Command,
      ) => {
        const global = command.optsWithGlobals<GlobalOptions>();
        const quote = (v: string): string => `'${v.replace(/'/g, "''")}'`;
        const clauses = [
          "WorkflowType IN ('nseOperationWorkflow', 'provisionWorkflow', 'bulkWorkflow')",
          ...(options.state ? [`NseJobState = ${quote(options.state)}`] : []),
          ...(options.phase ? [`NsePhase = ${quote(options.phase)}`] : []),
          ...(options.job ? [`NseJobId = ${quote(options.job)}`] : []),
          ...(options.query ? [`(${options.query})`] : []),
        ];
        await withClient(async (client) => {
          const runs = await client.list(clauses.join(' AND '), options.limit);
          const lines = runs.map((r) =>
            `${r.workflowId}  ${r.status}  ${r.phase ?? '-'}  ${r.objectType ?? '-'}  job ${r.jobId ?? '-'} ${r.jobState ?? ''}`.trimEnd(),
          );
          print(global, runs, lines.length > 0 ? lines.join('\n') : 'no runs');
        });
      },
    );

  program
    .command('jobs')
    .description('list NSE jobs straight from NSE (reads NSE_BASE_URL and credentials like the worker)')
    .option('--tenant <id>', "only this tenant's jobs (NSE lists every job the user may see without it)")
    .option('--limit <n>', 'page size', positiveInt, 20)
    .option('--all', 'every page, not only the first')
    .addHelpText(
      'after',
      '\nExamples:\n  nse-flow jobs\n  nse-flow jobs --tenant 5ed72c8c6342e90001439d00 --all --json',
    )
    .action(async (options: { tenant?: string; limit: number; all?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const config = loadConfigOrFail();
      const nse = new NseClient({ ...config.nse, getRetries: 5 });
      try {
        const jobs: Job[] = [];
        if (options.all) {
          for await (const job of nse.iterateJobs({ tenantId: options.tenant, limit: options.limit })) jobs.push(job);
        } else {
          jobs.push(...(await nse.listJobs({ tenantId: options.tenant, limit: options.limit })).jobs);
        }
        const lines = jobs.map(
          (j) => `${j.id}  ${j.state.padEnd(16)} ${j.action.padEnd(6)} ${j.objectType} ${j.objectName}  ${j.created}`,
        );
        print(global, jobs, lines.length > 0 ? lines.join('\n') : 'no jobs');
      } catch (err) {
        if (err instanceof NseHttpError && !err.retryable) throw new CliError(err.message, ExitCode.RunFailed);
        if (err instanceof NseError) throw new CliError(err.message, ExitCode.Unreachable);
        throw err;
      } finally {
        nse.close();
      }
    });

  program
    .command('status')
    .description("show a run's progress (phase, job, polls)")
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow status nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        const status = await client.getStatus(workflowId);
        const title =
          'bulk' in status ? `bulk ${status.bulk}` : 'steps' in status ? `plan ${status.plan}` : status.summary;
        print(global, status, `${workflowId}: ${title}: ${describeStatus(status)}`);
      });
    });

  program
    .command('result')
    .description('wait for a run to end and print its outcome')
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow result nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      await withClient((client) => followRun(client, workflowId, command.optsWithGlobals<GlobalOptions>()));
    });

  program
    .command('cancel')
    .description('cancel a run: it stops polling, undoes what it created and ends cancelled')
    .argument('<workflowId>')
    .addHelpText('after', '\nExample:\n  nse-flow cancel nse-flow-op-create-disk-1234')
    .action(async (workflowId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        await client.cancel(workflowId);
        print(global, { workflowId, cancelRequested: true }, `cancellation requested for ${workflowId}`);
      });
    });

  program
    .command('decide')
    .description('decide what a held run does with its failed job: undo it (compensate) or keep what it made')
    .argument('<workflowId>')
    .addArgument(new Argument('<decision>').choices(['compensate', 'keep']))
    .addHelpText('after', '\nExample:\n  nse-flow decide nse-flow-op-create-disk-1234 keep')
    .action(async (workflowId: string, decision: Decision, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withClient(async (client) => {
        try {
          await client.decide(workflowId, decision);
        } catch (err) {
          throw new CliError(`${workflowId}: ${rootMessage(err)}`, ExitCode.RunFailed);
        }
        print(global, { workflowId, decision }, `${workflowId}: decided ${decision}`);
      });
    });

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
      const { runWorker } = require('./worker') as typeof WorkerModule;
      await runWorker(config, createLogger(config.logLevel));
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
      (v: string, all: string[]) => [...all, v],
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

  program
    .command('simulator')
    .description('run the NSE simulator (a local stand-in for NSE, for tests and demos)')
    .option('--port <port>', 'port to listen on', (v) => Number(v), 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--user <name:password>',
      'accepted credentials (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option('--rules <file>', 'JSON rules file for job outcomes and faults')
    .addHelpText('after', '\nExample:\n  nse-flow simulator --port 8080 --user admin:secret')
    .action(async (options: { port: number; host: string; user: string[]; rules?: string }) => {
      const users = options.user.map((pair) => {
        const at = pair.indexOf(':');
        if (at <= 0) throw new CliError(`--user ${pair}: expected NAME:PASSWORD`, ExitCode.Usage);
        return { username: pair.slice(0, at), password: pair.slice(at + 1) };
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runSimulator } = require('./simulator/main') as typeof SimulatorModule;
      await runSimulator({
        port: options.port,
        host: options.host,
        users: users.length > 0 ? users : undefined,
        rulesFile: options.rules,
        logger: createLogger(process.env.LOG_LEVEL ?? 'info'),
      });
    });

  return program;
}

function loadConfigOrFail(): ReturnType<typeof loadConfig> {
  useStackConnection();
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`, ExitCode.Usage);
    throw err;
  }
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
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
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
