import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { ApolloServerPlugin } from '@apollo/server';
import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode, TraceScope, clip, failSpan, tracing } from '../core/index.ts';
import type { GatewayContext } from '../graphql/context.ts';
import type { GatewayMetrics } from './metrics.ts';

/** Codes that mean the gateway or a backend failed, not the caller: the operation span is an error. */
const FAULTS = new Set<string>([ErrorCode.INTERNAL, ErrorCode.BACKEND_UNAVAILABLE]);

const headerGetter = {
  keys: (headers: IncomingHttpHeaders) => Object.keys(headers),
  get: (headers: IncomingHttpHeaders, key: string) => headers[key],
};

/**
 * Runs one /graphql request in a SERVER span that continues the caller's W3C `traceparent`; the
 * plugin below names it after the operation once it is parsed. Only called with tracing on.
 */
export async function inOperationSpan<T extends { status?: number }>(
  headers: IncomingHttpHeaders,
  principal: string,
  requestId: string,
  run: (scope: TraceScope) => Promise<T>,
): Promise<T> {
  // The W3C propagator: a malformed `traceparent` (all-zero ids, version ff, junk) starts a new trace; bad `tracestate` members are dropped.
  // Without a `traceparent` there is nothing to continue (a lone `tracestate` is ignored), so most requests skip it.
  const parent = headers.traceparent === undefined ? ROOT_CONTEXT : tracing.propagator!.extract(ROOT_CONTEXT, headers, headerGetter);
  // Attributes set on the started span, not passed to startSpan: the SDK would copy and check them twice more there (no sampler of ours reads them).
  const span = tracing.tracer!.startSpan('graphql', { kind: SpanKind.SERVER }, parent).setAttributes({
    'modelgate.principal': clip(principal),
    'modelgate.request_id': requestId,
    'http.route': '/graphql',
  });
  try {
    const response = await run(new TraceScope(tracing.tracer!, span, parent));
    span.setAttribute('http.response.status_code', response.status ?? 200);
    return response;
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Operation metrics and the operation span's name and result; the access log reads `contextValue.seen`. */
export function operationTelemetry(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (!operation) return;
          const name = operation.name?.value ?? null;
          contextValue.seen.operation = { name, type: operation.operation };
          const span = contextValue.trace?.operation;
          if (!span) return;
          // Operation names are the caller's to choose, of any length: cut short like every caller-sent text.
          span.updateName(name ? clip(`${operation.operation} ${name}`) : operation.operation);
          span.setAttributes(name ? { 'graphql.operation.type': operation.operation, 'graphql.operation.name': clip(name) } : { 'graphql.operation.type': operation.operation });
        },
        async willSendResponse({ response, contextValue }) {
          metrics.recordOperation(contextValue.seen.operation?.name ?? null, contextValue.seen.operation?.type ?? null);
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const codes = (errors ?? []).map((error) => (typeof error.extensions?.code === 'string' ? error.extensions.code : ErrorCode.INTERNAL));
          for (const code of codes) metrics.recordGraphqlError(code);
          const span = contextValue.trace?.operation;
          if (span) markResult(span, codes);
        },
      };
    },
  };
}

function markResult(span: Span, codes: string[]): void {
  span.setAttributes(codes.length > 0 ? { 'modelgate.result': codes[0], 'modelgate.error_codes': [...new Set(codes)] } : { 'modelgate.result': 'OK' });
  const fault = codes.find((code) => FAULTS.has(code));
  if (fault) span.setStatus({ code: SpanStatusCode.ERROR, message: fault });
}
