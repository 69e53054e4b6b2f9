import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomUUID } from 'node:crypto';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { describe, expect, inject, it } from 'vitest';
import { SageMakerRegistry } from '../../adapters/sagemaker/index.ts';
import { TraceScope, resilience, type RegistryAdapter } from '../../src/core/index.ts';
import { scaled } from '../support/time-scale.ts';
import { vertexSubject } from '../support/vertex/vertex-client.ts';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/**
 * The wiring the gateway uses for a traced request, minus GraphQL: a real SDK tracer, a TraceScope under
 * a caller's remote span (with a tracestate), and the adapter behind the resilience wrapper's view for it.
 */
function tracedView(adapter: RegistryAdapter) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('test');
  const parent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: CALLER_TRACE,
    spanId: CALLER_SPAN,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc'),
  });
  const operation = tracer.startSpan('graphql', {}, parent);
  const scope = new TraceScope(tracer, operation, parent);
  const view = resilience(adapter, { deadlineMs: scaled(60_000), failureThreshold: 50, cooldownMs: 1_000 })(scope);
  const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
  const spanById = (id: string) => spans().find((span) => span.spanContext().spanId === id);
  return { view, spans, spanById, operation };
}

/** `00-<trace>-<parent span>-<flags>` split into its parts. */
const parts = (traceparent: string | undefined) => {
  const [version, traceId, parentId, flags] = String(traceparent).split('-');
  return { version, traceId, parentId, flags };
};

describe('traceparent reaches SageMaker on every request (AWS SDK v3 middleware), against moto_server', () => {
  it('each SageMaker request as sent carries the backend call span as its parent, in the caller\'s trace, with the caller\'s tracestate', async () => {
    // The requests exactly as the SDK puts them on the wire (after signing), read by a middleware at the last step.
    const sent: { target: string; headers: Record<string, string> }[] = [];
    const client = new SageMakerClient({ region: 'us-east-1', endpoint: inject('motoUrl'), credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers: Record<string, string> };
        sent.push({ target: request.headers['x-amz-target'] ?? '', headers: { ...request.headers } });
        return next(args);
      },
      { step: 'deserialize', name: 'captureSentRequest' },
    );
    const adapter = new SageMakerRegistry({ id: 'aws', region: 'us-east-1', client });
    const traced = tracedView(adapter);
    const name = `traced-${randomUUID().slice(0, 8)}`;
    try {
      await traced.view.createModel({ name, description: 'propagation', tags: {} });
      await traced.view.createVersion({ name, source: 's3://bucket/model.tar.gz', tags: {}, metrics: {}, params: {} });
      expect((await traced.view.listVersions(name, {}, { first: 10 })).items.map((v) => v.version)).toEqual(['1']);
    } finally {
      await adapter.close();
    }
    expect(sent.length).toBeGreaterThanOrEqual(3);
    for (const request of sent) {
      const { version, traceId, parentId, flags } = parts(request.headers.traceparent);
      expect({ target: request.target, version, traceId, flags }).toEqual({ target: request.target, version: '00', traceId: CALLER_TRACE, flags: '01' });
      const sender = traced.spanById(parentId!);
      expect(sender?.name).toMatch(/^sagemaker\./);
      expect(sender?.parentSpanContext?.spanId).toBe(traced.operation.spanContext().spanId);
      expect(request.headers.tracestate).toBe('vendor=abc');
    }
    // Each request is sent by the span of the port method that made it.
    const create = sent.find((r) => r.target.endsWith('CreateModelPackageGroup'))!;
    expect(traced.spanById(parts(create.headers.traceparent).parentId!)?.name).toBe('sagemaker.createModel');
  }, scaled(120_000));
});

describe('traceparent reaches Vertex AI as gRPC metadata, as the Vertex stand-in receives it', () => {
  it('each RPC carries the backend call span as its parent, in the caller\'s trace, with the caller\'s tracestate', async () => {
    const subject = await vertexSubject('gcp');
    const traced = tracedView(subject.adapter);
    try {
      await traced.view.createVersion({ name: 'TracedVertex', source: 'gs://bucket/model', createModel: { description: 'propagation' } });
      await traced.view.listVersions('TracedVertex', {}, { first: 10 });
      const received = subject.standin.traceContext;
      expect(received.length).toBeGreaterThanOrEqual(3);
      for (const rpc of received) {
        const { version, traceId, parentId, flags } = parts(rpc.traceparent);
        expect({ method: rpc.method, version, traceId, flags }).toEqual({ method: rpc.method, version: '00', traceId: CALLER_TRACE, flags: '01' });
        expect(traced.spanById(parentId!)?.name).toMatch(/^vertex\./);
        expect(rpc.tracestate).toBe('vendor=abc');
      }
      const upload = received.find((rpc) => /^uploadModel$/i.test(rpc.method))!;
      expect(traced.spanById(parts(upload.traceparent).parentId!)?.name).toBe('vertex.createVersion');
    } finally {
      await subject.teardown();
    }
  }, scaled(120_000));
});
