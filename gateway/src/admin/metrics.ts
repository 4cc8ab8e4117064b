import { HTTP_DURATION_BUCKETS, Metric } from '@crossfade/otel/names';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The gateway's own counters: every request counts, whatever the trace sampling. */
export function createGatewayMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    subgraphRequests: new Counter({ name: Metric.SUBGRAPH_REQUESTS, help: 'Requests to each subgraph, by outcome', labelNames: ['subgraph', 'outcome'], registers: [registry] }),
    subgraphDuration: new Histogram({
      name: Metric.SUBGRAPH_DURATION,
      help: 'Duration of subgraph requests in seconds',
      labelNames: ['subgraph'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
    subgraphInflight: new Gauge({ name: Metric.SUBGRAPH_INFLIGHT, help: 'Subgraph requests in flight', labelNames: ['subgraph'], registers: [registry] }),
    operationRequests: new Counter({
      name: Metric.OPERATION_REQUESTS,
      help: 'GraphQL operations, by name, client and outcome',
      labelNames: ['operation', 'client', 'outcome'],
      registers: [registry],
    }),
    supergraphReloads: new Counter({
      name: 'crossfade_supergraph_reloads_total',
      help: 'Supergraph file changes, by outcome (applied, invalid, unreadable)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    plansWarmed: new Counter({
      name: 'crossfade_query_plans_warmed_total',
      help: 'Query plans computed ahead of requests, at start and on supergraph reload',
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: Metric.OPERATION_DURATION,
      help: 'GraphQL operation duration in seconds, by name and client',
      labelNames: ['operation', 'client'],
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}
export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

/** Client-chosen label values are bounded: a shape check, and at most `limit` distinct values. */
export function boundedLabel(limit: number) {
  const seen = new Set<string>();
  return (value: string | undefined | null, fallback: string): string => {
    if (!value || !/^[\w.:-]{1,64}$/.test(value)) return fallback;
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}
