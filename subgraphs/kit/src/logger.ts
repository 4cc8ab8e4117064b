import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; callers pick the service name. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}
