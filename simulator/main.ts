/**
 * Runs the NSE simulator as a server: for demos, the local stack and integration tests that want a real port.
 * Its own entry, outside nse-flow's src/ and package: `node simulator/bin.js --port 8080` (`npm run
 * start:simulator`; `LOG_LEVEL` sets its log level), or {@link runSimulator} from a test or the stack.
 * @module
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { buildSimulator, type SimulatorApp, type SimulatorOptions } from './app';
import { SIM_FIXTURES, type SimUser } from './fixtures';
import { parseRules, RulesError, type ParsedRule, type SimRule } from './rules';

/** Options of {@link runSimulator}; the rest are those of `buildSimulator`. */
interface RunSimulatorOptions extends Omit<SimulatorOptions, 'rules'> {
  /** Port to listen on; default 8080, 0 for any free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** JSON rules file (an array, or `{ "rules": [...] }`); read once at start. */
  rulesFile?: string;
  /** Rules given directly; ignored when `rulesFile` is set. */
  rules?: readonly SimRule[];
  /** Where the start-up banner goes; default stdout. */
  print?: (line: string) => void;
}

/** A listening simulator. */
interface SimulatorHandle {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080/api`. */
  url: string;
  port: number;
  app: SimulatorApp;
  /** Stops listening; pending long polls answer first, so this never hangs. */
  close(): Promise<void>;
}

/** Reads and validates a rules file; throws `RulesError` naming the file and the bad field. */
async function loadRulesFile(path: string): Promise<ParsedRule[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new RulesError(`cannot read simulator rules from ${path}: ${(err as Error).message}`);
  }
  try {
    return parseRules(json);
  } catch (err) {
    throw new RulesError(`${path}: ${(err as Error).message}`);
  }
}

/** Builds the simulator, listens, prints the base URL and the default credentials, and returns a handle. */
export async function runSimulator(options: RunSimulatorOptions = {}): Promise<SimulatorHandle> {
  const {
    port = 8080,
    host = '127.0.0.1',
    rulesFile,
    print = (line: string) => process.stdout.write(`${line}\n`),
    ...rest
  } = options;
  const rules = rulesFile !== undefined ? await loadRulesFile(rulesFile) : options.rules;
  const app = buildSimulator({ ...rest, rules });
  await app.listen({ port, host });
  const address = app.server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/api`;
  print(`NSE simulator listening on ${url}`);
  if (options.users === undefined) {
    // The built-in user is a published default, not a secret; configured passwords are never printed.
    const { username, password } = SIM_FIXTURES.defaultUser;
    print(`  user: ${username} / ${password} (default; HTTP Basic, or POST /v2.1/auth/signin for a JWT)`);
    for (const scoped of [SIM_FIXTURES.tenantUser, SIM_FIXTURES.otherTenantUser]) {
      print(`  user: ${scoped.username} / ${scoped.password} (tenant ${scoped.tenancies.join(', ')} only)`);
    }
  } else {
    print(`  users: ${options.users.map((u) => u.username).join(', ')}`);
  }
  print(`  tenant ${SIM_FIXTURES.tenantId}, subtenant ${SIM_FIXTURES.subtenantId}, zone ${SIM_FIXTURES.zone}`);
  print(
    `  rules: ${rules?.length ?? 0}${rulesFile !== undefined ? ` from ${rulesFile}` : ''}; control (administrator credentials): GET /_sim/ledger, GET|PUT /_sim/rules, POST /_sim/reset`,
  );
  return { url, port: address.port, app, close: () => app.close() };
}

/** A port from the command line: a whole number from 0 (any free port) to 65535. */
function portOption(value: string): number {
  const port = Number(value);
  if (value.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError('must be a whole number from 0 to 65535');
  return port;
}

/** `NAME:PASSWORD` from the command line. */
function userOption(pair: string, all: SimUser[] = []): SimUser[] {
  const at = pair.indexOf(':');
  if (at <= 0) throw new InvalidArgumentError('expected NAME:PASSWORD');
  return [...all, { username: pair.slice(0, at), password: pair.slice(at + 1) }];
}

/** The simulator's command line: serves until SIGINT or SIGTERM. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('nse-simulator')
    .description('run the NSE simulator (a local stand-in for NSE v2.1, for tests and demos; not part of nse-flow)')
    .option('--port <port>', 'port to listen on (0: any free port)', portOption, 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--user <name:password>', 'accepted credentials (repeatable; default: the built-in users)', userOption)
    .option('--rules <file>', 'JSON rules file for job outcomes and faults')
    .addHelpText('after', '\nExample:\n  node simulator/bin.js --port 8080 --user admin:secret')
    .showHelpAfterError();
  program.parse(argv);
  const options = program.opts<{ port: number; host: string; user?: SimUser[]; rules?: string }>();
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
  try {
    const handle = await runSimulator({
      port: options.port,
      host: options.host,
      users: options.user,
      rulesFile: options.rules,
      logger,
    });
    const stop = (): void => void handle.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (err) {
    // A bad rules file is bad usage (exit 2); anything else, e.g. a port in use, exit 1.
    process.stderr.write(`nse-simulator: ${(err as Error).message}\n`);
    process.exit(err instanceof RulesError ? 2 : 1);
  }
}
