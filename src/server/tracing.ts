import { tracing } from '../core/index.ts';
import { ConfigError } from './config.ts';
import type { SpanLimits } from '@opentelemetry/sdk-trace-base';

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
  tracingProtocol(env);
  samplerSetting(env);
  spanLimits(env);
  // The general endpoint is a base URL: the exporter appends /v1/traces to it, as the specification says.
  return specific ? url.href : new URL('v1/traces', url.href.endsWith('/') ? url.href : `${url.href}/`).href;
}

/** OTLP/HTTP's two encodings; protobuf is the specification's default (and the cheaper to encode). */
export type TracingProtocol = 'http/protobuf' | 'http/json';

/** The encoding from OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL. */
export function tracingProtocol(env: Env): TracingProtocol {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL?.trim();
  const variable = specific ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = specific || env.OTEL_EXPORTER_OTLP_PROTOCOL?.trim() || 'http/protobuf';
  if (protocol === 'http/protobuf' || protocol === 'http/json') return protocol;
  if (protocol === 'grpc') throw new ConfigError(`${variable}=grpc is not supported: modelgate exports OTLP over HTTP (port 4318 on a collector), as http/protobuf or http/json`);
  throw new ConfigError(`${variable} must be http/protobuf or http/json, not '${protocol}'`);
}

/** What is kept of one attribute value unless OTEL_*ATTRIBUTE_VALUE_LENGTH_LIMIT says otherwise: names and keys a caller chose are bounded. */
const ATTRIBUTE_VALUE_LIMIT = 256;

/** The span limits from the standard variables (the span-specific one first), the specification's defaults otherwise; not a whole number >= 0 stops start-up. */
export function spanLimits(env: Env): Required<SpanLimits> {
  const limit = (fallback: number, ...variables: string[]): number => {
    for (const variable of variables) {
      const text = env[variable]?.trim();
      if (!text) continue;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${variable} must be a whole number >= 0, not '${text}'`);
      return value;
    }
    return fallback;
  };
  return {
    attributeValueLengthLimit: limit(ATTRIBUTE_VALUE_LIMIT, 'OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    attributeCountLimit: limit(128, 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT', 'OTEL_ATTRIBUTE_COUNT_LIMIT'),
    eventCountLimit: limit(128, 'OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: limit(128, 'OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: limit(128, 'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: limit(128, 'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT', 'OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
}

/** The specification's sampler names, the default following the caller's decision; SDK samplers. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

/** OTEL_TRACES_SAMPLER (and _ARG, a ratio in [0, 1], default 1) checked; an unknown sampler or a bad ratio stops start-up, naming the variable. */
export function samplerSetting(env: Env): { name: SamplerName; ratio: number } {
  const name = (env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on') as SamplerName;
  const known: SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];
  if (!known.includes(name)) throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${known.join(', ')}, not '${env.OTEL_TRACES_SAMPLER}'`);
  const arg = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  if (!name.endsWith('traceidratio') || !arg) return { name, ratio: 1 };
  const ratio = Number(arg);
  if (!(ratio >= 0 && ratio <= 1)) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1 for ${name}, not '${arg}'`);
  return { name, ratio };
}

export interface TracingHandle {
  /** Sends what is buffered and turns tracing off again. */
  stop(): Promise<void>;
}

let running: Promise<TracingHandle> | null = null;

/**
 * Starts OpenTelemetry when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT or
 * _TRACES_ENDPOINT); otherwise nothing is loaded and the SDK's modules are never imported.
 * No context manager and no global registration: spans are parented explicitly (core's TraceScope),
 * so no AsyncLocalStorage taxes the promises of traced and untraced work alike. Once per process.
 */
export function startTracing(env: Env = process.env, version = 'unknown'): Promise<TracingHandle> | null {
  const endpoint = tracingEndpoint(env);
  if (!endpoint) return null;
  running ??= load(endpoint, tracingProtocol(env), env, version);
  return running;
}

async function load(endpoint: string, protocol: TracingProtocol, env: Env, version: string): Promise<TracingHandle> {
  const [sdk, { W3CTraceContextPropagator }, { detectResources, envDetector, resourceFromAttributes }, { ExportThreadProcessor }, { PooledIdGenerator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('./span-export.ts'),
    import('./trace-ids.ts'),
  ]);
  const resource = resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || 'modelgate', 'service.version': version }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  await resource.waitForAsyncAttributes?.();
  const queue = Number(env.OTEL_BSP_MAX_QUEUE_SIZE);
  // Batching (OTEL_BSP_*: a bounded queue, one export at a time), headers and timeouts follow the OTEL_* variables, in the export thread;
  // sampling (OTEL_TRACES_SAMPLER) and limits here, where spans are made.
  const exporting = new ExportThreadProcessor({
    url: endpoint,
    protocol,
    resource: resource.attributes,
    scope: { name: 'modelgate', version },
    env,
    maxQueueSize: Number.isInteger(queue) && queue > 0 ? queue : 2048,
  });
  await exporting.ready();
  // Sampler and limits from this environment, checked at start-up, rather than left to the SDK's own reading of process.env (which falls back quietly).
  const setting = samplerSetting(env);
  const root = setting.name.endsWith('always_off') ? new sdk.AlwaysOffSampler() : setting.name.endsWith('traceidratio') ? new sdk.TraceIdRatioBasedSampler(setting.ratio) : new sdk.AlwaysOnSampler();
  const provider = new sdk.BasicTracerProvider({
    resource,
    sampler: setting.name.startsWith('parentbased_') ? new sdk.ParentBasedSampler({ root }) : root,
    idGenerator: new PooledIdGenerator(),
    spanLimits: spanLimits(env),
    spanProcessors: [exporting],
  });
  tracing.tracer = provider.getTracer('modelgate', version);
  tracing.propagator = new W3CTraceContextPropagator();
  tracing.enabled = true;
  return {
    async stop() {
      tracing.enabled = false;
      running = null;
      await provider.shutdown().catch(() => undefined);
      tracing.tracer = null;
      tracing.propagator = null;
    },
  };
}
