/**
 * The live scaling advisor. The gateway feeds it the timing of every subgraph fetch and every operation;
 * the CLI feeds it the same from trace files on a virtual clock. It keeps one-second buckets per subgraph
 * (a fixed ring, so memory does not grow with traffic or uptime) and turns them into the figures and the
 * advice of /admin/scaling on demand.
 *
 * Times are milliseconds on the advisor's clock (`advisor.now()`); any clock works as long as the caller
 * uses the same one for the records it passes. Every public method that records is safe to call from a
 * request path: it never throws, it rejects nonsense (counted in `stats()`), and an internal failure is
 * reported once through `onError` and then only counted.
 */
import { criticalPath, type TimedFetch } from './critical-path.ts';
import { adviseReplicas, isPanic, replicaNeed, stabilize, type ReplicaNeed } from './model.ts';
import { formatReason } from './reason.ts';
import { TimeRing } from './ring.ts';
import {
  DEFAULT_MODEL_SETTINGS,
  resolveSubgraphSettings,
  SettingsError,
  validateDefaultSettings,
  validateModelSettings,
  validateSubgraphSettings,
  type ModelSettings,
  type SettingsInput,
  type SubgraphSettings,
} from './settings.ts';
import { LatencySketch } from './sketch.ts';

export interface FetchRecord {
  subgraph: string;
  /** Milliseconds on the advisor's clock. */
  start: number;
  end: number;
  /** False for a failed fetch (transport error, timeout, HTTP 5xx, or an unusable response). */
  ok: boolean;
}

export interface OperationRecord {
  /** Reserved: operation names are unbounded client input, so they are not aggregated (yet). */
  name?: string;
  start: number;
  end: number;
  /** The fetches of this operation's query plan, for its critical path. They are not counted as arrivals: record each with recordFetch too. */
  fetches: readonly TimedFetch[];
}

/** One subgraph in GET /admin/scaling. Rates per second, latencies in seconds, shares and error rates in [0, 1]. */
export interface SubgraphScaling {
  subgraph: string;
  currentReplicas: number;
  desiredReplicas: number;
  arrivalRate: number;
  latency: { mean: number | null; p50: number | null; p95: number | null; p99: number | null };
  /** λ·W over the stable window (Little's law), after scaling back any sampling. */
  inflight: number;
  errorRate: number;
  criticalPathShare: number;
  reason: string;
}

/** The body of GET /admin/scaling: hottest subgraph first. */
export interface ScalingSnapshot {
  generatedAt: string;
  subgraphs: SubgraphScaling[];
}

/** One point of GET /admin/history, taken every `stepSeconds`; figures over the stable window at time `t`. */
export interface HistorySample {
  /** Milliseconds on the advisor's clock (Unix milliseconds with the default clock). */
  t: number;
  currentReplicas: number;
  desiredReplicas: number;
  arrivalRate: number;
  /** Seconds. */
  p95: number | null;
  inflight: number;
  /** Time-average of the measured in-flight count; null when nothing measures it. */
  measuredInflight: number | null;
  errorRate: number;
  criticalPathShare: number;
}

/** The body of GET /admin/history: at most windowSeconds / stepSeconds samples per subgraph, oldest first. */
export interface ScalingHistory {
  generatedAt: string;
  stepSeconds: number;
  windowSeconds: number;
  subgraphs: { subgraph: string; samples: HistorySample[] }[];
}

export interface AdvisorStats {
  fetches: number;
  operations: number;
  /** Records refused as nonsense (NaN, negative durations, bad names, too old, too many subgraphs). */
  rejected: number;
  lastRejection: string | null;
  /** Internal failures swallowed so as not to break a request. */
  failures: number;
}

export interface AdvisorOptions extends SettingsInput {
  /** Subgraphs shown from the start, even before their first fetch (others appear on their first record). */
  subgraphs?: readonly string[];
  model?: Partial<ModelSettings>;
  /** Milliseconds; defaults to a monotonic clock aligned with Unix time. */
  clock?: () => number;
  /** When observation began, so that rates are not diluted by time before it; defaults to the clock at creation. */
  startedAt?: number;
  /** The fraction of operations recorded (trace files sampled at 1% → 0.01): counts are divided by it. */
  sampleRatio?: number;
  /** Reads the measured in-flight count of a subgraph (a gauge); otherwise beginFetch counts it. */
  measuredInflight?: (subgraph: string) => number | undefined;
  /** Called once, for the first internal failure; later ones are counted in stats().failures. */
  onError?: (error: unknown, where: string) => void;
  /** Cap on distinct subgraph names, so that garbage names cannot grow memory. */
  maxSubgraphs?: number;
  historySeconds?: number;
  historyStepSeconds?: number;
}

const BUCKET_MS = 1000;
const MAX_FETCHES_PER_OPERATION = 1000;
/** How far past the advisor's clock a record may end (callers read the clock a moment before recording). */
const MAX_AHEAD_MS = 5000;
const SUBGRAPH_NAME = /^[\x21-\x7e]{1,100}$/;
const QUANTILES = [0.5, 0.95, 0.99] as const;

class FetchBucket {
  fetches = 0;
  errors = 0;
  latencyMs = 0;
  readonly sketch = new LatencySketch();
  criticalMs = 0;
  inflightSum = 0;
  inflightSamples = 0;
}

function resetFetchBucket(bucket: FetchBucket): void {
  bucket.fetches = bucket.errors = bucket.latencyMs = bucket.criticalMs = bucket.inflightSum = bucket.inflightSamples = 0;
  bucket.sketch.clear();
}

class OperationBucket {
  operations = 0;
  durationMs = 0;
}

interface SubgraphState {
  name: string;
  settings: SubgraphSettings;
  buckets: TimeRing<FetchBucket>;
  /** The advice of each second (the highest, if evaluated more than once), for the scale-down window. */
  advice: TimeRing<{ value: number }>;
  history: TimeRing<{ sample: HistorySample | null }>;
  /** In flight through beginFetch. */
  inflight: number;
  countsInflight: boolean;
}

interface Totals {
  fetches: number;
  errors: number;
  latencyMs: number;
  criticalMs: number;
  inflightSum: number;
  inflightSamples: number;
  spanMs: number;
  sketch: LatencySketch | null;
}

interface Figures {
  arrivalRate: number;
  meanLatency: number | null;
  quantiles: (number | null)[];
  inflight: number;
  measuredInflight: number | null;
  errorRate: number;
  criticalPathShare: number;
  need: ReplicaNeed;
  panicNeed: ReplicaNeed;
  panic: boolean;
  advice: number;
  desired: number;
}

const round = (value: number) => (Number.isFinite(value) ? Number(value.toPrecision(6)) : 0);
const roundOrNull = (value: number | null) => (value === null ? null : round(value));

const defaultClock = () => performance.timeOrigin + performance.now();

/** The advisor's clock reading as an ISO date, or the raw number when it is not a Unix time. */
function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

export class ScalingAdvisor {
  readonly model: ModelSettings;
  readonly sampleRatio: number;
  readonly startedAt: number;
  readonly #clock: () => number;
  readonly #settingsInput: SettingsInput;
  readonly #states = new Map<string, SubgraphState>();
  readonly #operations: TimeRing<OperationBucket>;
  readonly #measuredInflight?: (subgraph: string) => number | undefined;
  readonly #onError: (error: unknown, where: string) => void;
  readonly #maxSubgraphs: number;
  readonly #historyStepMs: number;
  readonly #historySlots: number;
  #lastTick = Number.NEGATIVE_INFINITY;
  #lastHistoryStep = Number.NEGATIVE_INFINITY;
  #errorReported = false;
  readonly #stats: AdvisorStats = { fetches: 0, operations: 0, rejected: 0, lastRejection: null, failures: 0 };

  /** Throws SettingsError for bad settings: configuration fails fast, recording never does. */
  constructor(options: AdvisorOptions = {}) {
    this.model = validateModelSettings({ ...DEFAULT_MODEL_SETTINGS, ...Object.fromEntries(Object.entries(options.model ?? {}).filter(([, v]) => v !== undefined)) });
    this.sampleRatio = options.sampleRatio ?? 1;
    if (!(this.sampleRatio > 0 && this.sampleRatio <= 1)) throw new SettingsError(`advisor: sampleRatio must be in (0, 1], got ${options.sampleRatio}`);
    this.#clock = options.clock ?? defaultClock;
    this.startedAt = options.startedAt ?? this.#clock();
    this.#settingsInput = { defaults: options.defaults, perSubgraph: options.perSubgraph };
    this.#measuredInflight = options.measuredInflight;
    this.#onError =
      options.onError ?? ((error, where) => process.emitWarning(`scaling advisor: ${where} failed (${(error as Error)?.message ?? error}); later failures are only counted`));
    this.#maxSubgraphs = options.maxSubgraphs ?? 32;
    const historySeconds = options.historySeconds ?? 600;
    const stepSeconds = options.historyStepSeconds ?? 5;
    if (!(Number.isInteger(stepSeconds) && stepSeconds >= 1 && Number.isInteger(historySeconds) && historySeconds >= stepSeconds)) {
      throw new SettingsError(`advisor: historySeconds (${historySeconds}) and historyStepSeconds (${stepSeconds}) must be whole numbers, step >= 1, history >= step`);
    }
    this.#historyStepMs = stepSeconds * 1000;
    this.#historySlots = Math.floor(historySeconds / stepSeconds);
    this.#operations = new TimeRing(
      this.#bucketSlots(),
      () => new OperationBucket(),
      (b) => {
        b.operations = b.durationMs = 0;
      },
    );
    // Validate every configured subgraph now, including those only named in perSubgraph.
    validateDefaultSettings(this.#settingsInput);
    for (const name of new Set([...(options.subgraphs ?? []), ...Object.keys(options.perSubgraph ?? {})])) {
      if (!this.#state(name)) throw new SettingsError(`advisor: "${name}" is not a usable subgraph name, or there are more than ${this.#maxSubgraphs}`);
    }
  }

  /** The clock the advisor reads; pass its readings as start and end. NaN if the clock itself fails. */
  now(): number {
    return this.#safeNow();
  }

  /** One subgraph fetch, whatever its outcome. Never throws. */
  recordFetch(fetch: FetchRecord): void {
    this.#guard('recordFetch', () => {
      const problem = checkTimes(fetch) ?? this.#checkNotAhead(fetch.end);
      if (problem) return this.#reject(`fetch: ${problem}`);
      const state = this.#state(fetch.subgraph);
      if (!state) return this.#reject(`fetch: unusable subgraph name ${JSON.stringify(fetch.subgraph)?.slice(0, 120)}`);
      this.tick();
      const bucket = state.buckets.at(Math.floor(fetch.end / BUCKET_MS));
      if (!bucket) return this.#reject('fetch: ended before the stable window');
      const ms = fetch.end - fetch.start;
      bucket.fetches += 1;
      if (fetch.ok === false) bucket.errors += 1;
      bucket.latencyMs += ms;
      bucket.sketch.add(ms);
      this.#stats.fetches += 1;
    });
  }

  /** One operation with the fetches of its plan, for critical-path shares. Never throws. */
  recordOperation(operation: OperationRecord): void {
    this.#guard('recordOperation', () => {
      const problem = checkTimes(operation) ?? this.#checkNotAhead(operation.end);
      if (problem) return this.#reject(`operation: ${problem}`);
      if (!Array.isArray(operation.fetches)) return this.#reject('operation: fetches must be an array');
      // A bad fetch in a plan loses only itself; the operation still counts.
      const fetches = operation.fetches.filter((f) => !checkTimes(f) && this.#state(f.subgraph));
      this.tick();
      const index = Math.floor(operation.end / BUCKET_MS);
      const bucket = this.#operations.at(index);
      if (!bucket) return this.#reject('operation: ended before the stable window');
      bucket.operations += 1;
      bucket.durationMs += operation.end - operation.start;
      // Critical time is booked at the operation's end, like its duration, so shares in a window are consistent.
      for (const [subgraph, ms] of criticalPath(operation, fetches)) {
        const fetchBucket = this.#states.get(subgraph)?.buckets.at(index);
        if (fetchBucket) fetchBucket.criticalMs += ms;
      }
      this.#stats.operations += 1;
    });
  }

  /** Starts timing an operation (an Apollo plugin's requestDidStart); pass it to beginFetch, then call end(). */
  beginOperation(): OperationTimer {
    return new OperationTimer(this, this.#safeNow());
  }

  /**
   * Starts timing a fetch (a data source's process()) and counts it in flight. Returns the function to call
   * once it settled, with whether it succeeded; it records the fetch, and adds it to `operation` if given.
   */
  beginFetch(subgraph: string, operation?: OperationTimer): (ok: boolean) => void {
    const start = this.#safeNow();
    const state = this.#guard('beginFetch', () => this.#state(subgraph), undefined);
    if (state) {
      state.countsInflight = true;
      state.inflight += 1;
    }
    let settled = false;
    return (ok: boolean) => {
      if (settled) return;
      settled = true;
      if (state) state.inflight -= 1;
      const fetch = { subgraph, start, end: this.#safeNow(), ok };
      this.recordFetch(fetch);
      operation?.addFetch(fetch);
    };
  }

  /** Changes a subgraph's settings (current replicas once known, S once measured). Throws SettingsError on bad values. */
  configure(subgraph: string, settings: Partial<SubgraphSettings>): void {
    const state = this.#state(subgraph);
    if (!state) throw new SettingsError(`advisor: "${subgraph}" is not a usable subgraph name, or there are more than ${this.#maxSubgraphs}`);
    const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    state.settings = validateSubgraphSettings({ ...state.settings, ...defined }, `settings of subgraph "${subgraph}"`);
  }

  settingsOf(subgraph: string): SubgraphSettings | undefined {
    const state = this.#states.get(subgraph);
    return state && { ...state.settings };
  }

  /**
   * Brings the advisor up to the clock: once per second it evaluates the advice of every subgraph (for the
   * scale-down window) and samples the measured in-flight count; once per history step it takes a sample.
   * Recording and reading call it; a gateway may also call it from an unref'd timer so that idle periods are
   * sampled too. Never throws.
   */
  tick(): void {
    this.#guard('tick', () => {
      const now = this.#clock();
      const second = Math.floor(now / BUCKET_MS);
      if (!(second > this.#lastTick)) return;
      this.#lastTick = second;
      const historyStep = Math.floor(now / this.#historyStepMs);
      const sampleHistory = historyStep > this.#lastHistoryStep;
      if (sampleHistory) this.#lastHistoryStep = historyStep;
      for (const state of this.#states.values()) {
        const measured = this.#readInflight(state);
        if (measured !== undefined) {
          const bucket = state.buckets.at(second);
          if (bucket) {
            bucket.inflightSum += measured;
            bucket.inflightSamples += 1;
          }
        }
        const figures = this.#figures(state, now, sampleHistory);
        if (sampleHistory) {
          const slot = state.history.at(historyStep);
          if (slot) slot.sample = this.#sample(state, now, figures);
        }
      }
    });
  }

  /** The body of GET /admin/scaling. */
  snapshot(): ScalingSnapshot {
    this.tick();
    const now = this.#clock();
    const subgraphs = [...this.#states.values()].map((state) => this.#scaling(state, this.#figures(state, now, true)));
    subgraphs.sort((a, b) => b.criticalPathShare - a.criticalPathShare || b.desiredReplicas - a.desiredReplicas || (a.subgraph < b.subgraph ? -1 : 1));
    return { generatedAt: isoTime(now), subgraphs };
  }

  /** The body of GET /admin/history: the last historySeconds of samples, per subgraph by name. */
  history(): ScalingHistory {
    this.tick();
    const now = this.#clock();
    const step = Math.floor(now / this.#historyStepMs);
    const subgraphs = [...this.#states.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((state) => {
        const samples: HistorySample[] = [];
        for (const slot of state.history.between(step - this.#historySlots + 1, step)) if (slot.sample) samples.push(slot.sample);
        return { subgraph: state.name, samples };
      });
    return { generatedAt: isoTime(now), stepSeconds: this.#historyStepMs / 1000, windowSeconds: (this.#historySlots * this.#historyStepMs) / 1000, subgraphs };
  }

  stats(): AdvisorStats {
    return { ...this.#stats };
  }

  #bucketSlots(): number {
    // One more than the window: the oldest bucket of a window is usually only partly inside it.
    return this.model.stableWindowSeconds + 1;
  }

  #state(name: unknown): SubgraphState | undefined {
    if (typeof name !== 'string') return undefined;
    const existing = this.#states.get(name);
    if (existing) return existing;
    if (!SUBGRAPH_NAME.test(name) || this.#states.size >= this.#maxSubgraphs) return undefined;
    const state: SubgraphState = {
      name,
      settings: resolveSubgraphSettings(this.#settingsInput, name),
      buckets: new TimeRing(this.#bucketSlots(), () => new FetchBucket(), resetFetchBucket),
      advice: new TimeRing(
        this.model.scaleDownStabilizationSeconds + 1,
        () => ({ value: 0 }),
        (slot) => {
          slot.value = 0;
        },
      ),
      history: new TimeRing<{ sample: HistorySample | null }>(
        this.#historySlots,
        () => ({ sample: null }),
        (slot) => {
          slot.sample = null;
        },
      ),
      inflight: 0,
      countsInflight: false,
    };
    this.#states.set(name, state);
    return state;
  }

  #readInflight(state: SubgraphState): number | undefined {
    if (this.#measuredInflight) {
      const value = this.#guard('measuredInflight', () => this.#measuredInflight!(state.name), undefined);
      return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
    }
    return state.countsInflight ? state.inflight : undefined;
  }

  /** Sums of the buckets in the last `seconds` at `now`, and the time they cover. */
  #totals(state: SubgraphState, now: number, seconds: number, withSketch: boolean): Totals {
    const to = Math.floor(now / BUCKET_MS);
    const from = Math.floor((now - seconds * 1000) / BUCKET_MS) + 1;
    const totals: Totals = {
      fetches: 0,
      errors: 0,
      latencyMs: 0,
      criticalMs: 0,
      inflightSum: 0,
      inflightSamples: 0,
      spanMs: now - Math.max(from * BUCKET_MS, this.startedAt),
      sketch: withSketch ? new LatencySketch() : null,
    };
    for (const bucket of state.buckets.between(from, to)) {
      totals.fetches += bucket.fetches;
      totals.errors += bucket.errors;
      totals.latencyMs += bucket.latencyMs;
      totals.criticalMs += bucket.criticalMs;
      totals.inflightSum += bucket.inflightSum;
      totals.inflightSamples += bucket.inflightSamples;
      totals.sketch?.merge(bucket.sketch);
    }
    return totals;
  }

  #operationMs(now: number, seconds: number): number {
    const to = Math.floor(now / BUCKET_MS);
    const from = Math.floor((now - seconds * 1000) / BUCKET_MS) + 1;
    let ms = 0;
    for (const bucket of this.#operations.between(from, to)) ms += bucket.durationMs;
    return ms;
  }

  #load(totals: Totals) {
    // Completions per second: equal to arrivals in a steady state, and what Little's law needs with W.
    const arrivalRate = totals.spanMs > 0 ? totals.fetches / (totals.spanMs / 1000) / this.sampleRatio : 0;
    const meanLatencySeconds = totals.fetches > 0 ? totals.latencyMs / totals.fetches / 1000 : null;
    return { arrivalRate, meanLatencySeconds };
  }

  /** Every figure of one subgraph at `now`; also books the advice of this second for stabilisation. */
  #figures(state: SubgraphState, now: number, withQuantiles: boolean): Figures {
    const { settings } = state;
    const { stableWindowSeconds, panicWindowSeconds, panicThreshold, tolerance, scaleDownStabilizationSeconds } = this.model;
    const stable = this.#totals(state, now, stableWindowSeconds, withQuantiles);
    const load = this.#load(stable);
    const need = replicaNeed(load, settings);
    const panicNeed = replicaNeed(this.#load(this.#totals(state, now, panicWindowSeconds, false)), settings);
    const current = settings.currentReplicas;
    const panic = isPanic(panicNeed.replicas, current, panicThreshold);
    let advice = adviseReplicas(need.replicas, current, settings, tolerance);
    if (panic) advice = Math.max(advice, adviseReplicas(panicNeed.replicas, current, settings, tolerance));

    const second = Math.floor(now / BUCKET_MS);
    const slot = state.advice.at(second);
    if (slot && advice > slot.value) slot.value = advice;
    const recent: number[] = [];
    for (const past of state.advice.between(second - scaleDownStabilizationSeconds + 1, second)) recent.push(past.value);
    // Before a whole window has been observed, the unobserved part counts as advice to stay: a scale-down
    // needs the full window of lower advice, also right after a restart or in a short trace file.
    if (now - this.startedAt < scaleDownStabilizationSeconds * 1000) recent.push(current);
    const desired = stabilize(current, advice, recent);

    const operationMs = this.#operationMs(now, stableWindowSeconds);
    const quantiles = stable.sketch ? stable.sketch.quantiles(QUANTILES).map((ms) => (ms === null ? null : ms / 1000)) : QUANTILES.map(() => null);
    return {
      arrivalRate: load.arrivalRate,
      meanLatency: load.meanLatencySeconds,
      quantiles,
      inflight: load.arrivalRate * (load.meanLatencySeconds ?? 0),
      measuredInflight: stable.inflightSamples > 0 ? stable.inflightSum / stable.inflightSamples : null,
      errorRate: stable.fetches > 0 ? stable.errors / stable.fetches : 0,
      criticalPathShare: operationMs > 0 ? Math.min(1, stable.criticalMs / operationMs) : 0,
      need,
      panicNeed,
      panic,
      advice,
      desired,
    };
  }

  #scaling(state: SubgraphState, figures: Figures): SubgraphScaling {
    const { settings } = state;
    const [p50, p95, p99] = figures.quantiles;
    const result: SubgraphScaling = {
      subgraph: state.name,
      currentReplicas: settings.currentReplicas,
      desiredReplicas: figures.desired,
      arrivalRate: round(figures.arrivalRate),
      latency: { mean: roundOrNull(figures.meanLatency), p50: roundOrNull(p50), p95: roundOrNull(p95), p99: roundOrNull(p99) },
      inflight: round(figures.inflight),
      errorRate: round(figures.errorRate),
      criticalPathShare: round(figures.criticalPathShare),
      reason: '',
    };
    result.reason = formatReason({
      subgraph: state.name,
      currentReplicas: settings.currentReplicas,
      desiredReplicas: figures.desired,
      criticalPathShare: figures.criticalPathShare,
      p95Seconds: p95,
      inflight: figures.inflight,
      targetConcurrency: settings.targetConcurrency,
      cpu: settings.cpuSecondsPerRequest === null ? undefined : { cores: figures.arrivalRate * settings.cpuSecondsPerRequest, targetUtilization: settings.targetUtilization },
      panic:
        figures.panic && figures.advice > adviseReplicas(figures.need.replicas, settings.currentReplicas, settings, this.model.tolerance)
          ? { windowSeconds: this.model.panicWindowSeconds, replicas: figures.panicNeed.replicas }
          : undefined,
      heldDown: figures.desired > figures.advice ? { advice: figures.advice, windowSeconds: this.model.scaleDownStabilizationSeconds } : undefined,
    });
    return result;
  }

  #sample(state: SubgraphState, now: number, figures: Figures): HistorySample {
    return {
      t: now,
      currentReplicas: state.settings.currentReplicas,
      desiredReplicas: figures.desired,
      arrivalRate: round(figures.arrivalRate),
      p95: roundOrNull(figures.quantiles[1]),
      inflight: round(figures.inflight),
      measuredInflight: roundOrNull(figures.measuredInflight),
      errorRate: round(figures.errorRate),
      criticalPathShare: round(figures.criticalPathShare),
    };
  }

  #safeNow(): number {
    return this.#guard('clock', () => this.#clock(), Number.NaN);
  }

  /**
   * A record from the future (another clock, or garbage) would move the buckets ahead and make every later
   * record look too old: refused, so that one bad record cannot blind the advisor.
   */
  #checkNotAhead(end: number): string | null {
    const now = this.#clock();
    return end > now + MAX_AHEAD_MS ? `ends ${Math.round(end - now)} ms after the advisor's clock (pass times from advisor.now())` : null;
  }

  #reject(reason: string): void {
    this.#stats.rejected += 1;
    this.#stats.lastRejection = reason;
  }

  #guard<T>(where: string, body: () => T, fallback?: T): T {
    try {
      return body();
    } catch (error) {
      this.#stats.failures += 1;
      if (!this.#errorReported) {
        this.#errorReported = true;
        try {
          this.#onError(error, where);
        } catch {
          // A throwing logger must not break the request either.
        }
      }
      return fallback as T;
    }
  }
}

/** The timing of one operation, collected by beginFetch; end() records it. */
export class OperationTimer {
  readonly fetches: TimedFetch[] = [];
  #ended = false;

  constructor(
    private readonly advisor: ScalingAdvisor,
    readonly start: number,
  ) {}

  addFetch(fetch: TimedFetch): void {
    // A plan has a handful of fetches; the cap only guards memory against a pathological one.
    if (!this.#ended && this.fetches.length < MAX_FETCHES_PER_OPERATION) this.fetches.push(fetch);
  }

  end(name?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.advisor.recordOperation({ name, start: this.start, end: this.advisor.now(), fetches: this.fetches });
  }
}

/** Why a record's times are unusable, or null when they are fine. */
function checkTimes(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return 'not an object';
  const { start, end } = record as { start?: unknown; end?: unknown };
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isFinite(start) || !Number.isFinite(end)) return 'start and end must be finite numbers';
  if (end < start) return `negative duration (${end - start} ms)`;
  return null;
}

export function createAdvisor(options?: AdvisorOptions): ScalingAdvisor {
  return new ScalingAdvisor(options);
}
