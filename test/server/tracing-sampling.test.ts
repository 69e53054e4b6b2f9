import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { tracing } from '../../src/core/index.ts';
import { ConfigError } from '../../src/server/config.ts';
import { samplerSetting, spanLimits, startTracing, tracingEndpoint, type TracingHandle } from '../../src/server/tracing.ts';

// Nothing listens here: these tests look at the spans made, not at their export.
const ENDPOINT = 'http://127.0.0.1:9';
let handle: TracingHandle | undefined;
afterEach(async () => {
  await handle?.stop();
  handle = undefined;
});

describe('sampler and span limits from the standard variables', () => {
  it('follow the caller\'s decision by default; every sampler the specification names is taken, with its ratio', () => {
    expect(samplerSetting({})).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'always_off' })).toEqual({ name: 'always_off', ratio: 1 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'traceidratio' })).toEqual({ name: 'traceidratio', ratio: 1 });
  });

  it('an unknown sampler, a ratio outside [0, 1] or a limit that is not a whole number stops start-up, naming the variable', () => {
    expect(() => samplerSetting({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    for (const arg of ['1.5', '-0.1', 'half', 'NaN']) expect(() => samplerSetting({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: arg })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    for (const bad of ['-1', '1.5', 'many']) expect(() => spanLimits({ OTEL_SPAN_EVENT_COUNT_LIMIT: bad })).toThrow(/OTEL_SPAN_EVENT_COUNT_LIMIT must be a whole number/);
    // Checked where start-up reads the endpoint (a ConfigError exits 2 with its message); with tracing off nothing is read.
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_SAMPLER: 'xray' })).toThrow(ConfigError);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots' })).toThrow(ConfigError);
    expect(tracingEndpoint({ OTEL_TRACES_SAMPLER: 'xray' })).toBeNull();
  });

  it('limits: the span-specific variable first, then the general one, then the defaults (256 characters here)', () => {
    expect(spanLimits({})).toEqual({ attributeValueLengthLimit: 256, attributeCountLimit: 128, eventCountLimit: 128, linkCountLimit: 128, attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128 });
    expect(spanLimits({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_ATTRIBUTE_COUNT_LIMIT: '20' })).toMatchObject({ attributeValueLengthLimit: 64, attributeCountLimit: 10 });
    expect(spanLimits({ OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '32', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64' })).toMatchObject({ attributeValueLengthLimit: 32 });
  });

  it('the gateway\'s tracer follows them: the environment it was started with, not the process\'s', async () => {
    handle = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_TRACES_SAMPLER: 'always_off' })!;
    const unsampled = tracing.tracer!.startSpan('graphql', {}, ROOT_CONTEXT);
    expect({ recording: unsampled.isRecording(), flags: unsampled.spanContext().traceFlags }).toEqual({ recording: false, flags: TraceFlags.NONE });
    await handle.stop();

    handle = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: ENDPOINT, OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '2', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '4' })!;
    // The default sampler follows a caller that did not sample...
    const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true });
    expect(tracing.tracer!.startSpan('graphql', {}, remote).isRecording()).toBe(false);
    // ...and records a new trace, within the limits.
    const span = tracing.tracer!.startSpan('graphql', {}, ROOT_CONTEXT).setAttributes({ a: 'abcdef', b: 'b', c: 'c' }) as unknown as ReadableSpan;
    expect({ attributes: span.attributes, dropped: span.droppedAttributesCount }).toEqual({ attributes: { a: 'abcd', b: 'b' }, dropped: 1 });
  });
});
