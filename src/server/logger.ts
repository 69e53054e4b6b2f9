import { pino, type Logger } from 'pino';

/**
 * JSON logs on stdout; credentials in headers never reach them. Written synchronously: the
 * asynchronous stream's flush at exit spins forever once stdout's reader is gone, so a
 * gateway whose terminal or wrapper died could never stop. With tracing on, a request's lines
 * carry its `traceId` and `spanId` as bindings of its child logger (src/server/http.ts).
 */
export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'modelgate' },
      redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
    },
    pino.destination({ fd: 1, sync: true }),
  );
}
