/**
 * loadConfig: defaults, Temporal connection by @temporalio/envconfig rules (env, profiles, TLS, API key), metrics and
 * health ports, codec keys, and one-line errors that name the variable without echoing secrets.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadCodecConfig, loadConfig, maskConfig, type Config } from '../../src/config';
import { buildIdFor } from '../../src/deployment';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nse-flow-config-'));
const key1 = randomBytes(32).toString('base64');
const key2 = randomBytes(32).toString('base64');

/** A minimal valid environment; HOME points at an empty directory so no user temporal.toml is read. */
function env(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return { HOME: dir, NSE_USERNAME: 'svc', NSE_PASSWORD: 'pw-Secret-1', ...extra };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(env());
    expect(config.temporal).toMatchObject({ address: 'localhost:7233', namespace: 'default', taskQueue: 'nse-flow' });
    expect(config.temporal.connection.address).toBe('localhost:7233');
    expect(config.nse).toMatchObject({ baseUrl: 'http://localhost:8080/api', timeoutMs: 30_000 });
    expect(config.nse.auth).toEqual({ kind: 'jwt', username: 'svc', password: 'pw-Secret-1' });
    expect(config).toMatchObject({
      logLevel: 'info',
      shutdownGraceMs: 30_000,
      codec: undefined,
      metrics: undefined,
      health: undefined,
      maxCachedWorkflows: undefined,
      nseRequestBudget: 50,
    });
  });

  it('takes the Temporal connection from TEMPORAL_* variables like the SDK (address, namespace, API key, TLS, gRPC metadata)', () => {
    const config = loadConfig(
      env({
        TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
        TEMPORAL_NAMESPACE: 'ns.acct',
        TEMPORAL_API_KEY: 'api-Secret-2',
        TEMPORAL_GRPC_META_X_TENANT: 'blue',
      }),
    );
    expect(config.temporal).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct' });
    // An API key turns TLS on, as in @temporalio/envconfig.
    expect(config.temporal.connection).toMatchObject({
      apiKey: 'api-Secret-2',
      tls: true,
      metadata: { 'x-tenant': 'blue' },
    });
  });

  it('reads a profile from TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE, with TEMPORAL_* variables overriding it', () => {
    const file = path.join(dir, 'temporal.toml');
    writeFileSync(
      file,
      '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\n[profile.prod.tls]\nserver_name = "prod.example"\n',
    );
    const fromProfile = loadConfig(env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' }));
    expect(fromProfile.temporal).toMatchObject({ address: 'prod.example:7233', namespace: 'prod' });
    expect(fromProfile.temporal.connection.tls).toMatchObject({ serverNameOverride: 'prod.example' });
    const overridden = loadConfig(
      env({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'other' }),
    );
    expect(overridden.temporal).toMatchObject({ address: 'prod.example:7233', namespace: 'other' });
  });

  it.each([
    ['TEMPORAL_PROFILE', { TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml'), TEMPORAL_PROFILE: 'missing' }],
    ['TEMPORAL_TLS', { TEMPORAL_TLS: 'yes' }],
    [
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      {
        TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'no-such.crt'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'no-such.key'),
      },
    ],
    ['NSE_TIMEOUT_MS', { NSE_TIMEOUT_MS: 'soon' }],
    ['NSE_REQUEST_BUDGET', { NSE_REQUEST_BUDGET: '0' }],
    ['NSE_REQUEST_BUDGET', { NSE_REQUEST_BUDGET: 'fast' }],
    ['NSE_BASE_URL', { NSE_BASE_URL: 'ftp://nse' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['NSE_FLOW_METRICS_PORT', { NSE_FLOW_METRICS_PORT: '70000' }],
    ['NSE_FLOW_HEALTH_PORT', { NSE_FLOW_HEALTH_PORT: 'x' }],
    ['NSE_FLOW_HEALTH_PORT', { NSE_FLOW_METRICS_PORT: '9464', NSE_FLOW_HEALTH_PORT: '9464' }],
    ['NSE_FLOW_WORKFLOW_BUNDLE', { NSE_FLOW_WORKFLOW_BUNDLE: path.join(dir, 'no-bundle.js') }],
    ['NSE_USERNAME', { NSE_USERNAME: undefined }],
    ['NSE_FLOW_MAX_CACHED_WORKFLOWS', { NSE_FLOW_MAX_CACHED_WORKFLOWS: 'many' }],
    ['NSE_FLOW_MAX_CACHED_WORKFLOWS', { NSE_FLOW_MAX_CACHED_WORKFLOWS: '-5' }],
    ['NSE_FLOW_MAX_CACHED_WORKFLOWS', { NSE_FLOW_MAX_CACHED_WORKFLOWS: '2.5' }],
    ['NSE_FLOW_MAX_CACHED_WORKFLOWS', { NSE_FLOW_MAX_CACHED_WORKFLOWS: '1' }],
  ])('reports a bad %s in one line that starts with its name', (variable, extra) => {
    const error = errorOf(() => loadConfig(env(extra)));
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['none', undefined],
    ['12.5', 12.5],
    ['400', 400],
  ])('takes the NSE request budget from NSE_REQUEST_BUDGET=%j (none: no limit)', (value, expected) => {
    expect(loadConfig(env({ NSE_REQUEST_BUDGET: value })).nseRequestBudget).toBe(expected);
  });

  it.each([
    ['', undefined],
    ['0', 0],
    ['2', 2],
    ['5000', 5000],
  ])(
    'takes the workflow cache size from NSE_FLOW_MAX_CACHED_WORKFLOWS=%j (unset or empty: the SDK default)',
    (value, expected) => {
      expect(loadConfig(env({ NSE_FLOW_MAX_CACHED_WORKFLOWS: value })).maxCachedWorkflows).toBe(expected);
    },
  );

  it('serves health probes on the metrics port + 1 unless NSE_FLOW_HEALTH_PORT says otherwise', () => {
    expect(loadConfig(env({ NSE_FLOW_METRICS_PORT: '9464' }))).toMatchObject({
      metrics: { host: '127.0.0.1', port: 9464 },
      health: { host: '127.0.0.1', port: 9465 },
    });
    expect(
      loadConfig(
        env({ NSE_FLOW_METRICS_PORT: '9464', NSE_FLOW_HEALTH_PORT: '8081', NSE_FLOW_METRICS_HOST: '127.0.0.1' }),
      ),
    ).toMatchObject({
      metrics: { host: '127.0.0.1', port: 9464 },
      health: { host: '127.0.0.1', port: 8081 },
    });
    expect(loadConfig(env({ NSE_FLOW_HEALTH_PORT: '8081' }))).toMatchObject({
      metrics: undefined,
      health: { port: 8081 },
    });
  });

  it('joins deployment nse-flow with a derived build id unless NSE_FLOW_DEPLOYMENT / NSE_FLOW_BUILD_ID say otherwise', () => {
    expect(loadConfig(env()).deployment).toEqual({ name: 'nse-flow', buildId: undefined });
    expect(loadConfig(env({ NSE_FLOW_DEPLOYMENT: 'storage', NSE_FLOW_BUILD_ID: ' 2026-12-07.1 ' })).deployment).toEqual(
      {
        name: 'storage',
        buildId: '2026-12-07.1',
      },
    );
    expect(loadConfig(env({ NSE_FLOW_DEPLOYMENT: 'none' })).deployment).toBeUndefined();
    expect(errorOf(() => loadConfig(env({ NSE_FLOW_DEPLOYMENT: 'nse.flow' }))).message).toBe(
      "NSE_FLOW_DEPLOYMENT: must not contain '.'",
    );
  });

  it('derives the build id from the package version and the bundle content', () => {
    const id = buildIdFor('bundle code', '1.2.3');
    expect(id).toMatch(/^1\.2\.3\+[0-9a-f]{12}$/);
    expect(buildIdFor('bundle code', '1.2.3')).toBe(id);
    expect(buildIdFor('bundle code!', '1.2.3')).not.toBe(id);
  });

  it('says what NSE_REQUEST_BUDGET takes, none included, and which variable a missing password belongs to', () => {
    expect(errorOf(() => loadConfig(env({ NSE_REQUEST_BUDGET: 'abc' }))).message).toBe(
      'NSE_REQUEST_BUDGET: must be a number of requests per second from 1 to 100000, or none (no limit)',
    );
    expect(errorOf(() => loadConfig(env({ NSE_PASSWORD: undefined }))).message).toBe(
      'NSE_PASSWORD: set it (or NSE_PASSWORD_FILE) for NSE_USERNAME',
    );
  });

  it('takes NSE_TOKEN over NSE_USERNAME and NSE_PASSWORD when both are set (docs/configuration.md)', () => {
    expect(loadConfig(env({ NSE_TOKEN: 't0ken-value' })).nse.auth).toEqual({ kind: 'token', token: 't0ken-value' });
  });

  it('reads a password or token from a file', () => {
    const file = path.join(dir, 'token');
    writeFileSync(file, 'file-token-Secret-3\n');
    expect(loadConfig(env({ NSE_TOKEN_FILE: file })).nse.auth).toEqual({ kind: 'token', token: 'file-token-Secret-3' });
    expect(
      errorOf(() => loadConfig(env({ NSE_PASSWORD: undefined, NSE_PASSWORD_FILE: path.join(dir, 'nope') }))).message,
    ).toMatch(/^NSE_PASSWORD_FILE: cannot read .* \(ENOENT\)$/);
  });
});

describe('codec keys', () => {
  it('are off unless keys are configured', () => {
    expect(loadCodecConfig({})).toBeUndefined();
  });

  it('parse ID:BASE64 pairs; the first key is active unless NSE_FLOW_CODEC_ACTIVE_KEY names another', () => {
    const codec = loadCodecConfig({ NSE_FLOW_CODEC_KEYS: `k2:${key2}, k1:${key1}` });
    expect(codec?.activeKeyId).toBe('k2');
    expect(codec?.keys.map((k) => [k.id, k.key.toString('base64')])).toEqual([
      ['k2', key2],
      ['k1', key1],
    ]);
    expect(
      loadCodecConfig({ NSE_FLOW_CODEC_KEYS: `k2:${key2},k1:${key1}`, NSE_FLOW_CODEC_ACTIVE_KEY: 'k1' })?.activeKeyId,
    ).toBe('k1');
  });

  it('read NSE_FLOW_CODEC_KEYS_FILE, one key per line, comments allowed', () => {
    const file = path.join(dir, 'codec-keys');
    writeFileSync(file, `# rotated 2026-01\nk2:${key2}\nk1:${key1}\n`);
    expect(loadCodecConfig({ NSE_FLOW_CODEC_KEYS_FILE: file })?.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(loadConfig(env({ NSE_FLOW_CODEC_KEYS_FILE: file })).codec?.activeKeyId).toBe('k2');
  });

  const shortKey = randomBytes(16).toString('base64');
  it.each([
    ['NSE_FLOW_CODEC_KEYS', { NSE_FLOW_CODEC_KEYS: `k1:${shortKey}` }, "key 'k1' must be 32 bytes (AES-256), got 16"],
    ['NSE_FLOW_CODEC_KEYS', { NSE_FLOW_CODEC_KEYS: 'k1:not base64!' }, "key 'k1' is not valid base64"],
    ['NSE_FLOW_CODEC_KEYS', { NSE_FLOW_CODEC_KEYS: key1 }, 'entry 1 is not ID:BASE64KEY'],
    ['NSE_FLOW_CODEC_KEYS', { NSE_FLOW_CODEC_KEYS: `k1:${key1},k1:${key2}` }, "key id 'k1' appears twice"],
    ['NSE_FLOW_CODEC_KEYS', { NSE_FLOW_CODEC_KEYS: ' , ' }, 'no keys'],
    [
      'NSE_FLOW_CODEC_ACTIVE_KEY',
      { NSE_FLOW_CODEC_KEYS: `k1:${key1}`, NSE_FLOW_CODEC_ACTIVE_KEY: 'k9' },
      "no key with id 'k9' (configured ids: k1)",
    ],
    ['NSE_FLOW_CODEC_ACTIVE_KEY', { NSE_FLOW_CODEC_ACTIVE_KEY: 'k1' }, 'set, but no NSE_FLOW_CODEC_KEYS'],
    ['NSE_FLOW_CODEC_KEYS_FILE', { NSE_FLOW_CODEC_KEYS: `k1:${key1}`, NSE_FLOW_CODEC_KEYS_FILE: '/x' }, 'not both'],
  ])('reject a bad %s, naming the key id but never the key', (variable, extra, expected) => {
    const error = errorOf(() => loadConfig(env(extra)));
    expect(error.message).toContain(expected);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    for (const secret of [key1, key2, shortKey]) expect(error.message).not.toContain(secret);
  });
});

describe('maskConfig', () => {
  it('masks every secret: NSE password and token, Temporal API key, TLS key, gRPC metadata, codec keys', () => {
    const keyFile = path.join(dir, 'client.key');
    const crtFile = path.join(dir, 'client.crt');
    writeFileSync(keyFile, 'tls-key-Secret-4');
    writeFileSync(crtFile, 'certificate');
    const configs: Config[] = [
      loadConfig(
        env({
          TEMPORAL_API_KEY: 'api-Secret-2',
          TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer meta-Secret-5',
          TEMPORAL_TLS_CLIENT_CERT_PATH: crtFile,
          TEMPORAL_TLS_CLIENT_KEY_PATH: keyFile,
          NSE_FLOW_CODEC_KEYS: `k1:${key1},k2:${key2}`,
        }),
      ),
      loadConfig(env({ NSE_TOKEN: 'nse-token-Secret-6' })),
    ];
    const printed = configs.map((config) => JSON.stringify(maskConfig(config))).join('\n');
    for (const secret of [
      'pw-Secret-1',
      'api-Secret-2',
      'tls-key-Secret-4',
      'meta-Secret-5',
      'nse-token-Secret-6',
      key1,
      key2,
    ]) {
      expect(printed).not.toContain(secret);
    }
    expect(maskConfig(configs[0] as Config)).toMatchObject({
      codec: {
        activeKeyId: 'k1',
        keys: [
          { id: 'k1', key: '****' },
          { id: 'k2', key: '****' },
        ],
      },
      temporal: {
        connection: { apiKey: '****', metadata: { authorization: '****' }, tls: { clientCertPair: { key: '****' } } },
      },
    });
  });
});

describe('credentials in NSE_BASE_URL (#15)', () => {
  it.each(['https://admin:s3cret-pw@nse.example/api', 'https://admin@nse.example/api', 'http://:pw-only@h/api'])(
    'refuses %s with a clear error that does not repeat the URL',
    (url) => {
      let message = '';
      try {
        loadConfig(env({ NSE_BASE_URL: url }));
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^NSE_BASE_URL: must not contain credentials/);
      expect(message).not.toContain('s3cret-pw');
    },
  );

  it('masks user-info in any URL --print-config shows', () => {
    const config = loadConfig(env());
    const printed = JSON.stringify(
      maskConfig({ ...config, nse: { ...config.nse, baseUrl: 'https://u:pw-9999@h/api' } }),
    );
    expect(printed).not.toContain('pw-9999');
  });
});
