/**
 * In-flight de-duplication of identical subgraph queries.
 *
 * While a subgraph request is on the wire, an identical one (same subgraph, same operation text
 * and name, the same variables, the same answer-changing headers — the viewer's Authorization
 * above all) waits for the same promise instead of being sent again. The entry goes away as soon
 * as the request settles: nothing is cached past that.
 *
 * How to use it in a data source:
 *
 *   const dedup = new InflightDedup<RawAnswer>();
 *   const send = () => fetchFromSubgraph(...);           // resolves to something immutable (the body text)
 *   const answer = incomingOperationIsAQuery ? dedup.run({ subgraph, query, body, headers }, send) : dedup.write(send);
 *
 * - Never share mutations: every fetch of an incoming operation that is not a query goes through
 *   `write` (the query planner only makes mutation fetches for mutations, and the reads that follow
 *   a write must see it).
 * - `write` also starts a new "epoch": a query issued after a write started (or finished) through
 *   this instance never joins a request that was sent before, so a client that wrote and then reads
 *   sees its write (read-your-writes through one gateway process).
 * - `headers` are the headers that will be sent to the subgraph (the forwarded client headers).
 *   All of them are part of the key except those listed in `ignoredHeaders` (per-request tracing
 *   ids and the gateway's own service token by default): a header added to the forward list
 *   later splits the key by default rather than leaking one caller's answer to another.
 * - Share an immutable value (the response text) or pass `clone`, so that callers that mutate their
 *   result (the gateway merges entity data into it) cannot see each other's changes.
 */
export type HeaderValue = string | readonly string[] | undefined;

export interface DedupKey {
  subgraph: string;
  query: string;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
  /**
   * The exact request body that will be sent, when the caller has it. Then the key is those bytes
   * (plus subgraph and headers) and query, operationName and variables are not looked at: two
   * requests share only when the subgraph would receive byte-identical bodies. Cheaper than
   * canonicalising the variables (entity fetches carry long representation lists), and exact; the
   * only cost is a missed share when two equal variable objects were built in different key orders.
   */
  body?: string;
  /** The headers sent to the subgraph (names in any case). */
  headers?: Readonly<Record<string, HeaderValue>>;
}

export interface InflightDedupOptions<T> {
  /** Header names (any case) that never change an answer and so stay out of the key. */
  ignoredHeaders?: Iterable<string>;
  /** Applied to the value each caller but the first receives (e.g. structuredClone). */
  clone?: (value: T) => T;
}

/** Per-request ids that never change a subgraph's answer, and the gateway's own service credential. */
export const DEFAULT_IGNORED_HEADERS: readonly string[] = ['x-request-id', 'traceparent', 'tracestate', 'x-crossfade-gateway-token'];

interface Entry<T> {
  promise: Promise<T>;
  epoch: number;
}

export interface DedupStats {
  /** Requests actually sent through `run`. */
  sent: number;
  /** Calls of `run` that shared a request already in flight. */
  shared: number;
  /** Calls of `run` that could not be keyed (variables that are not JSON) and were sent alone. */
  unkeyable: number;
  /** Calls of `write`. */
  writes: number;
}

/** JSON with object keys sorted at every depth; undefined members are dropped as JSON.stringify does. Throws on what JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') throw new TypeError(`cannot key a ${typeof value}`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('cannot key a non-finite number');
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw new TypeError('cannot key a non-plain object');
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(member)}`);
  }
  return `{${parts.join(',')}}`;
}

export class InflightDedup<T> {
  readonly #inflight = new Map<string, Entry<T>>();
  readonly #ignored: Set<string>;
  readonly #clone: ((value: T) => T) | undefined;
  #epoch = 0;
  readonly stats: DedupStats = { sent: 0, shared: 0, unkeyable: 0, writes: 0 };

  constructor(options: InflightDedupOptions<T> = {}) {
    this.#ignored = new Set([...(options.ignoredHeaders ?? DEFAULT_IGNORED_HEADERS)].map((name) => name.toLowerCase()));
    this.#clone = options.clone;
  }

  /** Requests in flight that others may join. */
  get size(): number {
    return this.#inflight.size;
  }

  /** The key of a request, or undefined when it cannot be keyed safely (then it is never shared). */
  keyOf(request: DedupKey): string | undefined {
    let payload: string;
    if (request.body !== undefined) {
      payload = `b${field(request.body)}`;
    } else {
      let variables: string;
      try {
        variables = canonicalJson(request.variables ?? {});
      } catch {
        return undefined;
      }
      payload = `q${field(request.query)}${request.operationName == null ? '-' : field(request.operationName)}${field(variables)}`;
    }
    const headers: string[] = [];
    const sent = request.headers;
    if (sent) {
      for (const name in sent) {
        const value = sent[name];
        const lower = name.toLowerCase();
        if (value === undefined || this.#ignored.has(lower)) continue;
        headers.push(`${field(lower)}${field(typeof value === 'string' ? value : value.join(', '))}`);
      }
    }
    if (headers.length > 1) headers.sort();
    // Every part is length-prefixed: no text inside a query, body or header value can make two keys collide.
    return `${field(request.subgraph)}${headers.length}:${headers.join('')}${payload}`;
  }

  /**
   * Sends `send()` unless an identical request is already in flight, in which case its promise is
   * shared. Only for queries: writes go through `write`.
   */
  run(request: DedupKey, send: () => Promise<T>): Promise<T> {
    const key = this.keyOf(request);
    if (key === undefined) {
      this.stats.unkeyable++;
      return invoke(send);
    }
    const existing = this.#inflight.get(key);
    if (existing && existing.epoch === this.#epoch) {
      this.stats.shared++;
      return this.#clone ? existing.promise.then(this.#clone) : existing.promise;
    }
    this.stats.sent++;
    const promise = invoke(send);
    const entry: Entry<T> = { promise, epoch: this.#epoch };
    this.#inflight.set(key, entry);
    const settle = () => {
      // A newer entry (after a write) may have taken the key: remove only our own.
      if (this.#inflight.get(key) === entry) this.#inflight.delete(key);
    };
    promise.then(settle, settle);
    return promise;
  }

  /** Sends a write (never shared) and makes every request already in flight unjoinable, before and after it. */
  write(send: () => Promise<T>): Promise<T> {
    this.stats.writes++;
    this.#newEpoch();
    const promise = invoke(send);
    const after = () => this.#newEpoch();
    promise.then(after, after);
    return promise;
  }

  #newEpoch(): void {
    this.#epoch++;
    // Entries of older epochs are never joined again; dropping them keeps the map small.
    this.#inflight.clear();
  }
}

/** A length-prefixed field: `<length>:<text>`. */
function field(text: string): string {
  return `${text.length}:${text}`;
}

function invoke<T>(send: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(send());
  } catch (error) {
    return Promise.reject(error);
  }
}
