import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Tracer } from '@opentelemetry/api';
import { TraceState, suppressTracing } from '@opentelemetry/core';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { SpanRecorder, type RecorderLimits } from '../../src/server/span-recorder.ts';
import { PooledIdGenerator } from '../../src/server/trace-ids.ts';
import { samplerSetting, spanLimits, tracingEndpoint } from '../../src/server/tracing.ts';
import { ConfigError } from '../../src/server/config.ts';

const RESOURCE = resourceFromAttributes({ 'service.name': 'modelgate' });
const SCOPE = { name: 'modelgate', version: '9.9.9' };
/** Small limits, so every one of them is hit by the script below. */
const LIMITS: RecorderLimits = { attributeCountLimit: 4, attributeValueLengthLimit: 8, eventCountLimit: 2, linkCountLimit: 1, attributePerEventCountLimit: 1, attributePerLinkCountLimit: 1 };

const REMOTE = trace.setSpanContext(ROOT_CONTEXT, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=abc,other=1') });
const UNSAMPLED = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true });

/** What modelgate does with spans and more: every call of the Span API, past every limit, on ended spans too. */
function play(tracer: Tracer): void {
  const operation = tracer.startSpan('graphql', { kind: SpanKind.SERVER, attributes: { 'modelgate.principal': 'ci-bot' } }, REMOTE);
  operation.setAttributes({ 'modelgate.request_id': 'r-1', 'http.route': '/graphql' });
  operation.updateName('mutation Promote');
  const inside = trace.setSpan(ROOT_CONTEXT, operation);
  const call = tracer.startSpan('mlflow.getVersions', { kind: SpanKind.CLIENT, links: [{ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { why: 'copied', extra: 1 } }] }, inside);
  call.setAttributes({ ratio: 0.5, ok: true, codes: ['A', 'a long code'], long: 'more than eight', dropped: 'x' });
  call.setAttribute('ratio', 0.75);
  call.setAttribute('', 'no key');
  call.setAttribute('bad', { nested: true } as never);
  call.setAttribute('mixed', ['a', 1] as never);
  call.addEvent('retry', { attempt: 2, extra: 'dropped' });
  call.addEvent('retry', { attempt: 3 });
  call.addEvent('gave up');
  call.addLink({ context: { traceId: 'e'.repeat(32), spanId: 'f'.repeat(16), traceFlags: TraceFlags.NONE } });
  call.recordException(Object.assign(new Error('mlflow did not answer'), { stack: undefined }));
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'BACKEND_UNAVAILABLE: mlflow did not answer' });
  call.end();
  call.setAttribute('after', 'end');
  call.setStatus({ code: SpanStatusCode.OK });
  call.end();
  const store = tracer.startSpan('store.audit.append', { attributes: { 'é-key': 'ünïcødé ✓' } }, inside);
  store.setStatus({ code: SpanStatusCode.OK });
  store.setStatus({ code: SpanStatusCode.ERROR, message: 'too late: OK is final' });
  store.end();
  tracer.startSpan('not sampled', {}, UNSAMPLED).end();
  tracer.startSpan('a new trace', { root: true, kind: SpanKind.PRODUCER }, inside).end();
  operation.setStatus({ code: SpanStatusCode.ERROR, message: 42 as never });
  operation.setAttribute('http.response.status_code', 200);
  operation.end();
}

/** One export's JSON with ids replaced by their order of appearance and times checked, then dropped (two clocks never agree). */
function normalized(body: Uint8Array): unknown {
  const labels = new Map<string, string>();
  const label = (id: string) => (labels.has(id) ? labels.get(id)! : (labels.set(id, `id${labels.size}`), labels.get(id)!));
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (['traceId', 'spanId', 'parentSpanId'].includes(key) && typeof item === 'string' && item !== '') out[key] = label(item);
      else if (key.endsWith('UnixNano')) out[key] = typeof item === 'string' && BigInt(item) > 1_700_000_000_000_000_000n ? 'a time' : item;
      else out[key] = walk(item);
    }
    return out;
  };
  return walk(JSON.parse(Buffer.from(body).toString('utf8')));
}

function recorded(sampler: Sampler, parentBased = false): { exporter: InMemorySpanExporter; tracer: Tracer } {
  const exporter = new InMemorySpanExporter();
  const tracer = new SpanRecorder({ sampler, parentBased, ids: new PooledIdGenerator(), limits: LIMITS, processor: new SimpleSpanProcessor(exporter), resource: RESOURCE, scope: SCOPE });
  return { exporter, tracer };
}

describe('SpanRecorder: the request thread\'s spans', () => {
  it('export exactly as the SDK\'s own spans would for the same calls (ids and clock aside): limits, events, links, status, tracestate, sampling', () => {
    const sdk = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: RESOURCE, sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanLimits: LIMITS, spanProcessors: [new SimpleSpanProcessor(sdk)] });
    play(provider.getTracer(SCOPE.name, SCOPE.version));
    const ours = recorded(new AlwaysOnSampler(), true);
    play(ours.tracer);
    const spans = ours.exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['mlflow.getVersions', 'store.audit.append', 'a new trace', 'mutation Promote']);
    expect(normalized(JsonTraceSerializer.serializeRequest(spans)!)).toEqual(normalized(JsonTraceSerializer.serializeRequest(sdk.getFinishedSpans())!));
    // The limits were hit, not merely agreed on.
    const call = spans[0]!;
    expect({ dropped: call.droppedAttributesCount, events: call.events.length, droppedEvents: call.droppedEventsCount, droppedLinks: call.droppedLinksCount, long: call.attributes.long }).toEqual({ dropped: 1, events: 2, droppedEvents: 2, droppedLinks: 1, long: 'more tha' });
  });

  it('parentbased_always_off as the SDK does it: a sampled parent still decides, a new trace is not recorded', () => {
    const sdk = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ resource: RESOURCE, sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }), spanLimits: LIMITS, spanProcessors: [new SimpleSpanProcessor(sdk)] });
    play(provider.getTracer(SCOPE.name, SCOPE.version));
    const ours = recorded(new AlwaysOffSampler(), true);
    play(ours.tracer);
    const spans = ours.exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['mlflow.getVersions', 'store.audit.append', 'mutation Promote']);
    expect(normalized(JsonTraceSerializer.serializeRequest(spans)!)).toEqual(normalized(JsonTraceSerializer.serializeRequest(sdk.getFinishedSpans())!));
  });

  it('times a span on the wall clock at its start and the monotonic clock after', async () => {
    const { exporter, tracer } = recorded(new AlwaysOnSampler());
    const before = Date.now();
    const span = tracer.startSpan('timed', {}, ROOT_CONTEXT);
    await new Promise((resolve) => setTimeout(resolve, 30));
    span.end();
    const [ended] = exporter.getFinishedSpans();
    const start = ended!.startTime[0] * 1e3 + ended!.startTime[1] / 1e6;
    const duration = ended!.duration[0] * 1e3 + ended!.duration[1] / 1e6;
    expect(start).toBeGreaterThanOrEqual(before);
    expect(start).toBeLessThanOrEqual(before + 20);
    expect(duration).toBeGreaterThanOrEqual(25);
    expect(duration).toBeLessThan(2_000);
  });

  it('an unsampled span records and exports nothing but still carries valid ids, so backends continue the trace', () => {
    for (const [sampler, parentBased] of [[new AlwaysOffSampler(), false], [new TraceIdRatioBasedSampler(0), false], [new AlwaysOnSampler(), true]] as const) {
      const { exporter, tracer } = recorded(sampler, parentBased);
      const span = tracer.startSpan('graphql', { kind: SpanKind.SERVER }, parentBased ? UNSAMPLED : ROOT_CONTEXT);
      span.setAttribute('modelgate.result', 'OK');
      span.end();
      const { traceId, spanId, traceFlags } = span.spanContext();
      expect({ recording: span.isRecording(), traceFlags, exported: exporter.getFinishedSpans().length }).toEqual({ recording: false, traceFlags: TraceFlags.NONE, exported: 0 });
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('records nothing where tracing is suppressed', () => {
    const { exporter, tracer } = recorded(new AlwaysOnSampler());
    const span = tracer.startSpan('inside an export', {}, suppressTracing(ROOT_CONTEXT));
    span.end();
    expect({ recording: span.isRecording(), exported: exporter.getFinishedSpans().length }).toEqual({ recording: false, exported: 0 });
  });
});

describe('sampler and span limits from the standard variables', () => {
  it('follow the caller\'s decision by default; every sampler the specification names is taken, with its ratio', () => {
    expect(samplerSetting({})).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'always_off' })).toEqual({ name: 'always_off', ratio: 1 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(samplerSetting({ OTEL_TRACES_SAMPLER: 'traceidratio' })).toEqual({ name: 'traceidratio', ratio: 1 });
  });

  it('an unknown sampler or a ratio outside [0, 1] stops start-up, naming the variable', () => {
    expect(() => samplerSetting({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(ConfigError);
    expect(() => samplerSetting({ OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    for (const arg of ['1.5', '-0.1', 'half', 'NaN']) expect(() => samplerSetting({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: arg })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    // Checked where start-up reads the endpoint (a ConfigError exits 2 with the message); with tracing off, nothing is read.
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_SAMPLER: 'xray' })).toThrow(ConfigError);
    expect(() => tracingEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: 'lots' })).toThrow(ConfigError);
    expect(tracingEndpoint({ OTEL_TRACES_SAMPLER: 'xray' })).toBeNull();
  });

  it('limits: the span-specific variable first, then the general one, then the defaults (256 characters here); a bad number stops start-up', () => {
    expect(spanLimits({})).toEqual({ attributeValueLengthLimit: 256, attributeCountLimit: 128, eventCountLimit: 128, linkCountLimit: 128, attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128 });
    expect(spanLimits({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64', OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '10', OTEL_ATTRIBUTE_COUNT_LIMIT: '20' })).toMatchObject({ attributeValueLengthLimit: 64, attributeCountLimit: 10 });
    expect(spanLimits({ OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '32', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '64' })).toMatchObject({ attributeValueLengthLimit: 32 });
    for (const bad of ['-1', '1.5', 'many']) expect(() => spanLimits({ OTEL_SPAN_EVENT_COUNT_LIMIT: bad })).toThrow(/OTEL_SPAN_EVENT_COUNT_LIMIT must be a whole number/);
  });
});
