/** The advisor's pure parts: formulas, tolerance, stabilisation, critical path, reason, sketch, settings. */
import { describe, expect, it } from 'vitest';
import {
  adviseReplicas,
  ceilReplicas,
  criticalPath,
  DEFAULT_SUBGRAPH_SETTINGS,
  formatReason,
  isPanic,
  replicaNeed,
  resolveSubgraphSettings,
  ScalingAdvisor,
  SettingsError,
  stabilize,
  type SubgraphSettings,
} from '../src/advisor/index.ts';
import { TimeRing } from '../src/advisor/ring.ts';
import { LatencySketch, MAX_MS, MIN_MS } from '../src/advisor/sketch.ts';
import { prng, sampleQuantile } from './fixtures/synthetic.ts';

const settings = (overrides: Partial<SubgraphSettings> = {}): SubgraphSettings => ({ ...DEFAULT_SUBGRAPH_SETTINGS, ...overrides });

describe('replica formulas', () => {
  it('takes ceilings of floating-point needs without counting rounding noise as load', () => {
    expect(ceilReplicas(20.000000001)).toBe(20);
    expect(ceilReplicas(20.00001)).toBe(21);
    expect(ceilReplicas(4.4)).toBe(5);
    expect(ceilReplicas(0)).toBe(0);
    expect(ceilReplicas(Number.NaN)).toBe(0);
    // 6 req/s × 0.1 s / 0.6 is 1.0000000000000002 in floating point: one replica, not two.
    const need = replicaNeed({ arrivalRate: 6, meanLatencySeconds: 0 }, settings({ cpuSecondsPerRequest: 0.1 }));
    expect(need.byCpu).toBeGreaterThan(1);
    expect(adviseReplicas(need.replicas, 3, settings(), 0.1)).toBe(1);
  });

  it('uses the larger of λ·W/C* and λ·S/ρ*, and leaves the CPU term out where S is unknown', () => {
    expect(replicaNeed({ arrivalRate: 200, meanLatencySeconds: 0.25 }, settings())).toEqual({ byConcurrency: 5, byCpu: null, replicas: 5 });
    const cpu = replicaNeed({ arrivalRate: 200, meanLatencySeconds: 0.25 }, settings({ cpuSecondsPerRequest: 0.024, targetUtilization: 0.6, targetConcurrency: 20 }));
    expect(cpu.byConcurrency).toBe(2.5);
    expect(cpu.byCpu).toBeCloseTo(8, 12);
    expect(cpu.replicas).toBeCloseTo(8, 12);
    expect(replicaNeed({ arrivalRate: 0, meanLatencySeconds: null }, settings()).replicas).toBe(0);
  });

  it('ignores changes within the 10% tolerance and clamps to min and max', () => {
    expect(adviseReplicas(4.3, 4, settings(), 0.1)).toBe(4); // 7.5% over: no change
    expect(adviseReplicas(4.5, 4, settings(), 0.1)).toBe(5); // 12.5% over
    expect(adviseReplicas(3.7, 4, settings(), 0.1)).toBe(4); // 7.5% under
    expect(adviseReplicas(3.5, 4, settings(), 0.1)).toBe(4); // 12.5% under, but ceil(3.5) is 4 anyway
    expect(adviseReplicas(2.9, 4, settings(), 0.1)).toBe(3);
    expect(adviseReplicas(0, 4, settings(), 0.1)).toBe(1);
    expect(adviseReplicas(0, 4, settings({ minReplicas: 0 }), 0.1)).toBe(0);
    expect(adviseReplicas(75, 4, settings(), 0.1)).toBe(20);
    expect(adviseReplicas(75, 4, settings({ maxReplicas: 50 }), 0.1)).toBe(50);
    expect(adviseReplicas(3, 0, settings({ minReplicas: 0 }), 0.1)).toBe(3); // from zero, tolerance cannot apply
  });

  it('panics at twice the current replicas', () => {
    expect(isPanic(4, 2, 2)).toBe(true);
    expect(isPanic(3.99, 2, 2)).toBe(false);
    expect(isPanic(0.5, 0, 2)).toBe(true);
    expect(isPanic(0, 0, 2)).toBe(false);
  });

  it('stabilises like the HPA: up at once, down only to the highest recent advice', () => {
    expect(stabilize(2, 5, [2, 3])).toBe(5);
    expect(stabilize(5, 2, [5, 4, 2])).toBe(5);
    expect(stabilize(5, 2, [4, 3, 2])).toBe(4);
    expect(stabilize(5, 2, [])).toBe(2);
    expect(stabilize(5, 5, [9])).toBe(5); // never above the current count when not scaling up
  });
});

describe('critical path', () => {
  const op = { start: 0, end: 100 };

  it('gives users then the later of posts and media, and the gaps to the gateway', () => {
    const shares = criticalPath(op, [
      { subgraph: 'users', start: 5, end: 20 },
      { subgraph: 'posts', start: 22, end: 90 },
      { subgraph: 'media', start: 22, end: 60 },
    ]);
    expect(Object.fromEntries(shares)).toEqual({ users: 15, posts: 68 });
    // 100 - 15 - 68 = 17 ms of gateway time: 5 before users, 2 between, 10 after posts.
    const mediaLater = criticalPath(op, [
      { subgraph: 'users', start: 5, end: 20 },
      { subgraph: 'posts', start: 22, end: 60 },
      { subgraph: 'media', start: 22, end: 90 },
    ]);
    expect(Object.fromEntries(mediaLater)).toEqual({ users: 15, media: 68 });
  });

  it('follows a chain through overlapping fetches and counts a subgraph once per stretch', () => {
    // users [0,10] → posts [10,40] → users again [40,50], with media [15,45] overlapping both.
    const shares = criticalPath(op, [
      { subgraph: 'users', start: 0, end: 10 },
      { subgraph: 'posts', start: 10, end: 40 },
      { subgraph: 'media', start: 15, end: 45 },
      { subgraph: 'users', start: 40, end: 50 },
    ]);
    // From 100 back: gateway 50..100; users 40..50; at 40, media (ends at 45) overlaps and is skipped: posts
    // 10..40; then users 0..10. Media, always overlapped, gets nothing.
    expect(Object.fromEntries(shares)).toEqual({ users: 20, posts: 30 });
  });

  it('breaks ties in end time towards the longer fetch, clips to the operation, ignores fetches after it', () => {
    expect(
      Object.fromEntries(
        criticalPath(op, [
          { subgraph: 'posts', start: 30, end: 80 },
          { subgraph: 'media', start: 10, end: 80 },
        ]),
      ),
    ).toEqual({ media: 70 });
    expect(Object.fromEntries(criticalPath({ start: 10, end: 50 }, [{ subgraph: 'users', start: 0, end: 30 }]))).toEqual({ users: 20 });
    expect(Object.fromEntries(criticalPath({ start: 0, end: 50 }, [{ subgraph: 'users', start: 10, end: 60 }]))).toEqual({});
    expect(criticalPath(op, []).size).toBe(0);
  });
});

describe('reason', () => {
  it('reads exactly as ARCHITECTURE.md shows it', () => {
    expect(formatReason({ subgraph: 'posts', currentReplicas: 2, desiredReplicas: 5, criticalPathShare: 0.61, p95Seconds: 0.24, inflight: 14, targetConcurrency: 10 })).toBe(
      'posts: 2 -> 5 replicas; 61% of critical path; p95 240 ms; 14 in flight (target 10 per replica)',
    );
  });

  it('keeps the same start for unchanged advice and adds the optional clauses in a fixed order', () => {
    expect(formatReason({ subgraph: 'users', currentReplicas: 1, desiredReplicas: 1, criticalPathShare: 0.042, p95Seconds: 0.0031, inflight: 0.35, targetConcurrency: 10 })).toBe(
      'users: 1 -> 1 replicas; 4% of critical path; p95 3.1 ms; 0.35 in flight (target 10 per replica)',
    );
    expect(formatReason({ subgraph: 'media', currentReplicas: 1, desiredReplicas: 1, criticalPathShare: 0, p95Seconds: null, inflight: 0, targetConcurrency: 10 })).toBe(
      'media: 1 -> 1 replicas; 0% of critical path; p95 n/a; 0 in flight (target 10 per replica)',
    );
    expect(
      formatReason({
        subgraph: 'posts',
        currentReplicas: 4,
        desiredReplicas: 9,
        criticalPathShare: 0.5,
        p95Seconds: 0.1,
        inflight: 45,
        targetConcurrency: 10,
        cpu: { cores: 1.84, targetUtilization: 0.6 },
        panic: { windowSeconds: 6, replicas: 8.44 },
        heldDown: { advice: 2, windowSeconds: 300 },
      }),
    ).toBe(
      'posts: 4 -> 9 replicas; 50% of critical path; p95 100 ms; 45 in flight (target 10 per replica); CPU 1.8 cores (target 60% per replica); ' +
        'panic: last 6 s need 8.4 replicas; scale-down to 2 waits for 300 s of lower advice',
    );
  });
});

describe('latency sketch', () => {
  it('answers quantiles within 0.5% of the sample, over six orders of magnitude', () => {
    const random = prng(3);
    const values = Array.from({ length: 20_000 }, () => Math.exp(random() * 14 - 4)); // 0.02 ms .. 22 s
    const sketch = new LatencySketch();
    for (const v of values) sketch.add(v);
    const qs = [0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
    const answers = sketch.quantiles(qs);
    qs.forEach((q, i) => expect(Math.abs(answers[i]! / sampleQuantile(values, q) - 1)).toBeLessThanOrEqual(0.005 + 1e-12));
  });

  it('keeps a bounded number of bins whatever it is fed, and merges exactly', () => {
    const random = prng(4);
    const a = new LatencySketch();
    const b = new LatencySketch();
    for (let i = 0; i < 100_000; i++) (i % 2 ? a : b).add(10 ** (random() * 16 - 6)); // far beyond both clamps
    a.add(0);
    a.add(Number.MAX_VALUE);
    expect(a.binCount).toBeLessThanOrEqual(Math.ceil(Math.log(MAX_MS / MIN_MS) / Math.log(1.005 / 0.995)) + 2);
    const merged = new LatencySketch();
    merged.merge(a);
    merged.merge(b);
    expect(merged.count).toBe(100_002);
    expect(Math.abs(merged.quantiles([0])[0]! / MIN_MS - 1)).toBeLessThanOrEqual(0.005 + 1e-12);
    expect(new LatencySketch().quantiles([0.5])).toEqual([null]);
  });
});

describe('time ring', () => {
  it('reuses slots as time moves on and forgets what is older than its capacity', () => {
    const ring = new TimeRing(
      3,
      () => ({ n: 0 }),
      (b) => (b.n = 0),
    );
    ring.at(1)!.n = 1;
    ring.at(2)!.n = 2;
    ring.at(3)!.n = 3;
    expect([...ring.between(0, 3)].map((b) => b.n)).toEqual([1, 2, 3]);
    ring.at(5)!.n = 5; // reuses the slot of 2; 3 is still there, 4 was never written
    expect([...ring.entries(0, 5)].map(([i, b]) => [i, b.n])).toEqual([
      [3, 3],
      [5, 5],
    ]);
    expect(ring.at(2)).toBeUndefined();
    expect(ring.at(3)!.n).toBe(3);
  });
});

describe('settings', () => {
  it('fails fast on a bad setting, naming it and the subgraph', () => {
    expect(() => resolveSubgraphSettings({ perSubgraph: { posts: { targetConcurrency: 0 } } }, 'posts')).toThrow(/subgraph "posts".*targetConcurrency/);
    expect(() => resolveSubgraphSettings({ defaults: { minReplicas: 5, maxReplicas: 3 } }, 'users')).toThrow(/minReplicas \(5\) is above maxReplicas \(3\)/);
    expect(() => new ScalingAdvisor({ perSubgraph: { media: { targetUtilization: 1.5 } } })).toThrow(SettingsError);
    expect(() => new ScalingAdvisor({ model: { panicWindowSeconds: 90 } })).toThrow(/panicWindowSeconds/);
    expect(() => new ScalingAdvisor({ sampleRatio: 0 })).toThrow(/sampleRatio/);
    expect(resolveSubgraphSettings({ defaults: { targetConcurrency: 5 }, perSubgraph: { posts: { targetConcurrency: 20, minReplicas: undefined } } }, 'posts')).toEqual({
      ...DEFAULT_SUBGRAPH_SETTINGS,
      targetConcurrency: 20,
    });
  });
});
