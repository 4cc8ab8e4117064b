/**
 * The advisor's Prometheus gauges, computed at scrape time from one snapshot. prom-client calls every
 * collect() of a scrape synchronously before awaiting any, so the snapshot is taken by the first collect of
 * a scrape and dropped in the next microtask: one snapshot per scrape, consistent across gauges.
 */
import { Gauge, type Registry } from 'prom-client';
import { Metric } from '../names.ts';
import type { ScalingAdvisor, ScalingSnapshot } from './advisor.ts';

export function registerAdvisorMetrics(advisor: ScalingAdvisor, registry: Registry): void {
  let cached: ScalingSnapshot | null = null;
  const snapshot = (): ScalingSnapshot => {
    if (!cached) {
      try {
        cached = advisor.snapshot();
      } catch {
        // A failing advisor leaves its gauges empty; the scrape and the gateway's own metrics go on.
        cached = { generatedAt: '', subgraphs: [] };
      }
      queueMicrotask(() => {
        cached = null;
      });
    }
    return cached;
  };

  const gauge = (name: string, help: string, labelNames: string[], fill: (gauge: Gauge, snapshot: ScalingSnapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // Subgraphs and quantiles come and go; stale label sets must not linger.
        this.reset();
        fill(this, snapshot());
      },
    });

  gauge(Metric.DESIRED_REPLICAS, 'Replicas the scaling advisor recommends, per subgraph', ['subgraph'], (g, s) => {
    for (const sub of s.subgraphs) g.set({ subgraph: sub.subgraph }, sub.desiredReplicas);
  });
  gauge(Metric.ARRIVAL_RATE, 'Subgraph requests per second over the stable window', ['subgraph'], (g, s) => {
    for (const sub of s.subgraphs) g.set({ subgraph: sub.subgraph }, sub.arrivalRate);
  });
  gauge(Metric.INFLIGHT, "Subgraph requests in flight by Little's law (arrival rate x mean latency) over the stable window", ['subgraph'], (g, s) => {
    for (const sub of s.subgraphs) g.set({ subgraph: sub.subgraph }, sub.inflight);
  });
  gauge(Metric.LATENCY, 'Subgraph request latency quantiles in seconds over the stable window', ['subgraph', 'quantile'], (g, s) => {
    for (const sub of s.subgraphs) {
      for (const [quantile, value] of [
        ['0.5', sub.latency.p50],
        ['0.95', sub.latency.p95],
        ['0.99', sub.latency.p99],
      ] as const) {
        if (value !== null) g.set({ subgraph: sub.subgraph, quantile }, value);
      }
    }
  });
  gauge(Metric.CRITICAL_PATH_SHARE, "Share of operations' duration spent waiting for each subgraph, over the stable window", ['subgraph'], (g, s) => {
    for (const sub of s.subgraphs) g.set({ subgraph: sub.subgraph }, sub.criticalPathShare);
  });
}
