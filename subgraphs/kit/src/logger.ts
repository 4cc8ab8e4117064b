import { trace } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** Puts the active span's ids on every line logged inside a request. */
function traceIds() {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId, traceFlags } = span.spanContext();
  return { trace_id: traceId, span_id: spanId, trace_flags: `0${traceFlags.toString(16)}` };
}

/** JSON lines on stdout; readable colours only when a person watches a terminal. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = { name: service, level, base: { service }, mixin: traceIds };
  return process.stdout.isTTY ? pino(options, pretty({ colorize: true, ignore: 'pid,hostname,service' })) : pino(options);
}
