/**
 * A latency sketch with a relative-error guarantee (the DDSketch idea): each value falls in the bin
 * ceil(log_γ(value)), and a quantile is answered with the middle of its bin, so every answer is within
 * ±RELATIVE_ACCURACY of the true sample quantile. Values are clamped to [MIN_MS, MAX_MS], which bounds
 * the number of bins (about 2,300) whatever the load: memory stays fixed, unlike keeping every sample.
 */

export const RELATIVE_ACCURACY = 0.005;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** One microsecond: anything faster is reported as this. */
export const MIN_MS = 1e-3;
/** About 2.8 hours: anything slower is reported as this. */
export const MAX_MS = 1e7;

const binOf = (ms: number) => Math.ceil(Math.log(Math.min(MAX_MS, Math.max(MIN_MS, ms))) / LOG_GAMMA);
/** The value with the smallest relative error to every value of the bin (γ^(i-1), γ^i]. */
const valueOf = (bin: number) => (2 * GAMMA ** bin) / (GAMMA + 1);

export class LatencySketch {
  readonly #bins = new Map<number, number>();
  #count = 0;

  get count(): number {
    return this.#count;
  }

  get binCount(): number {
    return this.#bins.size;
  }

  add(ms: number): void {
    const bin = binOf(ms);
    this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + 1);
    this.#count += 1;
  }

  merge(other: LatencySketch): void {
    for (const [bin, count] of other.#bins) this.#bins.set(bin, (this.#bins.get(bin) ?? 0) + count);
    this.#count += other.#count;
  }

  clear(): void {
    this.#bins.clear();
    this.#count = 0;
  }

  /**
   * Quantiles in milliseconds, null when empty. The q-quantile is the value of rank floor(q·(n-1)) in
   * ascending order (0-based), the "lower" convention, so p0 is the minimum and p100 the maximum.
   */
  quantiles(qs: readonly number[]): (number | null)[] {
    if (this.#count === 0) return qs.map(() => null);
    const bins = [...this.#bins.entries()].sort((a, b) => a[0] - b[0]);
    return qs.map((q) => {
      const rank = Math.floor(Math.min(1, Math.max(0, q)) * (this.#count - 1));
      let seen = 0;
      for (const [bin, count] of bins) {
        seen += count;
        if (seen > rank) return valueOf(bin);
      }
      return valueOf(bins[bins.length - 1][0]);
    });
  }
}
