import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { DIALECTS } from '../../../test/support/databases.ts';
import { openDatabaseCopy } from '../../../test/support/stack.ts';
import { countRows, refusalCode, idsByParent } from '../../../test/support/assertions.ts';
import type { PostsDB } from '../src/db-types.ts';
import { FEED_GUARANTEE } from '../src/seed.ts';
import { createStore, MAX_BODY, type PostsStore } from '../src/store.ts';

const countsByKey = (rows: { key: number; count: number | string | bigint }[]) => new Map(rows.map((row) => [Number(row.key), Number(row.count)]));

describe.each(DIALECTS)('posts store (%s)', (dialect) => {
  let copy: Awaited<ReturnType<typeof openDatabaseCopy>>;
  let db: Kysely<PostsDB>;
  let store: PostsStore;
  const statements = () => copy.database.stats.statements;
  const rowCount = (table: 'posts' | 'likes') => countRows(db, table);
  /** Straight from the table: each parent's child post ids in the documented order, limit + 1 of them. */
  const expectedChildren = async (parent: 'reply_to_id' | 'author_id', direction: 'asc' | 'desc', ids: number[], limit: number, afterKey: number | null = null) => {
    let query = db
      .selectFrom('posts')
      .select(['id', `${parent} as parent`])
      .where(parent, 'in', ids)
      .orderBy('id', direction);
    if (afterKey !== null) query = query.where('id', direction === 'asc' ? '>' : '<', afterKey);
    const groups = new Map<number, number[]>();
    for (const row of await query.execute()) groups.set(row.parent!, [...(groups.get(row.parent!) ?? []), row.id]);
    return new Map([...groups].map(([key, list]) => [key, list.slice(0, limit + 1)]));
  };
  const expectedCounts = async (table: 'posts' | 'likes', column: 'reply_to_id' | 'author_id' | 'post_id', ids: number[]) => {
    const counts = new Map<number, number>();
    for (const row of await (db as Kysely<any>).selectFrom(table).select(`${column} as key`).where(column, 'in', ids).execute())
      counts.set(row.key, (counts.get(row.key) ?? 0) + 1);
    return counts;
  };

  beforeAll(async () => {
    copy = await openDatabaseCopy('posts', dialect);
    db = copy.database.db;
    store = createStore(db);
  });
  afterAll(() => copy?.close());

  describe('reads', () => {
    it('looks posts up by ids, leaving missing ids out', async () => {
      const posts = await store.postsByIds([3, 1, 9_999_999]);
      expect(posts.map((post) => post.id).sort()).toEqual([1, 3]);
      expect(posts[0]).toMatchObject({ body: expect.any(String), authorId: expect.any(Number), createdAt: expect.any(String) });
      expect(await store.postsByIds([9_999_998, 9_999_999])).toEqual([]);
    });

    it('pages recent posts newest first, top-level only, limit + 1 after the key', async () => {
      const first = await store.recentPosts({ limit: 9, afterKey: null });
      expect(first).toHaveLength(10);
      const ids = first.map((post) => post.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(first.every((post) => post.replyToId === null)).toBe(true);
      const [newestTopLevel] = await db.selectFrom('posts').select('id').where('reply_to_id', 'is', null).orderBy('id', 'desc').limit(1).execute();
      expect(ids[0]).toBe(newestTopLevel.id);
      const next = await store.recentPosts({ limit: 9, afterKey: ids[8] });
      expect(next[0].id).toBe(ids[9]);
      expect(next.every((post) => post.id < ids[8] && post.replyToId === null)).toBe(true);
      expect(await store.recentPosts({ limit: 5, afterKey: 1 })).toEqual([]);
    });

    it(`gives each of the ${FEED_GUARANTEE} newest top-level posts a reply, and every second one a track`, async () => {
      const feed = (await store.recentPosts({ limit: FEED_GUARANTEE, afterKey: null })).slice(0, FEED_GUARANTEE);
      expect(feed.map((post) => post.attachedTrackId !== null)).toEqual(feed.map((_, index) => index % 2 === 0));
      // limit 0 still fetches one row per parent: enough to know every post has a reply.
      const replies = idsByParent(
        await store.repliesOf(
          feed.map((post) => post.id),
          { limit: 0, afterKey: null },
        ),
      );
      expect(feed.filter((post) => replies.get(post.id)?.length !== 1)).toEqual([]);
    });

    it.each([
      { method: 'repliesOf', parent: 'reply_to_id', direction: 'asc', order: 'oldest first' },
      { method: 'postsOfAuthors', parent: 'author_id', direction: 'desc', order: 'newest first' },
    ] as const)('$method pages 50 parents in one statement, at most limit + 1 each, $order', async ({ method, parent, direction }) => {
      const ids = parent === 'author_id' ? [...Array(50).keys()].map((i) => i + 1) : (await store.recentPosts({ limit: 49, afterKey: null })).map((post) => post.id);
      expect(ids).toHaveLength(50);
      const before = statements();
      const rows = await store[method](ids, { limit: 2, afterKey: null });
      expect(statements() - before).toBe(1);
      const expected = await expectedChildren(parent, direction, ids, 2);
      expect(expected.size).toBeGreaterThan(10);
      expect(idsByParent(rows)).toEqual(expected);
    });

    it('respects afterKey for every parent of the batch', async () => {
      const authors = [1, 2, 3];
      const [newestOfFirst] = await store.postsOfAuthors([1], { limit: 0, afterKey: null });
      const afterKey = newestOfFirst.id - 1000;
      const rows = await store.postsOfAuthors(authors, { limit: 3, afterKey });
      expect(rows.every((post) => post.id < afterKey)).toBe(true);
      expect(idsByParent(rows)).toEqual(await expectedChildren('author_id', 'desc', authors, 3, afterKey));
    });

    it('counts replies, posts and likes per key in one statement each, leaving out keys with none', async () => {
      const postIds = [...Array(50).keys()].map((i) => 40_000 + i);
      const authorIds = [...Array(50).keys()].map((i) => i + 1);
      const cases = [
        [() => store.replyCounts([...postIds, 9_999_999]), () => expectedCounts('posts', 'reply_to_id', postIds)],
        [() => store.postCounts([...authorIds, 9_999_999]), () => expectedCounts('posts', 'author_id', authorIds)],
        [() => store.likeCounts([...postIds, 9_999_999]), () => expectedCounts('likes', 'post_id', postIds)],
      ] as const;
      for (const [count, expected] of cases) {
        const before = statements();
        const counts = countsByKey(await count());
        expect(statements() - before).toBe(1);
        const want = await expected();
        expect(want.size).toBeGreaterThan(0);
        expect(counts).toEqual(want);
      }
    });

    it('tells which of the given posts a user has liked', async () => {
      const like = await db.selectFrom('likes').select(['post_id', 'user_id']).orderBy('post_id').limit(1).executeTakeFirstOrThrow();
      const likedByUser = await db.selectFrom('likes').select('post_id').where('user_id', '=', like.user_id).execute();
      const notLiked = [...Array(50).keys()].map((i) => like.post_id + i + 1).filter((id) => !likedByUser.some((row) => row.post_id === id));
      expect(await store.likedBy(like.user_id, [like.post_id, ...notLiked, 9_999_999])).toEqual([like.post_id]);
    });
  });

  describe('createPost', () => {
    const author = 42;

    it('creates a top-level post that leads the recent posts', async () => {
      const before = await rowCount('posts');
      const post = await store.createPost(author, { body: 'fresh from the studio', replyToId: null, trackId: 7 });
      expect(post).toMatchObject({ authorId: author, body: 'fresh from the studio', replyToId: null, attachedTrackId: 7 });
      expect(await rowCount('posts')).toBe(before + 1);
      expect((await store.recentPosts({ limit: 0, afterKey: null }))[0]).toEqual(post);
    });

    it('creates a reply that comes last among its parent’s replies', async () => {
      const [parent] = await store.recentPosts({ limit: 0, afterKey: 10_000 });
      const reply = await store.createPost(author, { body: 'me too', replyToId: parent.id, trackId: null });
      expect(reply.replyToId).toBe(parent.id);
      const replies = await store.repliesOf([parent.id], { limit: 100, afterKey: null });
      expect(replies.at(-1)?.id).toBe(reply.id);
      expect((await store.recentPosts({ limit: 0, afterKey: null }))[0].id).not.toBe(reply.id);
    });

    it(`accepts ${MAX_BODY} characters, counted as code points`, async () => {
      const post = await store.createPost(author, { body: '🎵'.repeat(MAX_BODY), replyToId: null, trackId: null });
      expect((await store.postsByIds([post.id]))[0].body).toBe('🎵'.repeat(MAX_BODY));
    });

    it.each([
      ['an empty body', { body: '', replyToId: null }, 'BAD_USER_INPUT'],
      ['a blank body', { body: ' \n\t ', replyToId: null }, 'BAD_USER_INPUT'],
      [`a body over ${MAX_BODY} characters`, { body: 'x'.repeat(MAX_BODY + 1), replyToId: null }, 'BAD_USER_INPUT'],
      ['a reply to a missing post', { body: 'hello?', replyToId: 9_999_999 }, 'NOT_FOUND'],
    ])('refuses %s and writes nothing', async (_, input, code) => {
      const before = await rowCount('posts');
      expect(await refusalCode(store.createPost(author, { ...input, trackId: null }))).toBe(code);
      expect(await rowCount('posts')).toBe(before);
    });
  });

  describe('likes', () => {
    const liker = 4321;
    const postId = 2000;

    it('likes a post once however often it is asked', async () => {
      expect(await store.likedBy(liker, [postId])).toEqual([]);
      const before = { likes: await rowCount('likes'), count: countsByKey(await store.likeCounts([postId])).get(postId) ?? 0 };
      expect((await store.setLike(liker, postId, true)).id).toBe(postId);
      await store.setLike(liker, postId, true);
      expect(await rowCount('likes')).toBe(before.likes + 1);
      expect(countsByKey(await store.likeCounts([postId])).get(postId)).toBe(before.count + 1);
      expect(await store.likedBy(liker, [postId])).toEqual([postId]);
    });

    it('unlikes, and unliking again changes nothing', async () => {
      const before = await rowCount('likes');
      expect((await store.setLike(liker, postId, false)).id).toBe(postId);
      expect(await store.likedBy(liker, [postId])).toEqual([]);
      await store.setLike(liker, postId, false);
      expect(await rowCount('likes')).toBe(before - 1);
    });

    it('refuses to like a missing post as NOT_FOUND and writes nothing', async () => {
      const before = await rowCount('likes');
      expect(await refusalCode(store.setLike(liker, 9_999_999, true))).toBe('NOT_FOUND');
      expect(await rowCount('likes')).toBe(before);
    });
  });

  describe('deletePost and attachTrack', () => {
    const author = 77;
    const stranger = 78;

    it('refuses a stranger as FORBIDDEN and a missing post as NOT_FOUND, changing nothing', async () => {
      const post = await store.createPost(author, { body: 'mine', replyToId: null, trackId: null });
      await store.setLike(stranger, post.id, true);
      const before = { posts: await rowCount('posts'), likes: await rowCount('likes') };
      expect(await refusalCode(store.deletePost(stranger, post.id))).toBe('FORBIDDEN');
      expect(await refusalCode(store.attachTrack(stranger, post.id, 5))).toBe('FORBIDDEN');
      expect(await refusalCode(store.deletePost(author, 9_999_999))).toBe('NOT_FOUND');
      expect(await refusalCode(store.attachTrack(author, 9_999_999, 5))).toBe('NOT_FOUND');
      expect({ posts: await rowCount('posts'), likes: await rowCount('likes') }).toEqual(before);
      expect(await store.postsByIds([post.id])).toEqual([post]);
    });

    it('attaches a track to the author’s post', async () => {
      const post = await store.createPost(author, { body: 'listen', replyToId: null, trackId: null });
      expect(await store.attachTrack(author, post.id, 1234)).toEqual({ ...post, attachedTrackId: 1234 });
      expect((await store.postsByIds([post.id]))[0].attachedTrackId).toBe(1234);
    });

    it('deletes the author’s post with its likes, returning it as it was and keeping its replies', async () => {
      const post = await store.createPost(author, { body: 'going away', replyToId: null, trackId: 9 });
      const reply = await store.createPost(stranger, { body: 'bye', replyToId: post.id, trackId: null });
      await store.setLike(stranger, post.id, true);
      await store.setLike(author + 100, post.id, true);
      const before = { posts: await rowCount('posts'), likes: await rowCount('likes') };
      expect(await store.deletePost(author, post.id)).toEqual(post);
      expect(await store.postsByIds([post.id])).toEqual([]);
      expect({ posts: await rowCount('posts'), likes: await rowCount('likes') }).toEqual({ posts: before.posts - 1, likes: before.likes - 2 });
      // The reply stays a reply to the deleted post rather than turning into a top-level post.
      expect(await store.postsByIds([reply.id])).toEqual([reply]);
    });
  });
});
