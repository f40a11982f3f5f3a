/**
 * Traces are off unless an OTLP endpoint is configured: then no OpenTelemetry module is loaded at all (checked in a
 * fresh Node process's require.cache, which jest's module registry would hide) and every tracing call is a no-op.
 */
import { tracedBundlerOptions, workflowBundlerOptions } from '../../src/bundler-options';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { traceHeaders, traceLogFields, tracesUrl, tracingConfigured, workerTracing } from '../../src/tracing';

const ROOT = path.resolve(__dirname, '..', '..');

/** Loads the CLI, worker, client and logging modules in a fresh process, starts tracing, lists OTel modules loaded. */
function otelModulesLoaded(env: Record<string, string>): string[] {
  const script = `
    require('ts-node').register({ transpileOnly: true, project: 'tsconfig.json' });
    require('./src/cli'); require('./src/worker'); require('./src/client');
    const tracing = require('./src/tracing');
    const on = tracing.startTracing('nse-flow-test');
    require('./src/logging').createLogger('info', { write() {} }).info('a line');
    tracing.traceHeaders(); tracing.workerTracing();
    const loaded = Object.keys(require.cache).filter((f) => /@opentelemetry|interceptors-opentelemetry/.test(f));
    process.stdout.write(JSON.stringify({ on, loaded }));
    tracing.shutdownTracing();
  `;
  const out = execFileSync(process.execPath, ['-e', script], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  const { on, loaded } = JSON.parse(out) as { on: boolean; loaded: string[] };
  expect(on).toBe(Object.keys(env).length > 0);
  return loaded;
}

describe('tracing', () => {
  it('loads no OpenTelemetry module when no OTLP endpoint is set', () => {
    expect(otelModulesLoaded({})).toEqual([]);
  }, 60_000);

  it('loads the SDK and the Temporal interceptors once an endpoint is set', () => {
    const loaded = otelModulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(loaded.some((f) => f.includes('interceptors-opentelemetry'))).toBe(true);
    expect(loaded.some((f) => f.includes('exporter-trace-otlp-http'))).toBe(true);
  }, 60_000);

  it('reads the standard variables: the traces endpoint as given, else /v1/traces under the general one', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toBe('http://jaeger:4318/v1/traces');
    expect(
      tracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b/t' }),
    ).toBe('http://b/t');
  });

  it('is a no-op when off: no headers, no log fields, no interceptors (none in the workflow bundle either)', () => {
    expect(traceHeaders()).toEqual({});
    expect(traceLogFields()).toEqual({});
    expect(workerTracing()).toEqual({});
    expect(workflowBundlerOptions).not.toHaveProperty('workflowInterceptorModules');
    expect(tracedBundlerOptions().workflowInterceptorModules).toEqual([
      expect.stringContaining('workflow-interceptors'),
    ]);
  });
});
