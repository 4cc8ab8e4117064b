import { traceFlagsHex } from '@crossfade/otel/http';
import { trace, type SpanContext } from '@opentelemetry/api';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * A request's trace ids as log fields. Lines logged with them carry the request's ids with no SDK running too
 * (requestTrace); with the SDK, every line logged inside a request gets the active span's (the mixin below).
 */
export function traceFields(context: SpanContext | undefined): Record<string, string> {
  if (!context) return {};
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: traceFlagsHex(context) };
}

const activeTraceFields = () => traceFields(trace.getActiveSpan()?.spanContext());

/** JSON lines on stdout; readable colours only when a person watches a terminal. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options = { name: service, level, base: { service }, mixin: activeTraceFields };
  return process.stdout.isTTY ? pino(options, pretty({ colorize: true, ignore: 'pid,hostname,service' })) : pino(options);
}
