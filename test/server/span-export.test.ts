import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportThreadProcessor } from '../../src/server/span-export.ts';
import type { TracingProtocol } from '../../src/server/tracing.ts';

const RESOURCE = { 'service.name': 'modelgate', 'service.version': '9.9.9', 'deployment.environment': 'test' };
const SCOPE = { name: 'modelgate', version: '9.9.9' };

/** A collector in this process that keeps each export's body as sent. */
async function startRawReceiver(): Promise<{ url: string; bodies: Buffer[]; server: Server }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies, server };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function exportThread(url: string, protocol: TracingProtocol, env: Record<string, string> = {}, maxQueueSize = 2048) {
  const processor = new ExportThreadProcessor({ url, protocol, resource: RESOURCE, scope: SCOPE, env: { ...env }, maxQueueSize });
  cleanups.push(() => processor.shutdown());
  return processor;
}

/** Spans with everything OTLP carries: kinds, every attribute type, events, a link, error status, a remote parent with tracestate, an unsampled one. */
function makeSpans(provider: BasicTracerProvider): void {
  const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=1'),
  });
  const operation = tracer.startSpan('query Catalog', { kind: SpanKind.SERVER, attributes: { 'modelgate.principal': 'ci-bot', 'http.response.status_code': 200 } }, remote);
  const inside = trace.setSpan(ROOT_CONTEXT, operation);
  const call = tracer.startSpan('mlflow.getVersions', { kind: SpanKind.CLIENT, attributes: { 'modelgate.registry.id': 'ml', ratio: 0.5, ok: true, codes: ['A', 'B'], dropped: 'x' } }, inside);
  call.addEvent('retry', { attempt: 2 });
  call.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED, traceState: new TraceState('k=v') }, attributes: { why: 'copied' } });
  call.setStatus({ code: SpanStatusCode.ERROR, message: 'BACKEND_UNAVAILABLE: mlflow did not answer' });
  call.end();
  tracer.startSpan('store.audit.append', { attributes: { 'é-key': 'ünïcødé ✓' } }, inside).end();
  const unsampled = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.NONE, isRemote: true });
  tracer.startSpan('not sampled', {}, unsampled).end();
  operation.setStatus({ code: SpanStatusCode.OK });
  operation.end();
}

describe('spans are exported from a worker thread (ExportThreadProcessor)', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`exports exactly what the SDK's own ${protocol} exporter would send for the same spans`, async () => {
      const receiver = await startRawReceiver();
      cleanups.push(() => new Promise((resolve) => receiver.server.close(resolve)));
      const processor = exportThread(receiver.url, protocol);
      await processor.ready();
      const memory = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes(RESOURCE),
        // One attribute too many on the backend call: its dropped count must cross too.
        spanLimits: { attributeCountLimit: 4 },
        spanProcessors: [processor, new SimpleSpanProcessor(memory)],
      });
      makeSpans(provider);
      await processor.forceFlush();
      const spans: ReadableSpan[] = memory.getFinishedSpans().filter((span) => span.spanContext().traceFlags & TraceFlags.SAMPLED);
      expect(spans.map((span) => span.name)).toEqual(['mlflow.getVersions', 'store.audit.append', 'query Catalog']);
      expect(receiver.bodies).toHaveLength(1);
      if (protocol === 'http/json') {
        const expected = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));
        expect(JSON.parse(receiver.bodies[0]!.toString('utf8'))).toEqual(expected);
      } else {
        expect(Buffer.from(receiver.bodies[0]!).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!))).toBe(true);
      }
    });
  }

  it('keeps exporting while the request thread is busy: batching, encoding and posting run on the export thread', async () => {
    // The collector runs in another process and notes when each export arrives; this thread is blocked meanwhile.
    const collector: ChildProcess = spawn(
      process.execPath,
      ['-e', `require('http').createServer((q, s) => { q.resume(); q.on('end', () => { console.log(Date.now()); s.end('{}'); }); }).listen(0, '127.0.0.1', function () { console.log('port', this.address().port); });`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(() => collector.kill());
    const lines = createInterface({ input: collector.stdout! });
    const arrivals: number[] = [];
    const port = await new Promise<string>((resolve) => lines.on('line', (line) => (line.startsWith('port') ? resolve(line.split(' ')[1]!) : arrivals.push(Number(line)))));
    const processor = exportThread(`http://127.0.0.1:${port}/v1/traces`, 'http/protobuf', { OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '64' });
    await processor.ready();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes(RESOURCE), spanProcessors: [processor] });
    const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
    // Enough ended spans for a hand-over at once, then a second of work that never yields.
    for (let i = 0; i < 200; i++) tracer.startSpan(`span ${i}`, { attributes: { i } }).end();
    const busyFrom = Date.now();
    while (Date.now() - busyFrom < 1_000);
    const busyUntil = Date.now();
    await processor.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(arrivals.length).toBeGreaterThan(0);
    expect(arrivals.some((at) => at >= busyFrom && at < busyUntil)).toBe(true);
  });

  it('drops spans past OTEL_BSP_MAX_QUEUE_SIZE counted across both threads, and never throws into the caller', async () => {
    // A collector that never answers: nothing handed over is ever finished.
    let received = 0;
    const server = createServer(() => received++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))));
    const processor = exportThread(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, 'http/protobuf', { OTEL_BSP_SCHEDULE_DELAY: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5', OTEL_EXPORTER_OTLP_TIMEOUT: '2000' }, 20);
    await processor.ready();
    const provider = new BasicTracerProvider({ resource: resourceFromAttributes(RESOURCE), spanProcessors: [processor] });
    const tracer = provider.getTracer(SCOPE.name, SCOPE.version);
    const kept = () => {
      const { pendingSpans, handedOver } = processor as unknown as { pendingSpans: number; handedOver: number };
      return { waiting: pendingSpans, handedOver };
    };
    for (let i = 0; i < 500; i++) tracer.startSpan(`span ${i}`).end();
    expect(kept()).toEqual({ waiting: 20, handedOver: 0 });
    // Handed over (after 50 ms), now in the export thread's queue and its hung export: still counted, so later spans are dropped here.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(received).toBeGreaterThan(0);
    for (let i = 0; i < 500; i++) tracer.startSpan(`late ${i}`).end();
    expect(kept()).toEqual({ waiting: 0, handedOver: 20 });
    // The held exports time out (2 s), so shutting down afterwards is quick.
  });
});
