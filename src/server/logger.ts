import { pino, type Logger } from 'pino';

/** JSON logs on stdout; credentials in headers never reach them. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'modelgate' },
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password', '*.token'], censor: '[redacted]' },
  });
}
