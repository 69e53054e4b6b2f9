import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import { tracing } from '../core/index.ts';

/**
 * JSON logs on stdout; credentials in headers never reach them. Written synchronously: the
 * asynchronous stream's flush at exit spins forever once stdout's reader is gone, so a
 * gateway whose terminal or wrapper died could never stop. With tracing on, each line carries
 * the trace and span it was written in.
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'modelgate' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
      // Checked per line, not at creation: tracing may start after the logger exists. A fresh object: pino merges into it.
      mixin: () => (tracing.enabled ? traceFields() : {}),
    },
    pino.destination({ fd: 1, sync: true }),
  );
}

/** The active span's ids, as `traceId` and `spanId`. */
export function traceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
