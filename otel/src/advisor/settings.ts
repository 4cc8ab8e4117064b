/**
 * The advisor's settings: per subgraph (targets, bounds, current replicas) and for the model as a whole
 * (windows and stabilisation). Defaults are those of "Scaling advice" in ARCHITECTURE.md; docs/scaling.md
 * lists them all.
 */

export interface SubgraphSettings {
  /** Replicas running now. The advisor advises; it never scales, so this comes from configuration. */
  currentReplicas: number;
  /** C*: target in-flight requests per replica (the concurrency formula). */
  targetConcurrency: number;
  /** ρ*: target CPU utilisation per replica, in (0, 1] (the CPU formula). */
  targetUtilization: number;
  /** S: CPU seconds per request; null when unknown, which leaves the CPU formula out. */
  cpuSecondsPerRequest: number | null;
  minReplicas: number;
  maxReplicas: number;
}

export const DEFAULT_SUBGRAPH_SETTINGS: Readonly<SubgraphSettings> = Object.freeze({
  currentReplicas: 1,
  targetConcurrency: 10,
  targetUtilization: 0.6,
  cpuSecondsPerRequest: null,
  minReplicas: 1,
  maxReplicas: 20,
});

export interface ModelSettings {
  /** The window every figure is computed over, and the rate window of the KEDA queries. */
  stableWindowSeconds: number;
  /** A short window that detects a surge before the stable window catches up with it. */
  panicWindowSeconds: number;
  /** The panic window forces a scale-up when its load needs at least this multiple of the current replicas. */
  panicThreshold: number;
  /** Like the HPA's: a need within this fraction of the current replicas changes nothing. */
  tolerance: number;
  /** Like the HPA's downscale stabilisation window: the highest advice of this long wins. */
  scaleDownStabilizationSeconds: number;
}

export const DEFAULT_MODEL_SETTINGS: Readonly<ModelSettings> = Object.freeze({
  stableWindowSeconds: 60,
  panicWindowSeconds: 6,
  panicThreshold: 2,
  tolerance: 0.1,
  scaleDownStabilizationSeconds: 300,
});

/** A setting out of range; the message names it. Thrown at configuration time only, never while recording. */
export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Settings for every subgraph and overrides per subgraph name. */
export interface SettingsInput {
  defaults?: Partial<SubgraphSettings>;
  perSubgraph?: Record<string, Partial<SubgraphSettings>>;
}

function check(condition: boolean, where: string, message: string): void {
  if (!condition) throw new SettingsError(`${where}: ${message}`);
}

const isInt = (value: number) => Number.isInteger(value);

export function validateSubgraphSettings(settings: SubgraphSettings, where: string): SubgraphSettings {
  const { currentReplicas, targetConcurrency, targetUtilization, cpuSecondsPerRequest, minReplicas, maxReplicas } = settings;
  check(isInt(currentReplicas) && currentReplicas >= 0, where, `currentReplicas must be a whole number >= 0, got ${currentReplicas}`);
  check(Number.isFinite(targetConcurrency) && targetConcurrency > 0, where, `targetConcurrency (C*) must be > 0, got ${targetConcurrency}`);
  check(Number.isFinite(targetUtilization) && targetUtilization > 0 && targetUtilization <= 1, where, `targetUtilization (ρ*) must be in (0, 1], got ${targetUtilization}`);
  check(
    cpuSecondsPerRequest === null || (Number.isFinite(cpuSecondsPerRequest) && cpuSecondsPerRequest > 0),
    where,
    `cpuSecondsPerRequest (S) must be > 0 or unknown, got ${cpuSecondsPerRequest}`,
  );
  check(isInt(minReplicas) && minReplicas >= 0, where, `minReplicas must be a whole number >= 0, got ${minReplicas}`);
  check(isInt(maxReplicas) && maxReplicas >= 1, where, `maxReplicas must be a whole number >= 1, got ${maxReplicas}`);
  check(minReplicas <= maxReplicas, where, `minReplicas (${minReplicas}) is above maxReplicas (${maxReplicas})`);
  return settings;
}

export function validateModelSettings(model: ModelSettings): ModelSettings {
  const where = 'advisor';
  const { stableWindowSeconds, panicWindowSeconds, panicThreshold, tolerance, scaleDownStabilizationSeconds } = model;
  // Whole seconds: the advisor keeps its figures in one-second buckets.
  check(
    isInt(stableWindowSeconds) && stableWindowSeconds >= 1 && stableWindowSeconds <= 3600,
    where,
    `stableWindowSeconds must be a whole number in 1..3600, got ${stableWindowSeconds}`,
  );
  check(
    isInt(panicWindowSeconds) && panicWindowSeconds >= 1 && panicWindowSeconds <= stableWindowSeconds,
    where,
    `panicWindowSeconds must be a whole number in 1..stableWindowSeconds (${stableWindowSeconds}), got ${panicWindowSeconds}`,
  );
  check(Number.isFinite(panicThreshold) && panicThreshold > 1, where, `panicThreshold must be > 1, got ${panicThreshold}`);
  check(Number.isFinite(tolerance) && tolerance >= 0 && tolerance < 1, where, `tolerance must be in [0, 1), got ${tolerance}`);
  check(
    isInt(scaleDownStabilizationSeconds) && scaleDownStabilizationSeconds >= 0 && scaleDownStabilizationSeconds <= 3600,
    where,
    `scaleDownStabilizationSeconds must be a whole number in 0..3600, got ${scaleDownStabilizationSeconds}`,
  );
  return model;
}

/** Drops undefined values so that `{ minReplicas: undefined }` does not erase a default. */
function defined<T extends object>(partial: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(partial ?? {}).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** The settings of one subgraph: built-in defaults, then `defaults`, then its own overrides. */
export function resolveSubgraphSettings(input: SettingsInput, subgraph: string): SubgraphSettings {
  const settings = { ...DEFAULT_SUBGRAPH_SETTINGS, ...defined(input.defaults), ...defined(input.perSubgraph?.[subgraph]) };
  return validateSubgraphSettings(settings, `settings of subgraph "${subgraph}"`);
}

/** Checks the settings every subgraph starts from, before any subgraph is known. */
export function validateDefaultSettings(input: SettingsInput): SubgraphSettings {
  return validateSubgraphSettings({ ...DEFAULT_SUBGRAPH_SETTINGS, ...defined(input.defaults) }, 'default subgraph settings');
}
