import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOME_FEED, startStack, type Stack } from '../support/stack.ts';

describe('in-flight de-duplication of subgraph queries', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('sqlite');
  });
  afterAll(() => stack?.close());

  const postsStatements = () => stack.subgraphs.posts.database.stats.statements;

  it('shares identical concurrent queries: same answers, fewer subgraph statements', async () => {
    let before = postsStatements();
    await stack.query(HOME_FEED, { first: 5 });
    const one = postsStatements() - before;
    before = postsStatements();
    const answers = await Promise.all(Array.from({ length: 12 }, () => stack.query(HOME_FEED, { first: 5 })));
    const twelve = postsStatements() - before;
    for (const answer of answers) expect(answer.body).toEqual(answers[0].body);
    expect(twelve).toBeLessThan(12 * one);
  });

  it('never shares an answer between two viewers or two variable sets', async () => {
    const newest = (await stack.query('{ recentPosts(first: 1) { edges { node { id } } } }')).body.data.recentPosts.edges[0].node.id;
    await stack.query('mutation($id: ID!) { likePost(id: $id) { id } }', { id: newest }, { as: 11 });
    const viewerHasLiked = (response: any) => response.body.data.recentPosts.edges.find((e: any) => e.node.id === newest).node.viewerHasLiked;
    const rounds = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        Promise.all([stack.query(HOME_FEED, { first: 3 }, { as: 11 }), stack.query(HOME_FEED, { first: 3 }, { as: 12 }), stack.query(HOME_FEED, { first: 3 + (i % 2) })]),
      ),
    );
    for (const [liker, other, anonymous] of rounds) {
      expect(viewerHasLiked(liker)).toBe(true);
      expect(viewerHasLiked(other)).toBe(false);
      expect(viewerHasLiked(anonymous)).toBe(false);
    }
    expect(rounds[0][2].body.data.recentPosts.edges).toHaveLength(3);
    expect(rounds[1][2].body.data.recentPosts.edges).toHaveLength(4);
  });

  it('never shares mutations: identical concurrent writes each happen', async () => {
    const before = (await stack.query('{ user(id: "13") { postCount } }')).body.data.user.postCount;
    const writes = await Promise.all(Array.from({ length: 5 }, () => stack.query('mutation { createPost(input: { body: "same words" }) { id } }', {}, { as: 13 })));
    expect(new Set(writes.map((w) => w.body.data.createPost.id)).size).toBe(5);
    expect((await stack.query('{ user(id: "13") { postCount } }')).body.data.user.postCount).toBe(before + 5);
  });
});
