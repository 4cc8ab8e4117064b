import { describe, expect, it } from 'vitest';
import { InflightDedup, type DedupKey } from '../src/subgraph-client/dedup.ts';

/** A request whose answer the test decides when to give. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A fake subgraph: counts requests and answers each with what identifies it, after a tick. */
function subgraph() {
  const sent: DedupKey[] = [];
  return {
    sent,
    send: (request: DedupKey) => () => {
      sent.push(request);
      return new Promise<string>((resolve) => setImmediate(() => resolve(answerFor(request))));
    },
  };
}

const answerFor = (r: DedupKey) => JSON.stringify([r.subgraph, r.body, r.headers?.authorization ?? r.headers?.Authorization ?? null, r.headers?.['accept-language'] ?? null]);

const QUERY = 'query Feed__posts__0($first:Int){recentPosts(first:$first){edges{node{id viewerHasLiked}}}}';
/** The body the data source sends: the operation text, its variables and its name, as JSON. */
const bodyOf = (variables: unknown, query = QUERY, operationName: string | null = 'Feed__posts__0') => JSON.stringify({ query, variables, operationName });
const base: DedupKey = { subgraph: 'posts', body: bodyOf({ first: 20 }), headers: { authorization: 'Bearer viewer-1' } };

describe('InflightDedup', () => {
  it('sends identical concurrent requests once and gives every caller the answer', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const answers = await Promise.all(Array.from({ length: 10 }, () => dedup.run(base, fake.send(base))));
    expect(fake.sent).toHaveLength(1);
    expect(new Set(answers)).toEqual(new Set([answerFor(base)]));
    expect(dedup.stats).toMatchObject({ sent: 1, shared: 9 });
  });

  it('removes an entry when its request settles, so the next identical request is sent again', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const first = dedup.run(base, fake.send(base));
    expect(dedup.size).toBe(1);
    await first;
    await Promise.resolve();
    expect(dedup.size).toBe(0);
    await dedup.run(base, fake.send(base));
    expect(fake.sent).toHaveLength(2);
  });

  it('shares a failure with every waiting caller, then forgets it', async () => {
    const dedup = new InflightDedup<string>();
    const pending = deferred<string>();
    let calls = 0;
    const send = () => {
      calls++;
      return pending.promise;
    };
    const a = dedup.run(base, send);
    const b = dedup.run(base, send);
    pending.reject(new Error('subgraph down'));
    await expect(a).rejects.toThrow('subgraph down');
    await expect(b).rejects.toThrow('subgraph down');
    expect(calls).toBe(1);
    expect(dedup.size).toBe(0);
    await expect(dedup.run(base, async () => 'back')).resolves.toBe('back');
  });

  it('turns a synchronous throw into a rejection and leaves nothing behind', async () => {
    const dedup = new InflightDedup<string>();
    await expect(
      dedup.run(base, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await Promise.resolve();
    expect(dedup.size).toBe(0);
  });

  it('never shares an answer between two viewers', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const viewers = ['Bearer viewer-1', 'Bearer viewer-2', undefined];
    const requests = viewers.map((authorization) => ({ ...base, headers: authorization ? { authorization } : {} }));
    const answers = await Promise.all(requests.map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(3);
    answers.forEach((answer, i) => expect(answer).toBe(answerFor(requests[i])));
  });

  it('treats header names case-insensitively, and a missing header apart from a present one', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const lower = { ...base, headers: { authorization: 'Bearer viewer-1' } };
    const upper = { ...base, headers: { Authorization: 'Bearer viewer-1' } };
    const none = { ...base, headers: {} };
    const empty = { ...base, headers: { authorization: '' } };
    await Promise.all([lower, upper, none, empty].map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(3);
    expect(dedup.keyOf(lower)).toBe(dedup.keyOf(upper));
    expect(dedup.keyOf(none)).not.toBe(dedup.keyOf(empty));
  });

  it('keys on accept-language and on any other forwarded header, but not on per-request ids', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const requests: DedupKey[] = [
      { ...base, headers: { authorization: 'Bearer viewer-1', 'accept-language': 'en' } },
      { ...base, headers: { authorization: 'Bearer viewer-1', 'accept-language': 'fr' } },
      { ...base, headers: { authorization: 'Bearer viewer-1', 'x-tenant': 'a' } },
      // Same as the first but for tracing ids and the service token: shared.
      { ...base, headers: { authorization: 'Bearer viewer-1', 'accept-language': 'en', 'x-request-id': 'r2', traceparent: '00-abc-def-01', 'x-crossfade-gateway-token': 'svc' } },
    ];
    const answers = await Promise.all(requests.map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(3);
    expect(answers[3]).toBe(answers[0]);
    expect(answers[1]).not.toBe(answers[0]);
  });

  it('honours a custom list of ignored headers', () => {
    const dedup = new InflightDedup<string>({ ignoredHeaders: ['X-Trace'] });
    expect(dedup.keyOf({ ...base, headers: { 'x-trace': '1' } })).toBe(dedup.keyOf({ ...base, headers: { 'x-trace': '2' } }));
    expect(dedup.keyOf({ ...base, headers: { 'x-request-id': '1' } })).not.toBe(dedup.keyOf({ ...base, headers: { 'x-request-id': '2' } }));
  });

  it('never shares an answer between bodies carrying two different variable sets', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const variableSets: Record<string, unknown>[] = [
      { first: 20 },
      { first: 21 },
      { first: '20' },
      { first: null },
      {},
      { first: 20, after: 'abc' },
      { ids: [1, 2] },
      { ids: [2, 1] },
      { input: { a: 1, b: { c: [1, { d: 2 }] } } },
      { input: { a: 1, b: { c: [1, { d: 3 }] } } },
    ];
    const requests = variableSets.map((variables) => ({ ...base, body: bodyOf(variables) }));
    const answers = await Promise.all(requests.map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(variableSets.length);
    answers.forEach((answer, i) => expect(answer).toBe(answerFor(requests[i])));
  });

  it('shares between bodies built alike, but keys on the bytes: the same variables serialised in another key order are sent apart', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    // An undefined member is dropped by JSON.stringify: the bodies are byte-identical.
    const a = { ...base, body: bodyOf({ first: 20, input: { a: 1, b: 2 } }) };
    const b = { ...base, body: bodyOf({ first: 20, input: { a: 1, b: 2 }, after: undefined }) };
    const reordered = { ...base, body: bodyOf({ input: { b: 2, a: 1 }, first: 20 }) };
    const answers = await Promise.all([a, b, reordered].map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(2);
    expect(answers[1]).toBe(answers[0]);
    expect(answers[2]).toBe(answerFor(reordered));
    expect(dedup.stats).toMatchObject({ sent: 2, shared: 1 });
  });

  it('keys on the subgraph, and on the query text and the operation name inside the body', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    const requests: DedupKey[] = [
      base,
      { ...base, subgraph: 'users' },
      { ...base, body: bodyOf({ first: 20 }, `${QUERY} `) },
      { ...base, body: bodyOf({ first: 20 }, QUERY, 'Other') },
      { ...base, body: bodyOf({ first: 20 }, QUERY, null) },
    ];
    const answers = await Promise.all(requests.map((r) => dedup.run(r, fake.send(r))));
    expect(fake.sent).toHaveLength(5);
    answers.forEach((answer, i) => expect(answer).toBe(answerFor(requests[i])));
  });

  it('cannot be fooled by separators inside the body, the subgraph name or header values', () => {
    const dedup = new InflightDedup<string>();
    const a = dedup.keyOf({ subgraph: 'posts', body: 'q","x' });
    const b = dedup.keyOf({ subgraph: 'posts","q', body: 'x' });
    expect(a).not.toBe(b);
    const c = dedup.keyOf({ ...base, headers: { authorization: 'x', 'accept-language': 'y' } });
    const d = dedup.keyOf({ ...base, headers: { authorization: 'x","accept-language","y' } });
    expect(c).not.toBe(d);
  });

  it('keyed on the exact body, shares only byte-identical bodies, and still keys on the viewer', async () => {
    const dedup = new InflightDedup<string>();
    let sent = 0;
    const send = (answer: string) => () => new Promise<string>((resolve) => setImmediate(() => (sent++, resolve(answer))));
    const requests: DedupKey[] = [
      { ...base, body: bodyOf({ first: 20 }) },
      { ...base, body: bodyOf({ first: 20 }) },
      { ...base, body: bodyOf({ first: 21 }) },
      { ...base, body: bodyOf({ first: 20 }), headers: { authorization: 'Bearer viewer-2' } },
      { ...base, body: bodyOf({ first: 20 }), headers: {} },
      { ...base, subgraph: 'users', body: bodyOf({ first: 20 }) },
    ];
    const answers = await Promise.all(requests.map((r, i) => dedup.run(r, send(`answer ${i}`))));
    expect(sent).toBe(5);
    expect(answers).toEqual(['answer 0', 'answer 0', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
    // Byte for byte: a trailing space is another body.
    expect(dedup.keyOf({ ...base, body: 'x' })).not.toBe(dedup.keyOf({ ...base, body: 'x ' }));
  });

  it('never confuses the boundaries between subgraph, headers and body', () => {
    const dedup = new InflightDedup<string>();
    const keys = new Set([
      dedup.keyOf({ subgraph: 'posts', body: '' }),
      dedup.keyOf({ subgraph: 'posts', body: 'q' }),
      dedup.keyOf({ subgraph: 'posts', headers: { a: 'b' }, body: '' }),
      dedup.keyOf({ subgraph: 'posts', headers: { a: 'b1:a1:b' }, body: '' }),
      dedup.keyOf({ subgraph: 'posts', headers: { a: 'b', 'a1:': 'b' }, body: '' }),
      dedup.keyOf({ subgraph: 'posts', headers: { a: '' }, body: '' }),
      dedup.keyOf({ subgraph: 'posts', body: '1:a1:b' }),
      dedup.keyOf({ subgraph: 'posts', body: '1:1:a1:b' }),
      dedup.keyOf({ subgraph: 'posts1:x', body: '' }),
      dedup.keyOf({ subgraph: 'posts', body: '1:x' }),
    ]);
    expect(keys.size).toBe(10);
  });

  it('gives every caller its own copy when asked to clone', async () => {
    const dedup = new InflightDedup<{ data: { n: number } }>({ clone: (value) => structuredClone(value) });
    const send = () => new Promise<{ data: { n: number } }>((resolve) => setImmediate(() => resolve({ data: { n: 1 } })));
    const [a, b] = await Promise.all([dedup.run(base, send), dedup.run(base, send)]);
    expect(b).toEqual(a);
    a.data.n = 2;
    expect(b.data.n).toBe(1);
  });

  it('never shares a write, and a query sent after a write starts never joins one sent before it', async () => {
    const dedup = new InflightDedup<string>();
    const before = deferred<string>();
    const write = deferred<string>();
    let reads = 0;
    let writes = 0;
    const readBefore = dedup.run(base, () => (reads++, before.promise));
    const w1 = dedup.write(() => (writes++, write.promise));
    const w2 = dedup.write(() => (writes++, write.promise));
    expect(writes).toBe(2);
    // Issued after the writes started: a request of its own, not the one sent before them.
    const readAfter = dedup.run(base, async () => (reads++, 'after the write'));
    expect(reads).toBe(2);
    before.resolve('before the write');
    write.resolve('written');
    await expect(readBefore).resolves.toBe('before the write');
    await expect(readAfter).resolves.toBe('after the write');
    await expect(Promise.all([w1, w2])).resolves.toEqual(['written', 'written']);
    expect(dedup.stats.writes).toBe(2);
  });

  it('makes requests sent during a write unjoinable once it finishes too', async () => {
    const dedup = new InflightDedup<string>();
    const write = deferred<string>();
    const w = dedup.write(() => write.promise);
    const slowRead = deferred<string>();
    let reads = 0;
    // Sent while the write is in flight: it may have read the old state.
    const during = dedup.run(base, () => (reads++, slowRead.promise));
    write.resolve('ok');
    await w;
    await Promise.resolve();
    // After the write finished, a read must not join the one sent during it.
    const after = dedup.run(base, async () => (reads++, 'fresh'));
    expect(reads).toBe(2);
    slowRead.resolve('maybe stale');
    await expect(during).resolves.toBe('maybe stale');
    await expect(after).resolves.toBe('fresh');
  });

  it('under many concurrent viewers and variable sets, every caller gets the answer for its own request', async () => {
    const dedup = new InflightDedup<string>();
    const fake = subgraph();
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const requests = Array.from({ length: 500 }, (): DedupKey => {
      const viewer = random(6);
      return {
        subgraph: ['users', 'posts', 'media'][random(3)],
        body: bodyOf({ first: random(4), after: random(2) ? 'cursor' : undefined }),
        headers: viewer === 5 ? {} : { authorization: `Bearer viewer-${viewer}`, 'accept-language': ['en', 'de'][random(2)] },
      };
    });
    const answers = await Promise.all(requests.map((r) => dedup.run(r, fake.send(r))));
    answers.forEach((answer, i) => expect(answer).toBe(answerFor(requests[i])));
    const distinct = new Set(requests.map((r) => dedup.keyOf(r))).size;
    expect(fake.sent).toHaveLength(distinct);
    expect(distinct).toBeLessThan(requests.length);
    expect(dedup.size).toBe(0);
  });
});
