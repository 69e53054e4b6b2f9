import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { isRegistryError } from './errors.ts';

/**
 * Whether spans are recorded. Set once at start-up (src/server/tracing.ts) when an OTLP endpoint
 * is configured; every hook checks it first, so tracing off costs one branch and no context work.
 */
export const tracing = { enabled: false };

/** What a backend call carries for tracing: the headers that continue the trace and a retry count. */
export interface CallTrace {
  /** W3C trace context (`traceparent`, `tracestate`) for the backend's requests. */
  readonly headers: Readonly<Record<string, string>>;
  /** The transport sent a request again (a retried read). */
  retried(count?: number): void;
}

export const tracer = () => trace.getTracer('modelgate');

/** The error code a span records: the RegistryError's code, else INTERNAL. */
export const resultOf = (error: unknown): string => (isRegistryError(error) ? error.code : 'INTERNAL');

/** Marks a span failed with the error's code. */
export function failSpan(span: Span, error: unknown): void {
  span.setAttribute('modelgate.result', resultOf(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Runs `work` in a child span of the active one when tracing is on (failures mark it); otherwise just runs it. */
export function inSpan<T>(name: string, attributes: Attributes, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!tracing.enabled) return work(undefined);
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}
