import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { failSpan, tracer, tracing, type CallContext, type CallTrace, type RegistryAdapter } from '../core/index.ts';

/** Local to the process: no span. */
const LOCAL: ReadonlySet<string | symbol> = new Set(['capabilities', 'close', 'withCall']);

/** Outside any per-call view (a direct call in a test or script): nothing cancels it. */
const UNBOUNDED: CallContext = { signal: new AbortController().signal, deadline: Number.MAX_SAFE_INTEGER };

/**
 * A span per backend call (registry, kind, method, result, retries), child of the active span;
 * its W3C trace context reaches the transport through the call's context. Sits between the
 * resilience wrapper and the adapter; with tracing off it is not installed at all.
 */
export function traceCalls(adapter: RegistryAdapter): RegistryAdapter {
  return tracing.enabled ? traced(adapter, undefined) : adapter;
}

function traced(adapter: RegistryAdapter, callContext: CallContext | undefined): RegistryAdapter {
  return new Proxy(adapter, {
    get(target, property, receiver) {
      // The per-call view is taken when the call starts, once its span (and traceparent) exists.
      if (property === 'withCall') return (next: CallContext) => traced(adapter, next);
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || LOCAL.has(property)) return value;
      return (...args: unknown[]) => call(adapter, callContext, property, args);
    },
  });
}

async function call(adapter: RegistryAdapter, callContext: CallContext | undefined, method: string, args: unknown[]): Promise<unknown> {
  const span = tracer().startSpan(`${adapter.kind}.${method}`, {
    kind: SpanKind.CLIENT,
    attributes: { 'modelgate.registry.id': adapter.id, 'modelgate.registry.kind': adapter.kind, 'modelgate.registry.method': method },
  });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  let retries = 0;
  const callTrace: CallTrace = { headers, retried: (count = 1) => void (retries += count) };
  const target = adapter.withCall ? adapter.withCall({ ...(callContext ?? UNBOUNDED), trace: callTrace }) : adapter;
  try {
    const result = await (Reflect.get(target, method) as (...a: unknown[]) => Promise<unknown>).apply(target, args);
    span.setAttribute('modelgate.result', 'OK');
    return result;
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.setAttribute('modelgate.registry.retries', retries);
    span.end();
  }
}
