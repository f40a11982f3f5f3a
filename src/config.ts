/**
 * Configuration from the environment, parsed once by entry points (worker, CLI, codec server, client library). A bad
 * variable stops the process with one line naming it. Secrets stay in the worker process: never in workflow input or
 * history, and {@link maskConfig} hides them from `--print-config`.
 * @module
 */
import { existsSync } from 'node:fs';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import type { NseAuth } from './nse/client';
import { rememberSecret, scrubText } from './common/redact';
import { DEFAULT_TASK_QUEUE } from './shared/workflow-api';
import { DEFAULT_DEPLOYMENT } from './deployment';
import { loadCodecConfig, type CodecConfig } from './codec/config';
import { ConfigError, readSecretFile } from './config-error';

export { ConfigError } from './config-error';
export { loadCodecConfig } from './codec/config';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v));

const optionalPort = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : Number(v)))
  .pipe(z.number().int().min(1).max(65_535).optional());

/** What NSE_REQUEST_BUDGET takes, said whatever is wrong with a value. */
const BUDGET_EXPECTED = 'must be a number of requests per second from 1 to 100000, or none (no limit)';

const Env = z.object({
  // Read by @temporalio/envconfig; listed here so a malformed value is reported like any other variable.
  TEMPORAL_ADDRESS: optionalText,
  TEMPORAL_NAMESPACE: optionalText,
  TEMPORAL_TLS: z.enum(['true', 'false', '1', '0']).optional(),
  NSE_FLOW_TASK_QUEUE: z.string().min(1).default(DEFAULT_TASK_QUEUE),
  NSE_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:8080/api')
    // Credentials in the URL would be printed wherever the URL is (logs, --print-config, error messages).
    .refine(
      (url) => !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url),
      'must not contain credentials (user:password@); set NSE_USERNAME and NSE_PASSWORD or NSE_TOKEN instead',
    ),
  NSE_AUTH: z.enum(['basic', 'jwt']).default('jwt'),
  NSE_USERNAME: optionalText,
  NSE_PASSWORD: optionalText,
  NSE_PASSWORD_FILE: optionalText,
  NSE_TOKEN: optionalText,
  NSE_TOKEN_FILE: optionalText,
  NSE_CA_FILE: optionalText,
  // The most NSE activities started in any one second across all workers (the server gets half as its rate, and each
  // worker spaces its NSE requests at it); 'none': no limit.
  NSE_REQUEST_BUDGET: z
    .string()
    .default('50')
    .transform((v) => (v.trim() === 'none' ? undefined : Number(v)))
    .pipe(
      z
        .number({ error: BUDGET_EXPECTED })
        .positive({ error: BUDGET_EXPECTED })
        .max(100_000, { error: BUDGET_EXPECTED })
        .optional(),
    ),
  NSE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),
  NSE_FLOW_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  NSE_FLOW_METRICS_PORT: optionalPort,
  NSE_FLOW_HEALTH_PORT: optionalPort,
  // Closed by default: the probes and metrics answer only on this host unless an address is configured.
  NSE_FLOW_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  NSE_FLOW_WORKFLOW_BUNDLE: optionalText,
  // Worker Deployment Versioning (src/deployment.ts): the deployment and build this worker joins; 'none': unversioned.
  // The server takes any name without '.' (its canonical form joins name and build id with one).
  NSE_FLOW_DEPLOYMENT: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine((v) => !v.includes('.'), "must not contain '.'")
    .default(DEFAULT_DEPLOYMENT),
  NSE_FLOW_BUILD_ID: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()))
    .pipe(z.string().max(200).optional()),
  NSE_FLOW_MAX_CACHED_WORKFLOWS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : Number(v)))
    .pipe(
      z
        .number()
        .int()
        .min(0)
        .max(1_000_000)
        .refine((n) => n !== 1, 'must be 0 (no cache) or at least 2')
        .optional(),
    ),
});

/** A TCP listener address. */
export interface ListenAddress {
  host: string;
  port: number;
}

export interface Config {
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    /** What `NativeConnection.connect` / `Connection.connect` take: address, TLS, API key, gRPC metadata. */
    connection: ClientConnectConfig['connectionOptions'] & { address: string };
  };
  nse: { baseUrl: string; auth: NseAuth; caFile: string | undefined; timeoutMs: number };
  /** The most NSE activities started in any one second (`NSE_REQUEST_BUDGET`); undefined: no limit. */
  nseRequestBudget: number | undefined;
  logLevel: z.infer<typeof Env>['LOG_LEVEL'];
  shutdownGraceMs: number;
  /** Payload encryption; undefined (the default) leaves payloads as plain JSON. */
  codec: CodecConfig | undefined;
  /** The SDK runtime's Prometheus endpoint (`/metrics`), when `NSE_FLOW_METRICS_PORT` is set. */
  metrics: ListenAddress | undefined;
  /** `/healthz` and `/readyz`: `NSE_FLOW_HEALTH_PORT`, else the metrics port + 1, else none. */
  health: ListenAddress | undefined;
  /** A prebuilt workflow bundle to load instead of bundling the sources at start. */
  workflowBundle: string | undefined;
  /**
   * The worker deployment (`NSE_FLOW_DEPLOYMENT`) and build id (`NSE_FLOW_BUILD_ID`; undefined: derived from the
   * package version and the bundle, src/deployment.ts); undefined (`NSE_FLOW_DEPLOYMENT=none`): an unversioned worker.
   */
  deployment: { name: string; buildId: string | undefined } | undefined;
  /**
   * Runs kept in the worker's sticky cache (`NSE_FLOW_MAX_CACHED_WORKFLOWS`; 0 turns the cache off); undefined
   * leaves the SDK's default, sized from the V8 heap limit. Each cached run holds its own copy of the workflow modules.
   */
  maxCachedWorkflows: number | undefined;
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/**
 * The Temporal connection by `@temporalio/envconfig` rules: the profile (`TEMPORAL_PROFILE`, from
 * `TEMPORAL_CONFIG_FILE` or the default `temporal.toml`) overridden by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_GRPC_META_*. Throws {@link ConfigError} naming the variable at fault.
 */
function loadTemporalConnection(env: NodeJS.ProcessEnv = process.env): {
  connection: Config['temporal']['connection'];
  namespace: string;
} {
  const vars = definedEntries(env);
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: vars });
  } catch (err) {
    throw new ConfigError(`${envconfigCulprit(err, vars)}: ${(err as Error).message}`);
  }
  const connection = { ...loaded.connectionOptions, address: loaded.connectionOptions.address ?? 'localhost:7233' };
  return { connection, namespace: loaded.namespace ?? 'default' };
}

/** Which variable an envconfig failure comes from: a missing profile, an unreadable file, or the config file. */
function envconfigCulprit(err: unknown, vars: Record<string, string>): string {
  const message = (err as Error).message ?? '';
  if (/profile/i.test(message) && vars.TEMPORAL_PROFILE) return 'TEMPORAL_PROFILE';
  const file = (err as NodeJS.ErrnoException).path;
  if (file) {
    const variable = Object.keys(vars).find((name) => name.startsWith('TEMPORAL_') && vars[name] === file);
    if (variable) return variable;
  }
  return 'TEMPORAL_CONFIG_FILE'; // set, or the default temporal.toml of the user's config directory
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
  const password =
    e.NSE_PASSWORD ?? (e.NSE_PASSWORD_FILE ? readSecretFile('NSE_PASSWORD_FILE', e.NSE_PASSWORD_FILE) : undefined);
  // NSE_TOKEN wins over NSE_USERNAME/NSE_PASSWORD (docs/configuration.md): a deployment may keep a default user.
  let auth: NseAuth;
  if (token) auth = { kind: 'token', token };
  else if (e.NSE_USERNAME && password) auth = { kind: e.NSE_AUTH, username: e.NSE_USERNAME, password };
  else if (e.NSE_USERNAME) throw new ConfigError('NSE_PASSWORD: set it (or NSE_PASSWORD_FILE) for NSE_USERNAME');
  else throw new ConfigError('NSE_USERNAME: set NSE_USERNAME with NSE_PASSWORD (or NSE_PASSWORD_FILE), or NSE_TOKEN');
  const temporal = loadTemporalConnection(env);
  const host = e.NSE_FLOW_METRICS_HOST;
  const metrics = e.NSE_FLOW_METRICS_PORT === undefined ? undefined : { host, port: e.NSE_FLOW_METRICS_PORT };
  let health: ListenAddress | undefined;
  if (e.NSE_FLOW_HEALTH_PORT !== undefined) health = { host, port: e.NSE_FLOW_HEALTH_PORT };
  else if (metrics) {
    if (metrics.port === 65_535)
      throw new ConfigError('NSE_FLOW_HEALTH_PORT: set it; the default (NSE_FLOW_METRICS_PORT + 1) is past 65535');
    health = { host, port: metrics.port + 1 };
  }
  if (metrics && health && metrics.port === health.port) {
    throw new ConfigError('NSE_FLOW_HEALTH_PORT: must differ from NSE_FLOW_METRICS_PORT');
  }
  if (e.NSE_FLOW_WORKFLOW_BUNDLE && !existsSync(e.NSE_FLOW_WORKFLOW_BUNDLE)) {
    throw new ConfigError(`NSE_FLOW_WORKFLOW_BUNDLE: ${e.NSE_FLOW_WORKFLOW_BUNDLE} does not exist`);
  }
  return {
    temporal: {
      address: temporal.connection.address,
      namespace: temporal.namespace,
      taskQueue: e.NSE_FLOW_TASK_QUEUE,
      connection: temporal.connection,
    },
    nse: { baseUrl: e.NSE_BASE_URL.replace(/\/+$/, ''), auth, caFile: e.NSE_CA_FILE, timeoutMs: e.NSE_TIMEOUT_MS },
    nseRequestBudget: e.NSE_REQUEST_BUDGET,
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.NSE_FLOW_SHUTDOWN_GRACE_MS,
    codec: loadCodecConfig(env),
    metrics,
    health,
    workflowBundle: e.NSE_FLOW_WORKFLOW_BUNDLE,
    deployment:
      e.NSE_FLOW_DEPLOYMENT === 'none' ? undefined : { name: e.NSE_FLOW_DEPLOYMENT, buildId: e.NSE_FLOW_BUILD_ID },
    maxCachedWorkflows: e.NSE_FLOW_MAX_CACHED_WORKFLOWS,
  };
}

/**
 * Adds this configuration's credentials (NSE password or token, Temporal API key, TLS client key, codec keys) to
 * the secrets scrubbed by value from every text the process lets out (logs, failure messages, job texts).
 */
export function rememberConfigSecrets(config: Config): void {
  const auth = config.nse.auth;
  rememberSecret(auth.kind === 'token' ? auth.token : auth.password);
  rememberSecret(config.temporal.connection.apiKey as string | undefined);
  const tls = config.temporal.connection.tls;
  if (tls && typeof tls === 'object' && tls.clientCertPair)
    rememberSecret(Buffer.from(tls.clientCertPair.key).toString());
  for (const value of Object.values(config.temporal.connection.metadata ?? {})) rememberSecret(String(value));
  for (const { key } of config.codec?.keys ?? []) rememberSecret(key.toString('base64'));
}

const MASK = '****';

function describeBytes(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : `<${bytes.length} bytes>`;
}

function maskConnection(connection: Config['temporal']['connection']): unknown {
  const { tls, apiKey, metadata } = connection;
  let maskedTls: unknown = tls;
  if (tls && typeof tls === 'object') {
    maskedTls = {
      serverNameOverride: tls.serverNameOverride,
      serverRootCACertificate: describeBytes(tls.serverRootCACertificate),
      clientCertPair: tls.clientCertPair && { crt: describeBytes(tls.clientCertPair.crt), key: MASK },
    };
  }
  return {
    ...connection,
    tls: maskedTls,
    apiKey: apiKey === undefined ? undefined : MASK,
    // gRPC metadata often carries credentials: show which headers are set, not their values.
    metadata: metadata && Object.fromEntries(Object.keys(metadata).map((k) => [k, MASK])),
  };
}

/** The config with every secret masked (NSE password/token, Temporal API key, TLS key, gRPC metadata, codec keys). */
export function maskConfig(config: Config): unknown {
  const auth = config.nse.auth;
  const masked = auth.kind === 'token' ? { kind: 'token', token: MASK } : { ...auth, password: MASK };
  return {
    ...config,
    temporal: { ...config.temporal, connection: maskConnection(config.temporal.connection) },
    nse: { ...config.nse, baseUrl: scrubText(config.nse.baseUrl), auth: masked },
    codec: config.codec && {
      activeKeyId: config.codec.activeKeyId,
      keys: config.codec.keys.map((k) => ({ id: k.id, key: MASK })),
    },
  };
}
