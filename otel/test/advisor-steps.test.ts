/**
 * Step responses on a virtual clock: a doubling of the load is answered within the panic window; a drop
 * is answered only after the scale-down stabilisation window, like the Kubernetes HPA.
 */
import { describe, expect, it } from 'vitest';
import { ScalingAdvisor, type SubgraphScaling } from '../src/advisor/index.ts';
import { feedFetches, poissonFetches, prng } from './fixtures/synthetic.ts';

/** Runs phases of Poisson load on posts and returns the advice at every whole second. */
function runSteps(seed: number, currentReplicas: number, meanLatencyMs: number, phases: { rate: number; from: number; to: number }[]): Map<number, SubgraphScaling> {
  const random = prng(seed);
  const clock = { now: 0 };
  const advisor = new ScalingAdvisor({ clock: () => clock.now, startedAt: 0, subgraphs: ['posts'], perSubgraph: { posts: { currentReplicas } } });
  const fetches = phases.flatMap((p) => poissonFetches(random, 'posts', p.rate, meanLatencyMs, p.from * 1000, p.to * 1000));
  const advice = new Map<number, SubgraphScaling>();
  feedFetches(advisor, clock, fetches, (second) => advice.set(second, advisor.snapshot().subgraphs[0]));
  return advice;
}

describe('step response', () => {
  it('scales up within the panic window (6 s) when the load doubles', () => {
    // 1050/s × 20 ms = 21 in flight: 2.1 replicas' worth on 2 replicas, inside the 10% tolerance, so no
    // change; doubled, 4.2 replicas' worth is over twice the current capacity: a panic.
    const step = 120;
    const advice = runSteps(5, 2, 20, [
      { rate: 1050, from: 0, to: step },
      { rate: 2100, from: step, to: step + 10 },
    ]);
    for (let s = 60; s <= step; s++) expect(advice.get(s)?.desiredReplicas, `at ${s} s`).toBe(2);
    const firstUp = [...advice].find(([second, a]) => second > step && a.desiredReplicas > 2)?.[0];
    expect(firstUp).toBeDefined();
    expect(firstUp! - step).toBeLessThanOrEqual(6);
    const after = advice.get(step + 6)!;
    expect(after.desiredReplicas).toBeGreaterThanOrEqual(5); // ceil(4.2): the panic window's need, not the stable window's 2.2
    expect(after.reason).toMatch(/^posts: 2 -> \d+ replicas; .*; panic: last 6 s need 4\.\d replicas$/);
  });

  it('does not scale down before 300 s of lower advice, and does after', () => {
    // 440/s × 100 ms = 44 in flight: 5 replicas (4.4 is outside the tolerance of 5, and ceils to 5).
    // Then 90/s: 9 in flight, 1 replica.
    const drop = 100;
    const advice = runSteps(6, 5, 100, [
      { rate: 440, from: 0, to: drop },
      { rate: 90, from: drop, to: drop + 420 },
    ]);
    expect(advice.get(drop)!.desiredReplicas).toBe(5);
    for (let s = drop; s <= drop + 300; s++) expect(advice.get(s)?.desiredReplicas, `at ${s} s`).toBe(5);
    // Lower advice all along since the stable window drained (60 s after the drop): held, and the reason says so.
    expect(advice.get(drop + 200)!.reason).toMatch(/; scale-down to 1 waits for 300 s of lower advice$/);
    // Down in steps as the higher advice of the window's first minute ages out, then 1.
    let previous = 5;
    for (let s = drop + 300; s <= drop + 420; s++) {
      const desired = advice.get(s)!.desiredReplicas;
      expect(desired).toBeLessThanOrEqual(previous);
      previous = desired;
    }
    expect(advice.get(drop + 365)!.desiredReplicas).toBe(1);
    expect(advice.get(drop + 365)!.reason).toMatch(/^posts: 5 -> 1 replicas; 0% of critical path; p95 \d+ ms; \d(\.\d)? in flight \(target 10 per replica\)$/);
  });
});
