import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, SUBGRAPH_NAMES } from '../support/databases.ts';
import { HOME_FEED, startStack, type Stack } from '../support/stack.ts';

async function statementsFor(stack: Stack, first: number, as?: number) {
  const before = stack.statements();
  const response = await stack.query(HOME_FEED, { first }, { as });
  expect(response.body.errors).toBeUndefined();
  expect(response.body.data.recentPosts.edges).toHaveLength(first);
  const after = stack.statements();
  return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, after[name] - before[name]]));
}

describe.each(DIALECTS)('DataLoader batching (%s)', (dialect) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(dialect);
  });
  afterAll(() => stack?.close());

  it.each([
    ['without a viewer', undefined],
    ['with a viewer', 7],
  ])('HomeFeed issues as many SQL statements per subgraph for 100 posts as for 5 (%s)', async (_, as) => {
    const small = await statementsFor(stack, 5, as);
    const large = await statementsFor(stack, 100, as);
    expect(large).toEqual(small);
    for (const name of SUBGRAPH_NAMES) expect(small[name]).toBeGreaterThan(0);
    // posts: the feed, like counts, replies (and the viewer's likes): one statement each, whatever the page size.
    expect(small.posts).toBe(as === undefined ? 3 : 4);
  });

  it('batches nested connections of every user in one statement per field', async () => {
    const query = `query($first: Int) { users(first: $first) { edges { node { followers(first: 2) { edges { node { handle } } } posts(first: 2) { totalCount } tracks(first: 2) { edges { node { title } } } playlists { tracks(first: 2) { totalCount } } } } } }`;
    const run = async (first: number) => {
      const before = stack.statements();
      const response = await stack.query(query, { first });
      expect(response.body.errors).toBeUndefined();
      const after = stack.statements();
      return Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, after[name] - before[name]]));
    };
    expect(await run(100)).toEqual(await run(3));
  });
});
