import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Runs fn, and everything it awaits, with tracing suppressed: for work outside any request, such as
 * building a schema at start, which instrumentation would otherwise export as one-span root traces.
 */
export function untraced<T>(fn: () => T): T {
  return context.with(suppressTracing(context.active()), fn);
}
