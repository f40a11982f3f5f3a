/**
 * OpenTelemetry traces, on only when the standard `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set: then the worker, the client library and the CLI export spans over
 * OTLP/HTTP (JSON), Temporal's interceptors carry the context from the caller's start through the workflow to its
 * activities, and every NSE request carries a W3C `traceparent`. Unset, no OpenTelemetry module is loaded (the
 * `require`s below run only after the check) and nothing is sent; every function here is then a no-op.
 *
 * The workflow side (src/tracing-workflow-interceptors.ts) is only in the bundle of a worker with traces on
 * (`tracedBundlerOptions` in src/bundler-options.ts); its spans leave the sandbox through the `exporter` sink.
 * @module
 */
import type * as OtelApi from '@opentelemetry/api';
import type * as AsyncHooks from '@opentelemetry/context-async-hooks';
import type * as OtelCore from '@opentelemetry/core';
import type * as OtlpHttp from '@opentelemetry/exporter-trace-otlp-http';
import type * as Resources from '@opentelemetry/resources';
import type * as TraceBase from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type * as TemporalOtel from '@temporalio/interceptors-opentelemetry';

/* eslint-disable @typescript-eslint/no-require-imports -- loaded only when tracing is configured */

/** The workflow interceptors a traced worker's bundle carries; they export through the `exporter` sink. */
export const WORKFLOW_TRACING_MODULE = require.resolve('./tracing-workflow-interceptors');

/** Whether the environment asks for traces: an OTLP endpoint for all signals or for traces. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/** Where spans go: the traces endpoint as given, or `/v1/traces` under the general one (the OTLP rule). */
export function tracesUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

interface ActiveTracing {
  api: typeof OtelApi;
  temporal: typeof TemporalOtel;
  provider: TraceBase.BasicTracerProvider;
  processor: TraceBase.SpanProcessor;
  resource: Resources.Resource;
  tracer: OtelApi.Tracer;
}

let active: ActiveTracing | undefined;

/** Whether this process exports traces ({@link startTracing} turned them on). */
export function tracingActive(): boolean {
  return active !== undefined;
}

/**
 * Starts exporting spans as `serviceName` when the environment asks for it (once per process; later calls keep the
 * first service name). `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win over the name given. Answers whether
 * tracing is on.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (active) return true;
  if (!tracingConfigured(env)) return false;
  const api = require('@opentelemetry/api') as typeof OtelApi;
  const { Resource: ResourceClass, envDetectorSync } = require('@opentelemetry/resources') as typeof Resources;
  const { BasicTracerProvider: Provider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof TraceBase;
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks') as typeof AsyncHooks;
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof OtelCore;
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpHttp;
  const resource = ResourceClass.default()
    .merge(new ResourceClass({ 'service.name': serviceName }))
    .merge(envDetectorSync.detect());
  // The exporter reads its headers and timeout from the standard OTEL_EXPORTER_OTLP_* variables.
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(env) }));
  const provider = new Provider({ resource, spanProcessors: [processor] });
  provider.register({
    contextManager: new AsyncLocalStorageContextManager(),
    propagator: new W3CTraceContextPropagator(),
  });
  const temporal = require('@temporalio/interceptors-opentelemetry') as typeof TemporalOtel;
  active = { api, temporal, provider, processor, resource, tracer: provider.getTracer('nse-flow') };
  return true;
}

/** The client interceptors that start a span per call and pass its context to the workflow (none when off). */
export function tracingClientInterceptors(): ClientInterceptors | undefined {
  if (!active) return undefined;
  return { workflow: [new active.temporal.OpenTelemetryWorkflowClientInterceptor({ tracer: active.tracer })] };
}

/**
 * What a worker adds for traces: the workflow interceptors (always, see the module note), the activity, Nexus and
 * Nexus-client interceptors, and the `exporter` sink the workflow's spans leave by (dropping them when off).
 */
export function workerTracing(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  if (!active) return {}; // no workflow interceptors either: see src/bundler-options.ts
  const { temporal, tracer, processor, resource } = active;
  return {
    interceptors: {
      workflowModules: [WORKFLOW_TRACING_MODULE],
      activity: [
        (ctx) => ({
          inbound: new temporal.OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new temporal.OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      nexus: [
        (ctx) => ({
          inbound: new temporal.OpenTelemetryNexusInboundInterceptor(ctx, { tracer }),
          outbound: new temporal.OpenTelemetryNexusOutboundInterceptor(ctx),
        }),
      ],
      // The client a Nexus handler starts its run with: the run joins the caller's trace.
      client: tracingClientInterceptors(),
    },
    sinks: { exporter: temporal.makeWorkflowExporter(processor, resource) },
  };
}

/** The W3C `traceparent` (and `tracestate`) of the active span, for an outgoing HTTP request; empty when off. */
export function traceHeaders(): Record<string, string> {
  if (!active) return {};
  const carrier: Record<string, string> = {};
  active.api.propagation.inject(active.api.context.active(), carrier);
  return carrier;
}

/** `trace_id` and `span_id` of the active span, for log lines; empty when off or outside a span. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (!active) return {};
  const span = active.api.trace.getActiveSpan()?.spanContext();
  if (!span || !active.api.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

/** Runs `fn` inside a new active span `name` (the root of what a CLI command does); just runs it when off. */
export async function withSpan<T>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!active) return await fn();
  const { api } = active;
  return await active.tracer.startActiveSpan(name, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Sends the spans still buffered (a short-lived process calls this before it exits). */
export async function flushTracing(): Promise<void> {
  await active?.provider.forceFlush();
}

/** Flushes and stops exporting; tracing can be started again afterwards. */
export async function shutdownTracing(): Promise<void> {
  const stopping = active;
  if (!stopping) return;
  active = undefined;
  await stopping.provider.shutdown();
  stopping.api.trace.disable();
  stopping.api.context.disable();
  stopping.api.propagation.disable();
}
