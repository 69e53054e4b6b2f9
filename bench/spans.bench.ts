/**
 * npm run bench:spans [-- --rounds 8 --requests 20000]
 *
 * What making spans costs the request thread: the three spans of a small query (the operation and
 * two backend calls, with the attributes modelgate sets), made by the SDK's own Tracer and by
 * modelgate's SpanRecorder, each handing ended spans to a span processor that reads them as the
 * export hand-over does. Interleaved rounds in one process; time per request, median of rounds.
 */
import { ROOT_CONTEXT, SpanKind, trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, ParentBasedSampler, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { parseArgs } from 'node:util';
import { SpanRecorder } from '../src/server/span-recorder.ts';
import { spanLimits } from '../src/server/tracing.ts';
import { PooledIdGenerator } from '../src/server/trace-ids.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' }, requests: { type: 'string', default: '20000' } } });

let read = 0;
/** Reads what the export hand-over copies of each span, so neither side can skip making it. */
const processor: SpanProcessor = {
  onStart() {},
  onEnd(span: ReadableSpan) {
    const context = span.spanContext();
    read += context.traceFlags + span.startTime[0] + span.endTime[1] + span.status.code + Object.keys(span.attributes).length + span.events.length + span.links.length + (span.parentSpanContext?.spanId.length ?? 0);
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const limits = spanLimits({});
const tracers: Record<string, Tracer> = {
  'SDK Tracer': new BasicTracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), idGenerator: new PooledIdGenerator(), spanLimits: limits, spanProcessors: [processor] }).getTracer('modelgate', 'bench'),
  SpanRecorder: new SpanRecorder({ sampler: new AlwaysOnSampler(), parentBased: true, ids: new PooledIdGenerator(), limits, processor, resource: resourceFromAttributes({}), scope: { name: 'modelgate', version: 'bench' } }),
};

/** One request's spans, as modelgate makes them for `model(name) { versions { metric } }` on the embedded registry. */
function request(tracer: Tracer): void {
  const operation = tracer.startSpan('graphql', { kind: SpanKind.SERVER }, ROOT_CONTEXT).setAttributes({ 'modelgate.principal': 'local-admin', 'modelgate.request_id': 'req-1', 'http.route': '/graphql' });
  const inside = trace.setSpan(ROOT_CONTEXT, operation);
  for (const method of ['listVersions', 'getMetrics']) {
    const call = tracer.startSpan(`local.${method}`, { kind: SpanKind.CLIENT }, inside).setAttributes({ 'modelgate.registry.id': 'local', 'modelgate.registry.kind': 'local', 'modelgate.registry.method': method });
    call.setAttributes({ 'modelgate.result': 'OK', 'modelgate.registry.retries': 0 });
    call.end();
  }
  operation.updateName('query Catalog');
  operation.setAttributes({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Catalog' });
  operation.setAttributes({ 'modelgate.result': 'OK' });
  operation.setAttribute('http.response.status_code', 200);
  operation.end();
}

const rounds = Number(values.rounds);
const requests = Number(values.requests);
const times: Record<string, number[]> = Object.fromEntries(Object.keys(tracers).map((name) => [name, []]));
// Warm both up first: the JIT's tiers, not the tracer, would decide round 1.
for (const tracer of Object.values(tracers)) for (let i = 0; i < requests; i++) request(tracer);
for (let round = 0; round < rounds; round++) {
  const order = round % 2 ? Object.keys(tracers).reverse() : Object.keys(tracers);
  for (const name of order) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < requests; i++) request(tracers[name]!);
    times[name]!.push(Number(process.hrtime.bigint() - started) / 1000 / requests);
  }
}
if (read === 0) throw new Error('no span reached the processor');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`Three spans per request (operation + two backend calls), ${requests} requests a round, ${rounds} interleaved rounds; Node ${process.version}.`);
console.log('');
console.log('| spans made by | µs per request (median [min–max]) | ÷ SDK |');
console.log('|---|---:|---:|');
const sdk = median(times['SDK Tracer']!);
for (const [name, list] of Object.entries(times)) console.log(`| ${name} | ${median(list).toFixed(2)} [${Math.min(...list).toFixed(2)}–${Math.max(...list).toFixed(2)}] | ${(median(list) / sdk).toFixed(2)} |`);
