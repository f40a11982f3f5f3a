/**
 * Configuration from the environment, parsed once by entry points (worker, CLI, stack). A bad variable stops the
 * process with one line naming it. Secrets stay in the worker process: never in workflow input or history.
 * @module
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { NseAuth } from './nse/client';
import { DEFAULT_TASK_QUEUE } from './shared/workflow-api';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  NSE_FLOW_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  NSE_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:8080/api'),
  NSE_AUTH: z.enum(['basic', 'jwt']).default('jwt'),
  NSE_USERNAME: optionalText,
  NSE_PASSWORD: optionalText,
  NSE_PASSWORD_FILE: optionalText,
  NSE_TOKEN: optionalText,
  NSE_TOKEN_FILE: optionalText,
  NSE_CA_FILE: optionalText,
  NSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  NSE_FLOW_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
});

/** Raised for a bad variable; entry points print `message` alone and exit 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Config {
  temporal: { address: string; namespace: string; taskQueue: string };
  nse: { baseUrl: string; auth: NseAuth; caFile: string | undefined; timeoutMs: number };
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  shutdownGraceMs: number;
}

function readSecretFile(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Parses the environment; throws {@link ConfigError} naming the first bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.') ?? 'environment'}: ${issue?.message ?? 'invalid'}`);
  }
  const e = parsed.data;
  const token = e.NSE_TOKEN ?? (e.NSE_TOKEN_FILE ? readSecretFile('NSE_TOKEN_FILE', e.NSE_TOKEN_FILE) : undefined);
  const password = e.NSE_PASSWORD ?? (e.NSE_PASSWORD_FILE ? readSecretFile('NSE_PASSWORD_FILE', e.NSE_PASSWORD_FILE) : undefined);
  let auth: NseAuth;
  if (token) auth = { kind: 'token', token };
  else if (e.NSE_USERNAME && password) auth = { kind: e.NSE_AUTH, username: e.NSE_USERNAME, password };
  else throw new ConfigError('NSE_USERNAME: set NSE_USERNAME with NSE_PASSWORD (or NSE_PASSWORD_FILE), or NSE_TOKEN');
  return {
    temporal: { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.NSE_FLOW_TASK_QUEUE },
    nse: { baseUrl: e.NSE_BASE_URL.replace(/\/+$/, ''), auth, caFile: e.NSE_CA_FILE, timeoutMs: e.NSE_TIMEOUT_MS },
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.NSE_FLOW_SHUTDOWN_GRACE_MS,
  };
}

/** The config with every secret masked, for `--print-config` and start-up logs. */
export function maskConfig(config: Config): unknown {
  const auth = config.nse.auth;
  const masked = auth.kind === 'token' ? { kind: 'token', token: '****' } : { ...auth, password: '****' };
  return { ...config, nse: { ...config.nse, auth: masked } };
}
