import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME_FEED, postJson, startStack, type Stack } from '../support/stack.ts';

/** Every query the README and ARCHITECTURE.md show, which the default limits must accept. */
const DOCUMENTED: [string, string, Record<string, unknown>?][] = [
  ['HomeFeed, 100 posts', HOME_FEED, { first: 100 }],
  [
    'the README feed',
    '{ recentPosts(first: 5) { edges { node { body likeCount author { handle } attachedTrack { title artist { handle } } replies(first: 3) { edges { node { body author { handle } } } } } } } }',
  ],
  ['the README profile', '{ me { handle followerCount posts(first: 2) { totalCount edges { node { body } } } playlists { name } recentlyPlayed { title } } }'],
  [
    'a user page',
    '{ user(handle: "alice") { handle displayName bio followerCount followingCount followers(first: 100) { totalCount edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } tracks(first: 100) { edges { node { title durationMs playCount } } } playlists { name tracks(first: 100) { totalCount edges { node { title artist { handle } } } } } } }',
  ],
  ['the explorer introspection', getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true })],
];

describe('default limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('sqlite');
  });
  afterAll(() => stack?.close());

  it.each(DOCUMENTED)('accept %s', async (_, query, variables) => {
    const response = await stack.query(query, variables, { as: 1 });
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });

  it('serve automatic persisted queries: a miss, a registration, then the hash alone', async () => {
    const query = '{ topTracks(first: 3) { id title } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    const miss = await postJson(stack.gateway.url, { extensions });
    expect(miss.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await postJson(stack.gateway.url, { query, extensions });
    expect(registered.body.data.topTracks).toHaveLength(3);
    const hit = await postJson(stack.gateway.url, { extensions });
    expect(hit.body).toEqual(registered.body);
  });
});

describe('safelist of persisted operations', () => {
  let stack: Stack;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-safelist-'));
    const manifest = path.join(dir, 'operations.json');
    fs.writeFileSync(manifest, JSON.stringify({ feed: HOME_FEED, top: '{ topTracks(first: 2) { title } }' }));
    stack = await startStack('sqlite', { PERSISTED_OPERATIONS_PATH: manifest });
  });
  afterAll(async () => {
    await stack?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs listed operations by id or by their text, whatever their layout', async () => {
    const byId = await postJson(stack.gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: 'feed' } }, variables: { first: 2 } });
    expect(byId.body.data.recentPosts.edges).toHaveLength(2);
    const byText = await postJson(stack.gateway.url, { query: 'query {\n  topTracks(first: 2) {\n    title\n  }\n}' });
    expect(byText.body.data.topTracks).toHaveLength(2);
  });

  it('refuses any other operation with OPERATION_NOT_ALLOWED, and an unknown id with PERSISTED_QUERY_NOT_FOUND', async () => {
    const other = await postJson(stack.gateway.url, { query: '{ topTracks(first: 3) { title } }' });
    expect(other.status).toBe(400);
    expect(other.body.errors![0].extensions!.code).toBe('OPERATION_NOT_ALLOWED');
    const unknown = await postJson(stack.gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: 'nope' } } });
    expect(unknown.body.errors![0].extensions!.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
