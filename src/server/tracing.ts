import { context, propagation, trace } from '@opentelemetry/api';
import { tracing } from '../core/index.ts';
import { ConfigError } from './config.ts';

type Env = Record<string, string | undefined>;

/** Where spans go, from the standard OTEL_* variables; null when tracing stays off. */
export function tracingEndpoint(env: Env): string | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  if (exporters && exporters.length > 0 && !exporters.includes('otlp')) return null;
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const general = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const endpoint = specific || general;
  if (!endpoint) return null;
  const variable = specific ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`${variable} is not a URL: '${endpoint}' (expected e.g. http://collector:4318)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${variable} must be an http:// or https:// URL, not '${endpoint}'`);
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL)?.trim();
  if (protocol === 'grpc') throw new ConfigError('OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: modelgate exports OTLP over HTTP (port 4318 on a collector)');
  // The general endpoint is a base URL: the exporter appends /v1/traces to it, as the specification says.
  return specific ? url.href : new URL('v1/traces', url.href.endsWith('/') ? url.href : `${url.href}/`).href;
}

export interface TracingHandle {
  /** Sends what is buffered and turns tracing off again. */
  stop(): Promise<void>;
}

let running: Promise<TracingHandle> | null = null;

/**
 * Starts OpenTelemetry when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * _TRACES_ENDPOINT); otherwise nothing is loaded and the SDK's modules are never imported.
 * Once per process: the tracer provider, context manager and propagator are process-wide.
 */
export function startTracing(env: Env = process.env, version = 'unknown'): Promise<TracingHandle> | null {
  const endpoint = tracingEndpoint(env);
  if (!endpoint) return null;
  running ??= load(endpoint, env, version);
  return running;
}

async function load(endpoint: string, env: Env, version: string): Promise<TracingHandle> {
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { detectResources, envDetector, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || 'modelgate', 'service.version': version }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  // Batching, sampling (OTEL_TRACES_SAMPLER), headers and timeouts follow the OTEL_* variables too.
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: endpoint }))] });
  // An AsyncLocalStorage context manager and the W3C traceparent propagator: only while tracing is on.
  provider.register();
  tracing.enabled = true;
  return {
    async stop() {
      tracing.enabled = false;
      running = null;
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
