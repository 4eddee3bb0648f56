import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. Request bodies and variables are never logged: they can carry patient references.
 */
export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', '*.password'], censor: '[redacted]' },
  });
}
