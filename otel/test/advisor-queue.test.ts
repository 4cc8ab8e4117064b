/**
 * Queueing theory as the judge: simulate an M/M/c queue (seeded event simulation), let the advisor watch
 * it, then simulate again at the advised replica count. At the advice, utilisation stays at or under ρ*
 * (CPU-bound service, S known) and the in-flight count per replica sits just under C* (I/O-bound service);
 * one replica fewer would break the target, so the advice is also the smallest that works.
 */
import { describe, expect, it } from 'vitest';
import { ceilReplicas, ScalingAdvisor, type SubgraphScaling, type SubgraphSettings } from '../src/advisor/index.ts';
import { feedFetches, simulateMMc, type QueueRun } from './fixtures/synthetic.ts';

const MINUTE = 60_000;

function watch(run: QueueRun, settings: Partial<SubgraphSettings>): SubgraphScaling {
  const clock = { now: 0 };
  const advisor = new ScalingAdvisor({ clock: () => clock.now, startedAt: 0, perSubgraph: { posts: settings } });
  feedFetches(
    advisor,
    clock,
    run.requests.map((r) => ({ subgraph: 'posts', start: r.start, end: r.end, ok: true })),
  );
  clock.now = MINUTE; // read the advice over exactly the simulated minute
  return advisor.snapshot().subgraphs[0];
}

describe('advice checked against an M/M/c queue', () => {
  it('CPU-bound (one request at a time per replica, S known): utilisation at the advice is at or under ρ*', () => {
    const load = { ratePerSecond: 400, meanServiceMs: 10 }; // 4 CPUs busy: 4 / 0.6 = 6.7 → 7 replicas
    const observed = simulateMMc({ seed: 11, ...load, servers: 10, durationMs: MINUTE });
    const advice = watch(observed, { cpuSecondsPerRequest: 0.01, targetUtilization: 0.6 });

    // Little's law: the advisor's λ·W is the queue's time-average number in system.
    expect(Math.abs(advice.inflight / observed.meanInSystem - 1)).toBeLessThan(0.02);
    expect(advice.desiredReplicas).toBe(ceilReplicas((advice.arrivalRate * 0.01) / 0.6));
    expect(advice.desiredReplicas).toBe(7);

    const atAdvice = simulateMMc({ seed: 12, ...load, servers: advice.desiredReplicas, durationMs: 2 * MINUTE });
    const oneFewer = simulateMMc({ seed: 12, ...load, servers: advice.desiredReplicas - 1, durationMs: 2 * MINUTE });
    expect(atAdvice.utilisation).toBeLessThanOrEqual(0.6);
    expect(atAdvice.utilisation).toBeGreaterThan(0.5); // and not wastefully low
    expect(oneFewer.utilisation).toBeGreaterThan(0.6);
  });

  it('I/O-bound (16 concurrent requests per replica): in flight per replica at the advice is just under C*', () => {
    const perReplica = 16;
    const load = { ratePerSecond: 920, meanServiceMs: 50 }; // 46 in flight: 46 / 10 = 4.6 → 5 replicas
    const observed = simulateMMc({ seed: 21, ...load, servers: 8 * perReplica, durationMs: MINUTE });
    const advice = watch(observed, { targetConcurrency: 10 });

    expect(Math.abs(advice.inflight / observed.meanInSystem - 1)).toBeLessThan(0.02);
    expect(advice.desiredReplicas).toBe(ceilReplicas((advice.arrivalRate * advice.latency.mean!) / 10));
    expect(advice.desiredReplicas).toBe(5);

    const atAdvice = simulateMMc({ seed: 22, ...load, servers: advice.desiredReplicas * perReplica, durationMs: 2 * MINUTE });
    const inflightPerReplica = atAdvice.meanInSystem / advice.desiredReplicas;
    expect(inflightPerReplica).toBeLessThanOrEqual(10 * 1.02);
    expect(inflightPerReplica).toBeGreaterThan(10 * 0.8);
    const oneFewer = simulateMMc({ seed: 22, ...load, servers: (advice.desiredReplicas - 1) * perReplica, durationMs: 2 * MINUTE });
    expect(oneFewer.meanInSystem / (advice.desiredReplicas - 1)).toBeGreaterThan(10);
  });
});
