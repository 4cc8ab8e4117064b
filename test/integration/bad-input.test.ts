import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { HOME_FEED, postJson, secrets, startStack, tokenFor, type Stack } from '../support/stack.ts';
import { tableRows } from '../support/assertions.ts';
import { DIALECTS } from '../support/databases.ts';

interface Answer {
  status: number;
  codes: string[];
  text: string;
}

const rowCounts = (stack: Stack) => tableRows({ users: stack.subgraphs.users.database.db, posts: stack.subgraphs.posts.database.db, media: stack.subgraphs.media.database.db });

async function send(url: string, init: RequestInit): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let codes: string[] = [];
  try {
    codes = (JSON.parse(text).errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
  } catch {
    // Not JSON: the status must then say it all.
  }
  return { status: response.status, codes, text };
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sign = (secret: string, claims: (jwt: SignJWT) => SignJWT) => claims(new SignJWT({}).setProtectedHeader({ alg: 'HS256' })).sign(new TextEncoder().encode(secret));
const nested = (depth: number) => `{ ${'user(id: "1") { followers(first: 1) { edges { node { '.repeat(Math.ceil(depth / 4))}id${' } } } }'.repeat(Math.ceil(depth / 4))} }`;

describe.each(DIALECTS)('bad input (%s): a 4xx or a coded error, the process up, nothing written', (dialect) => {
  let stack: Stack;
  let before: Record<string, number>;
  beforeAll(async () => {
    stack = await startStack(dialect);
    before = await rowCounts(stack);
  });
  afterAll(() => stack?.close());

  const cases: [string, (url: string) => Promise<Answer>, { status?: number | number[]; code?: string | string[] }][] = [
    [
      'malformed JSON',
      (url) => send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": "{ me { id } "' }),
      { status: 400, code: 'BAD_REQUEST' },
    ],
    ['an empty body', (url) => send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' }), { status: 400, code: 'BAD_REQUEST' }],
    ['a wrong content type', (url) => send(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"query":"{ me { id } }"}' }), { status: 400 }],
    [
      'a body that is not UTF-8',
      (url) => send(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) }),
      { status: 400, code: 'BAD_REQUEST' },
    ],
    ['a missing query', (url) => send(url, json({ variables: {} })), { status: 400, code: 'BAD_REQUEST' }],
    ['a query that is not a string', (url) => send(url, json({ query: 42 })), { status: 400, code: 'BAD_REQUEST' }],
    ['variables that are not an object', (url) => send(url, json({ query: '{ me { id } }', variables: 'x' })), { status: 400, code: 'BAD_REQUEST' }],
    ['a syntax error', (url) => send(url, json({ query: '{ me { id ' })), { status: 400, code: 'GRAPHQL_PARSE_FAILED' }],
    ['an unknown field', (url) => send(url, json({ query: '{ me { password } }' })), { status: 400, code: 'GRAPHQL_VALIDATION_FAILED' }],
    [
      'a GET mutation',
      (url) =>
        send(`${url}?query=${encodeURIComponent('mutation { createUser(input: { handle: "getter", displayName: "G" }) { id } }')}`, {
          headers: { 'apollo-require-preflight': 'true' },
        }),
      { status: 405 },
    ],
    ['a GET without a CSRF-safe header', (url) => send(`${url}?query=${encodeURIComponent('{ me { id } }')}`, {}), { status: 400 }],
    ['a 2 MB query', (url) => send(url, json({ query: `{ me { id } }${' '.repeat(2 * 1024 * 1024)}` })), { status: 413, code: 'PAYLOAD_TOO_LARGE' }],
    ['a 10 MB body', (url) => send(url, json({ query: '{ me { id } }', variables: { pad: 'x'.repeat(10 * 1024 * 1024) } })), { status: 413, code: 'PAYLOAD_TOO_LARGE' }],
    ['a query 50 levels deep', (url) => send(url, json({ query: nested(50) })), { status: 400, code: 'OPERATION_LIMIT_EXCEEDED' }],
    [
      '1,000 aliases',
      (url) => send(url, json({ query: `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: me { id }`).join(' ')} }` })),
      { status: 400, code: 'OPERATION_LIMIT_EXCEEDED' },
    ],
    ['10,000 tokens', (url) => send(url, json({ query: `{ me { ${'id '.repeat(10_000)}} }` })), { status: 400, code: 'OPERATION_LIMIT_EXCEEDED' }],
    ['100 directives', (url) => send(url, json({ query: `{ me { id ${'@include(if: true) '.repeat(100)}} }` })), { status: 400, code: 'OPERATION_LIMIT_EXCEEDED' }],
    ['a batch of 1,000 operations', (url) => send(url, json(Array.from({ length: 1000 }, () => ({ query: '{ me { id } }' })))), { status: 400 }],
    ['an unknown operationName', (url) => send(url, json({ query: 'query A { me { id } }', operationName: 'B' })), { status: 400 }],
    [
      'variables of the wrong type',
      (url) => send(url, json({ query: 'query($n: Int) { recentPosts(first: $n) { totalCount } }', variables: { n: 'ten' } })),
      { status: 400, code: 'BAD_USER_INPUT' },
    ],
    ['first: 1000000000', (url) => send(url, json({ query: '{ recentPosts(first: 1000000000) { totalCount } }' })), { code: ['BAD_USER_INPUT', 'OPERATION_LIMIT_EXCEEDED'] }],
    ['a negative first', (url) => send(url, json({ query: '{ recentPosts(first: -5) { totalCount } }' })), { code: 'BAD_USER_INPUT' }],
    ['an invalid cursor', (url) => send(url, json({ query: '{ recentPosts(after: "bm90LWEtY3Vyc29y") { totalCount } }' })), { code: 'BAD_USER_INPUT' }],
    [
      '__proto__ and constructor keys in variables',
      (url) =>
        send(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"query":"mutation($i: CreateUserInput!) { createUser(input: $i) { id } }","variables":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},"i":{"__proto__":{"handle":"proto_user","displayName":"P"},"constructor":{"prototype":{"polluted":1}}}}}',
        }),
      { status: 400, code: 'BAD_USER_INPUT' },
    ],
    ['a write without a token', (url) => send(url, json({ query: 'mutation { likePost(id: "1") { id } }' })), { code: 'UNAUTHENTICATED' }],
    ['a malformed token', (url) => send(url, json({ query: '{ me { id } }' }, bearer('a.b'))), { status: 401, code: 'UNAUTHENTICATED' }],
    ['an expired token', async (url) => send(url, json({ query: '{ me { id } }' }, bearer(await tokenFor(1, -60)))), { status: 401, code: 'UNAUTHENTICATED' }],
    [
      'a wrongly signed token',
      async (url) => send(url, json({ query: '{ me { id } }' }, bearer(await sign('some-other-secret-entirely', (j) => j.setSubject('1').setExpirationTime('1h'))))),
      { status: 401, code: 'UNAUTHENTICATED' },
    ],
    [
      'an alg: none token',
      (url) =>
        send(
          url,
          json({ query: '{ me { id } }' }, bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1","exp":4102444800}').toString('base64url')}.`)),
        ),
      { status: 401, code: 'UNAUTHENTICATED' },
    ],
    [
      'a token without exp',
      async (url) => send(url, json({ query: '{ me { id } }' }, bearer(await sign(secrets.jwtSecret, (j) => j.setSubject('1'))))),
      { status: 401, code: 'UNAUTHENTICATED' },
    ],
    ["deleting another user's post", async (url) => send(url, json({ query: 'mutation { deletePost(id: "50000") { id } }' }, bearer(await tokenFor(4999)))), { code: 'FORBIDDEN' }],
    ['liking a missing post', async (url) => send(url, json({ query: 'mutation { likePost(id: "2000000000") { id } }' }, bearer(await tokenFor(1)))), { code: 'NOT_FOUND' }],
  ];

  it.each(cases)('answers %s', async (_, request, expected) => {
    const answer = await request(stack.gateway.url);
    if (expected.status !== undefined) expect([expected.status].flat(), answer.text.slice(0, 300)).toContain(answer.status);
    expect(answer.status, answer.text.slice(0, 300)).toBeLessThan(500);
    if (expected.code) expect([expected.code].flat(), answer.text.slice(0, 300)).toContain(answer.codes[0]);
    else expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  });

  it('answers a subgraph called directly without the service token with 401', async () => {
    const answer = await send(stack.subgraphs.posts.url, json({ query: 'mutation { deletePost(id: "1") { id } }' }));
    expect(answer.status).toBe(401);
  });

  it('stores SQL-like strings verbatim and never runs them', async () => {
    const body = `'); DROP TABLE posts; -- " OR 1=1 /*`;
    const created = await stack.query(`mutation($b: String!) { createPost(input: { body: $b }) { id body } }`, { b: body }, { as: 1 });
    expect(created.body.data.createPost.body).toBe(body);
    const read = await stack.query(`query($id: ID!) { post(id: $id) { body } }`, { id: created.body.data.createPost.id });
    expect(read.body.data.post.body).toBe(body);
    await stack.query(`mutation($id: ID!) { deletePost(id: $id) { id } }`, { id: created.body.data.createPost.id }, { as: 1 });
  });

  it('left the prototypes alone, the process serving and every table as it was', async () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const feed = await stack.query(HOME_FEED);
    expect(feed.body.errors).toBeUndefined();
    expect(feed.body.data.recentPosts.edges).toHaveLength(20);
    expect(await rowCounts(stack)).toEqual(before);
  });
});

describe('rate limiting and load shedding', () => {
  it('answers more requests than the rate limit allows with 429 and Retry-After, per client', async () => {
    const stack = await startStack('sqlite', { RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await postJson(stack.gateway.url, { query: '{ me { id } }' }, bearer(await tokenFor(7))));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      expect(answers[5].body.errors![0].extensions!.code).toBe('RATE_LIMITED');
      expect(Number(answers[5].headers.get('retry-after'))).toBeGreaterThan(0);
      // Another viewer has a budget of its own.
      expect((await postJson(stack.gateway.url, { query: '{ me { id } }' }, bearer(await tokenFor(8)))).status).toBe(200);
    } finally {
      await stack.close();
    }
  });

  it('sheds operations beyond the in-flight bound with 503 and Retry-After at once', async () => {
    const stack = await startStack('sqlite', { MAX_INFLIGHT_OPERATIONS: '1' });
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => postJson(stack.gateway.url, { query: HOME_FEED })));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      const shed = answers.find((a) => a.status === 503)!;
      expect(shed.body.errors![0].extensions!.code).toBe('OVERLOADED');
      expect(shed.headers.get('retry-after')).toBe('1');
      for (const ok of answers.filter((a) => a.status === 200)) expect(ok.body.errors).toBeUndefined();
    } finally {
      await stack.close();
    }
  });
});
