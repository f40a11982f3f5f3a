/**
 * The local stack's connection file. `npm start` writes what its processes use (Temporal address, namespace, task
 * queue and, when it runs the simulator, NSE's base URL and the simulator's demo credentials) to
 * `.temporal/stack.json` (git-ignored, mode 600) and removes it when it stops; the CLI fills in from it whatever the
 * environment leaves unset, so `npx nse-flow ...` works against the stack with nothing exported. A set variable of a
 * group always wins over the whole group: the simulator's password is never sent to an NSE the user named.
 * @module
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** `.temporal/stack.json` at the project root (from src/cli and lib/cli alike); `NSE_FLOW_STACK_FILE` moves it. */
export function stackFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NSE_FLOW_STACK_FILE || path.resolve(__dirname, '..', '..', '.temporal', 'stack.json');
}

const StackConnection = z.object({
  /** The `npm start` process: a file whose process is gone is stale and ignored. */
  pid: z.number().int().positive(),
  temporal: z.object({ address: z.string().min(1), namespace: z.string().min(1), taskQueue: z.string().min(1) }),
  /** Present only when the stack runs the simulator; a real NSE's credentials are never written. */
  nse: z.object({ baseUrl: z.string().min(1), username: z.string().min(1), password: z.string().min(1) }).optional(),
});
export type StackConnection = z.infer<typeof StackConnection>;

/** Writes the connection for the CLI; readable by the owner only (it holds the simulator's demo password). */
export function writeStackConnection(connection: StackConnection, file: string = stackFilePath()): void {
  writeFileSync(file, `${JSON.stringify(connection, null, 2)}\n`, { mode: 0o600 });
}

export function removeStackConnection(file: string = stackFilePath()): void {
  rmSync(file, { force: true });
}

/** Variables that, when any is set, mean the user chose the Temporal connection (envconfig's). */
const TEMPORAL_CHOICE = /^TEMPORAL_(ADDRESS|NAMESPACE|API_KEY|PROFILE|CONFIG_FILE|TLS.*|GRPC_META_.*)$/;
/** Variables that, when any is set, mean the user chose the NSE to talk to or its credentials. */
const NSE_CHOICE = /^NSE_(BASE_URL|USERNAME|PASSWORD|PASSWORD_FILE|TOKEN|TOKEN_FILE|AUTH)$/;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running stack's connection, or undefined when there is no file, it is unreadable, or its stack is gone. */
function readStackConnection(file: string = stackFilePath()): StackConnection | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed;
  try {
    parsed = StackConnection.safeParse(JSON.parse(text));
  } catch {
    return undefined;
  }
  return parsed.success && isAlive(parsed.data.pid) ? parsed.data : undefined;
}

/**
 * What the running stack's connection adds to `env`: the variables of each group (Temporal, NSE) none of whose
 * variables is set, and the line that says so. Undefined without a running stack or when `env` chose everything.
 */
export function stackConnectionFor(
  env: NodeJS.ProcessEnv,
): { variables: Record<string, string>; note: string } | undefined {
  const file = stackFilePath(env);
  const stack = readStackConnection(file);
  if (!stack) return undefined;
  const isSet = (pattern: RegExp): boolean => Object.keys(env).some((name) => pattern.test(name) && env[name]);
  const variables: Record<string, string> = {};
  const used: string[] = [];
  if (!isSet(TEMPORAL_CHOICE)) {
    variables.TEMPORAL_ADDRESS = stack.temporal.address;
    variables.TEMPORAL_NAMESPACE = stack.temporal.namespace;
    // A task queue the user set names a queue on the stack's server; it does not choose another server.
    if (env.NSE_FLOW_TASK_QUEUE === undefined) variables.NSE_FLOW_TASK_QUEUE = stack.temporal.taskQueue;
    used.push(`Temporal ${stack.temporal.address}`);
  }
  if (stack.nse && !isSet(NSE_CHOICE)) {
    variables.NSE_BASE_URL = stack.nse.baseUrl;
    variables.NSE_USERNAME = stack.nse.username;
    variables.NSE_PASSWORD = stack.nse.password;
    variables.NSE_AUTH = 'jwt';
    used.push(`NSE simulator ${stack.nse.baseUrl} as ${stack.nse.username}`);
  }
  if (used.length === 0) return undefined;
  const shown = path.relative(process.cwd(), file) || file;
  return {
    variables,
    note: `nse-flow: using the local stack from ${shown} (${used.join(', ')}); set TEMPORAL_* / NSE_* to override`,
  };
}

let applied = false;

/** Fills `process.env` from the running stack's connection ({@link stackConnectionFor}), saying so once on stderr. */
export function useStackConnection(): void {
  if (applied) return;
  applied = true;
  const connection = stackConnectionFor(process.env);
  if (!connection) return;
  Object.assign(process.env, connection.variables);
  process.stderr.write(`${connection.note}\n`);
}
