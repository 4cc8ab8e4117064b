/**
 * The replica model, as pure functions (docs/scaling.md has the same formulas):
 *   need      = max(λ·W / C*, λ·S / ρ*)            (the CPU term only where S is known)
 *   advice    = current replicas if |need / current - 1| <= tolerance, else ceil(need), clamped to [min, max]
 *   panic     = the panic window's need >= panicThreshold × current replicas: its advice counts too
 *   desired   = the HPA's stabilisation of the advice: up at once, down only to the highest advice of the
 *               scale-down window
 */
import type { SubgraphSettings } from './settings.ts';

/**
 * Replica counts are ceilings of floating-point products: λ·S/ρ* for 6 req/s × 0.1 s / 0.6 is
 * 1.0000000000000002, and a plain ceil would ask for a second replica. Anything within this of a whole
 * number counts as that number (far below any real difference in load).
 */
export const CEIL_EPSILON = 1e-6;

export function ceilReplicas(need: number): number {
  if (!(need > 0)) return 0;
  return Math.ceil(need - CEIL_EPSILON);
}

export interface WindowLoad {
  /** λ, requests per second. */
  arrivalRate: number;
  /** W, mean latency in seconds; null with no completed request in the window. */
  meanLatencySeconds: number | null;
}

export interface ReplicaNeed {
  /** λ·W / C*: replicas to keep each at C* requests in flight (Little's law). */
  byConcurrency: number;
  /** λ·S / ρ*: replicas to keep each CPU at ρ*; null where S is unknown. */
  byCpu: number | null;
  /** The larger of the two, in fractional replicas. */
  replicas: number;
}

export function replicaNeed(load: WindowLoad, settings: SubgraphSettings): ReplicaNeed {
  const inflight = load.arrivalRate * (load.meanLatencySeconds ?? 0);
  const byConcurrency = inflight / settings.targetConcurrency;
  const byCpu = settings.cpuSecondsPerRequest === null ? null : (load.arrivalRate * settings.cpuSecondsPerRequest) / settings.targetUtilization;
  return { byConcurrency, byCpu, replicas: Math.max(byConcurrency, byCpu ?? 0) };
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** The advice for one need, before stabilisation: the HPA's tolerance, then the bounds. */
export function adviseReplicas(need: number, current: number, settings: SubgraphSettings, tolerance: number): number {
  const withinTolerance = current > 0 && Math.abs(need / current - 1) <= tolerance + CEIL_EPSILON;
  return clamp(withinTolerance ? current : ceilReplicas(need), settings.minReplicas, settings.maxReplicas);
}

/** A surge: the short window needs at least `threshold` times the replicas there are. */
export function isPanic(panicNeed: number, current: number, threshold: number): boolean {
  return panicNeed > 0 && panicNeed >= threshold * current - CEIL_EPSILON;
}

/**
 * The HPA's stabilisation (stabilizeRecommendationWithBehaviors) with a scale-up window of 0 and a
 * scale-down window whose advice is `recent` (including `advice` itself): the result never goes below
 * `advice` when scaling up, and never below the highest recent advice when scaling down.
 */
export function stabilize(current: number, advice: number, recent: Iterable<number>): number {
  let highest = advice;
  for (const value of recent) if (value > highest) highest = value;
  let desired = current;
  if (desired < advice) desired = advice;
  if (desired > highest) desired = highest;
  return desired;
}
