/**
 * A fixed ring of time buckets addressed by absolute bucket number (time / width). A slot is reused when
 * time moves past it, so memory is `capacity` buckets however long the process runs and however much
 * traffic it sees. Buckets older than the ring are gone: asking for one returns undefined.
 */
export class TimeRing<T> {
  readonly #indexes: number[];
  readonly #values: T[];
  #newest = Number.NEGATIVE_INFINITY;

  constructor(
    readonly capacity: number,
    create: () => T,
    private readonly reset: (value: T) => void,
  ) {
    this.#indexes = new Array<number>(capacity).fill(Number.NEGATIVE_INFINITY);
    this.#values = Array.from({ length: capacity }, create);
  }

  #slot(index: number): number {
    return ((index % this.capacity) + this.capacity) % this.capacity;
  }

  /** The bucket for `index`, emptied first if its slot held an older bucket; undefined if too old to keep. */
  at(index: number): T | undefined {
    if (index > this.#newest) this.#newest = index;
    if (index <= this.#newest - this.capacity) return undefined;
    const slot = this.#slot(index);
    if (this.#indexes[slot] !== index) {
      this.reset(this.#values[slot]);
      this.#indexes[slot] = index;
    }
    return this.#values[slot];
  }

  /** The buckets with an index in [from, to] that hold data, oldest first. */
  *between(from: number, to: number): Generator<T> {
    const first = Math.max(from, to - this.capacity + 1);
    for (let index = first; index <= to; index++) {
      const slot = this.#slot(index);
      if (this.#indexes[slot] === index) yield this.#values[slot];
    }
  }

  /** Bucket indexes with data in [from, to], oldest first, paired with their buckets. */
  *entries(from: number, to: number): Generator<[number, T]> {
    const first = Math.max(from, to - this.capacity + 1);
    for (let index = first; index <= to; index++) {
      const slot = this.#slot(index);
      if (this.#indexes[slot] === index) yield [index, this.#values[slot]];
    }
  }
}
