/**
 * In-flight de-duplication of identical subgraph queries.
 *
 * While a subgraph request is on the wire, an identical one (same subgraph, byte-identical request
 * body, the same answer-changing headers — the viewer's Authorization above all) waits for the
 * same promise instead of being sent again. The entry goes away as soon as the request settles:
 * nothing is cached past that.
 *
 * How to use it in a data source:
 *
 *   const dedup = new InflightDedup<RawAnswer>();
 *   const body = JSON.stringify({ query, variables, operationName }); // the exact bytes that will be sent
 *   const send = () => fetchFromSubgraph(body, ...);                  // resolves to something immutable (the response text)
 *   const answer = incomingOperationIsAQuery ? dedup.run({ subgraph, body, headers }, send) : dedup.write(send);
 *
 * - Never share mutations: every fetch of an incoming operation that is not a query goes through
 *   `write` (the query planner only makes mutation fetches for mutations, and the reads that follow
 *   a write must see it).
 * - `write` makes every request in flight unjoinable, when it starts and again when it settles: a
 *   query issued after a write started (or finished) through this instance never joins a request
 *   that was sent before, so a client that wrote and then reads sees its write (read-your-writes
 *   through one gateway process).
 * - `body` is the exact request body: two requests share only when the subgraph would receive
 *   byte-identical bodies. That is exact and cheap (no canonicalising of long entity
 *   representation lists); the only cost is a missed share when two equal variable objects were
 *   serialised in different key orders.
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
  /** The exact request body that will be sent to the subgraph. */
  body: string;
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

export interface DedupStats {
  /** Requests actually sent through `run`. */
  sent: number;
  /** Calls of `run` that shared a request already in flight. */
  shared: number;
  /** Calls of `write`. */
  writes: number;
}

export class InflightDedup<T> {
  readonly #inflight = new Map<string, Promise<T>>();
  readonly #ignored: Set<string>;
  readonly #clone: ((value: T) => T) | undefined;
  readonly stats: DedupStats = { sent: 0, shared: 0, writes: 0 };

  constructor(options: InflightDedupOptions<T> = {}) {
    this.#ignored = new Set([...(options.ignoredHeaders ?? DEFAULT_IGNORED_HEADERS)].map((name) => name.toLowerCase()));
    this.#clone = options.clone;
  }

  /** Requests in flight that others may join. */
  get size(): number {
    return this.#inflight.size;
  }

  /** The key of a request: subgraph, kept headers (lower-cased names, sorted) and body. */
  keyOf(request: DedupKey): string {
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
    // Every part is length-prefixed: no text inside a subgraph name, body or header can make two keys collide.
    return `${field(request.subgraph)}${headers.length}:${headers.join('')}${field(request.body)}`;
  }

  /**
   * Sends `send()` unless an identical request is already in flight, in which case its promise is
   * shared. Only for queries: writes go through `write`.
   */
  run(request: DedupKey, send: () => Promise<T>): Promise<T> {
    const key = this.keyOf(request);
    const existing = this.#inflight.get(key);
    if (existing) {
      this.stats.shared++;
      return this.#clone ? existing.then(this.#clone) : existing;
    }
    this.stats.sent++;
    const promise = invoke(send);
    this.#inflight.set(key, promise);
    const settle = () => {
      // A newer request (sent after a write cleared the map) may have taken the key: remove only our own.
      if (this.#inflight.get(key) === promise) this.#inflight.delete(key);
    };
    promise.then(settle, settle);
    return promise;
  }

  /** Sends a write (never shared) and makes every request already in flight unjoinable, before and after it. */
  write(send: () => Promise<T>): Promise<T> {
    this.stats.writes++;
    this.#inflight.clear();
    const promise = invoke(send);
    const after = () => this.#inflight.clear();
    promise.then(after, after);
    return promise;
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
