import { SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { isRegistryError } from './errors.ts';

/**
 * Whether spans are recorded, by which tracer, and how incoming trace context is read. Set once at
 * start-up (src/server/tracing.ts) when an OTLP endpoint is configured; with it off nothing below runs.
 */
export const tracing: { enabled: boolean; tracer: Tracer | null; propagator: TextMapPropagator | null } = { enabled: false, tracer: null, propagator: null };

/** What a backend call carries for tracing: the headers that continue the trace and a retry count. */
export interface CallTrace {
  /** W3C trace context (`traceparent`, `tracestate`) for the backend's requests. */
  readonly headers: Readonly<Record<string, string>>;
  /** The transport sent a request again (a retried read). */
  retried(count?: number): void;
}

/** Span names and attribute values built from what callers send are cut to this many characters. */
export const TRACE_TEXT_LIMIT = 256;

/** The error code a span records: the RegistryError's code, else INTERNAL. */
export const resultOf = (error: unknown): string => (isRegistryError(error) ? error.code : 'INTERNAL');

/**
 * Marks a span failed with the error's code. The message is the one a GraphQL client is shown
 * (a RegistryError's, cut short); anything else may carry internals, so only its code is kept.
 */
export function failSpan(span: Span, error: unknown): void {
  const code = resultOf(error);
  span.setAttribute('modelgate.result', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: isRegistryError(error) ? clip(error.message) : code });
}

/** Text for a span, at most TRACE_TEXT_LIMIT characters and never a lone surrogate. */
export const clip = (text: string): string => (text.length > TRACE_TEXT_LIMIT ? text.slice(0, TRACE_TEXT_LIMIT) : text).toWellFormed();

/** The W3C `traceparent` (and `tracestate`) a span's own requests carry. */
export function traceHeaders(span: Span): Record<string, string> {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const headers: Record<string, string> = { traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}` };
  // What the caller sent was parsed and validated on the way in; only its valid members are written out.
  const state = traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

/**
 * One request's trace, handed on explicitly (the GraphQL context, the Caller, per-request registry
 * views) instead of through a context manager: AsyncLocalStorage's promise hooks tax every promise on
 * Node 20, traced or not. New spans hang under `current`: the operation's span, or a command's while it
 * runs; a request's commands run one at a time (GraphQL runs mutation fields in order), so one slot is enough.
 */
export class TraceScope {
  private current: Context;
  /** What this request made once and uses again (its registry views), by key (an object: no key string built per lookup). */
  private made: Map<object, unknown> | null = null;

  constructor(
    private readonly tracer: Tracer,
    /** The request's own span (the GraphQL operation). */
    readonly operation: Span,
    parent: Context,
  ) {
    this.current = trace.setSpan(parent, operation);
  }

  get traceId(): string {
    return this.operation.spanContext().traceId;
  }

  /** `make()` once per request and key. */
  once<T>(key: object, make: () => T): T {
    this.made ??= new Map();
    let value = this.made.get(key) as T | undefined;
    if (value === undefined) this.made.set(key, (value = make()));
    return value;
  }

  /** A span under the current one, not made current (the caller ends it). */
  start(name: string, attributes: Attributes, kind: SpanKind = SpanKind.INTERNAL): Span {
    // Set on the started span rather than passed in: the SDK's startSpan copies and checks start attributes twice more for its sampler, which needs none here.
    return this.tracer.startSpan(name, { kind }, this.current).setAttributes(attributes);
  }

  /** Runs `work` in a child span that is the current one until it settles; a failure marks it. */
  async within<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
    const span = this.start(name, attributes);
    const outer = this.current;
    this.current = trace.setSpan(outer, span);
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      this.current = outer;
      span.end();
    }
  }

  /** One backend call as a CLIENT span (registry, kind, method, result, retries); `work` gets the headers that continue it. */
  async call<T>(site: CallSite, work: (trace: CallTrace) => Promise<T>): Promise<T> {
    const span = this.start(site.name, site.attributes, SpanKind.CLIENT);
    const callTrace = new SpanCallTrace(span);
    try {
      const result = await work(callTrace);
      span.setAttributes({ 'modelgate.result': 'OK', 'modelgate.registry.retries': callTrace.retries });
      return result;
    } catch (error) {
      span.setAttribute('modelgate.registry.retries', callTrace.retries);
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  }
}

/** What every span of one registry's method carries, made once per method rather than per call. */
export interface CallSite {
  readonly name: string;
  readonly attributes: Attributes;
}

export function callSite(registry: { readonly id: string; readonly kind: string }, method: string): CallSite {
  // Frozen: shared by every span of the method (the SDK copies attributes into each span).
  return { name: `${registry.kind}.${method}`, attributes: Object.freeze({ 'modelgate.registry.id': registry.id, 'modelgate.registry.kind': registry.kind, 'modelgate.registry.method': method }) };
}

/** A backend call's CallTrace: its headers are written only when a transport asks (in-process adapters never do). */
class SpanCallTrace implements CallTrace {
  retries = 0;
  private written: Record<string, string> | null = null;

  constructor(private readonly span: Span) {}

  get headers(): Readonly<Record<string, string>> {
    return (this.written ??= traceHeaders(this.span));
  }

  retried(count = 1): void {
    this.retries += count;
  }
}
