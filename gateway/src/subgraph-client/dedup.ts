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
 *   const mutating = incomingOperationIsMutation || isMutation(request.query, request.operationName);
 *   const answer = mutating ? dedup.write(send) : dedup.run({ subgraph, query, body, headers }, send);
 *
 * - Never share mutations: `isMutation` tells (and says "mutation" whenever it is unsure). Every
 *   fetch of an operation whose incoming operation is a mutation should go through `write` too: the
 *   reads that follow a write must see it.
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
import { Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';

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
   * shared. Only for queries: see `isMutation` and `write`.
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

// ---- operation kind -------------------------------------------------------------------------------

export type OperationKind = 'query' | 'mutation' | 'subscription';

/**
 * The kind of the operation a request executes, from its text: a small lexer that skips strings,
 * block strings and comments and reads only the top-level definition keywords. Undefined when it
 * cannot tell (no such operation, several without a name to choose, a syntax it does not expect).
 */
export function operationKind(query: string | DocumentNode, operationName?: string | null): OperationKind | undefined {
  if (typeof query !== 'string') return kindFromDocument(query, operationName);
  const cacheKey = operationName ? `${operationName}\u0000${query}` : query;
  const cached = kindCache.get(cacheKey);
  if (cached !== undefined) return cached === 'unknown' ? undefined : cached;
  const kind = scanOperationKind(query, operationName ?? undefined);
  if (kindCache.size >= KIND_CACHE_SIZE) kindCache.clear();
  kindCache.set(cacheKey, kind ?? 'unknown');
  return kind;
}

/** True unless the operation is certainly a query: mutations, subscriptions and anything unclear are never shared. */
export function isMutation(query: string | DocumentNode, operationName?: string | null): boolean {
  return operationKind(query, operationName) !== 'query';
}

const KIND_CACHE_SIZE = 1000;
const kindCache = new Map<string, OperationKind | 'unknown'>();

function kindFromDocument(document: DocumentNode, operationName?: string | null): OperationKind | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const chosen = operationName ? operations.filter((o) => o.name?.value === operationName) : operations;
  return chosen.length === 1 ? chosen[0].operation : undefined;
}

const OPERATION_KEYWORDS = new Set(['query', 'mutation', 'subscription']);

function isNameStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isNameContinue(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57);
}

function scanOperationKind(text: string, operationName: string | undefined): OperationKind | undefined {
  const operations: { kind: OperationKind; name: string | undefined }[] = [];
  /** Nesting of {, ( and [. */
  let depth = 0;
  /** At depth 0: 'definition' expects a keyword or '{'; 'name' follows an operation keyword; 'header' is the rest before '{'. */
  let state: 'definition' | 'name' | 'header' = 'definition';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const code = text.charCodeAt(i);
    // Ignored tokens: white space, line terminators, commas, BOM.
    if (code === 32 || code === 9 || code === 10 || code === 13 || code === 44 || code === 0xfeff) {
      i++;
      continue;
    }
    if (code === 35 /* # */) {
      while (i < n && text.charCodeAt(i) !== 10 && text.charCodeAt(i) !== 13) i++;
      continue;
    }
    if (code === 34 /* " */) {
      if (text.startsWith('"""', i)) {
        i += 3;
        for (;;) {
          if (i >= n) return undefined;
          if (text.startsWith('\\"""', i)) i += 4;
          else if (text.startsWith('"""', i)) {
            i += 3;
            break;
          } else i++;
        }
      } else {
        i++;
        for (;;) {
          if (i >= n) return undefined;
          const c = text.charCodeAt(i);
          if (c === 10 || c === 13) return undefined;
          if (c === 92 /* \ */) i += 2;
          else if (c === 34) {
            i++;
            break;
          } else i++;
        }
      }
      if (depth === 0) {
        // A string at the top level is a description: only type-system documents have those.
        if (state === 'definition') return undefined;
        state = 'header';
      }
      continue;
    }
    if (isNameStart(code)) {
      const start = i;
      while (i < n && isNameContinue(text.charCodeAt(i))) i++;
      if (depth > 0) continue;
      const word = text.slice(start, i);
      if (state === 'definition') {
        if (OPERATION_KEYWORDS.has(word)) {
          operations.push({ kind: word as OperationKind, name: undefined });
          state = 'name';
        } else if (word === 'fragment') {
          state = 'header';
        } else {
          // schema, type, extend...: not an executable document.
          return undefined;
        }
      } else if (state === 'name') {
        operations[operations.length - 1].name = word;
        state = 'header';
      }
      continue;
    }
    if (code === 123 /* { */ || code === 40 /* ( */ || code === 91 /* [ */) {
      if (depth === 0 && state === 'definition') {
        if (code !== 123) return undefined;
        operations.push({ kind: 'query', name: undefined });
      }
      if (depth === 0) state = 'header';
      depth++;
      i++;
      continue;
    }
    if (code === 125 /* } */ || code === 41 /* ) */ || code === 93 /* ] */) {
      depth--;
      if (depth < 0) return undefined;
      i++;
      // Closing a top-level selection set ends the definition.
      if (depth === 0 && code === 125) state = 'definition';
      continue;
    }
    // Any other punctuator or a number: no meaning here, but a top-level one ends an operation's name slot.
    if (depth === 0 && state === 'name') state = 'header';
    if (depth === 0 && state === 'definition') return undefined;
    i++;
  }
  if (depth !== 0 || state !== 'definition') return undefined;
  const chosen = operationName ? operations.filter((o) => o.name === operationName) : operations;
  return chosen.length === 1 ? chosen[0].kind : undefined;
}
