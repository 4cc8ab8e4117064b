import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GraphQLError } from 'graphql';
import type { Kysely } from 'kysely';
import { DIALECTS } from '../../../test/support/databases.ts';
import { openDatabaseCopy } from '../../../test/support/stack.ts';
import { countRows, refusalCode, idsByParent } from '../../../test/support/assertions.ts';
import type { UsersDB } from '../src/db-types.ts';
import { createStore, type UsersStore } from '../src/store.ts';

describe.each(DIALECTS)('users store (%s)', (dialect) => {
  let copy: Awaited<ReturnType<typeof openDatabaseCopy>>;
  let db: Kysely<UsersDB>;
  let store: UsersStore;
  const statements = () => copy.database.stats.statements;
  const rowCount = (table: 'users' | 'follows') => countRows(db, table);
  const isFollowing = async (follower: number, followee: number) =>
    !!(await db.selectFrom('follows').select('follower_id').where('follower_id', '=', follower).where('followee_id', '=', followee).executeTakeFirst());
  /** Straight from the table: each parent's linked user ids, by the other user's id ascending. */
  const expectedLinks = async (parent: 'followee_id' | 'follower_id', ids: number[], afterKey: number | null, limit: number) => {
    const other = parent === 'followee_id' ? 'follower_id' : 'followee_id';
    let query = db
      .selectFrom('follows')
      .select([`${parent} as parent`, `${other} as other`])
      .where(parent, 'in', ids)
      .orderBy(other);
    if (afterKey !== null) query = query.where(other, '>', afterKey);
    const groups = new Map<number, number[]>();
    for (const row of await query.execute()) groups.set(row.parent, [...(groups.get(row.parent) ?? []), row.other]);
    return new Map([...groups].map(([key, list]) => [key, list.slice(0, limit + 1)]));
  };

  beforeAll(async () => {
    copy = await openDatabaseCopy('users', dialect);
    db = copy.database.db;
    store = createStore(db);
  });
  afterAll(() => copy?.close());

  describe('reads', () => {
    it('looks users up by ids, leaving missing ids out', async () => {
      const users = await store.usersByIds([2, 1, 999_999]);
      expect(users.map((user) => [user.id, user.handle]).sort()).toEqual([
        [1, 'alice'],
        [2, 'bob'],
      ]);
      expect(users.find((user) => user.id === 1)).toMatchObject({ displayName: 'Alice', createdAt: expect.any(String) });
      expect(await store.usersByIds([999_998, 999_999])).toEqual([]);
    });

    it('looks a user up by handle', async () => {
      expect((await store.userByHandle('carol'))?.id).toBe(3);
      expect(await store.userByHandle('nobody_here')).toBeNull();
    });

    it('pages users by id ascending, fetching limit + 1 rows after the key', async () => {
      expect((await store.listUsers({ limit: 3, afterKey: null })).map((u) => u.id)).toEqual([1, 2, 3, 4]);
      expect((await store.listUsers({ limit: 3, afterKey: 3 })).map((u) => u.id)).toEqual([4, 5, 6, 7]);
      expect((await store.listUsers({ limit: 0, afterKey: 10 })).map((u) => u.id)).toEqual([11]);
      // The last page has no extra row: no next page.
      expect((await store.listUsers({ limit: 3, afterKey: 4998 })).map((u) => u.id)).toEqual([4999, 5000]);
      expect(await store.countUsers()).toBe(5000);
    });

    it.each([
      ['followersOf', 'followee_id', [...Array(50).keys()].map((i) => i + 1)],
      ['followingOf', 'follower_id', [...Array(50).keys()].map((i) => i + 101)],
    ] as const)('%s pages 50 users in one statement, at most limit + 1 each, by the other id ascending', async (method, parent, ids) => {
      const before = statements();
      const rows = await store[method](ids, { limit: 2, afterKey: null });
      expect(statements() - before).toBe(1);
      const expected = await expectedLinks(parent, ids, null, 2);
      expect(expected.size).toBeGreaterThan(10);
      expect(idsByParent(rows)).toEqual(expected);
    });

    it('respects afterKey for every parent of the batch', async () => {
      const firstPage = idsByParent(await store.followersOf([1], { limit: 2, afterKey: null })).get(1)!;
      expect(firstPage).toHaveLength(3);
      const afterKey = firstPage[1];
      const rows = await store.followersOf([1, 2, 3], { limit: 4, afterKey });
      expect(rows.every((row) => row.id > afterKey)).toBe(true);
      expect(idsByParent(rows)).toEqual(await expectedLinks('followee_id', [1, 2, 3], afterKey, 4));
    });

    it('counts followers and followees per user in one statement each, leaving out users with none', async () => {
      const ids = [...Array(50).keys()].map((i) => i + 1);
      for (const [method, column] of [
        ['followerCounts', 'followee_id'],
        ['followingCounts', 'follower_id'],
      ] as const) {
        const before = statements();
        const counts = await store[method]([...ids, 999_999]);
        expect(statements() - before).toBe(1);
        const expected = new Map<number, number>();
        for (const row of await db.selectFrom('follows').select(column).where(column, 'in', ids).execute()) expected.set(row[column], (expected.get(row[column]) ?? 0) + 1);
        expect(new Map(counts.map((row) => [Number(row.key), Number(row.count)]))).toEqual(expected);
      }
    });
  });

  describe('createUser', () => {
    it('creates a user with trimmed fields and an empty bio as null', async () => {
      const before = await rowCount('users');
      const user = await store.createUser({ handle: '  new_user_1 ', displayName: ' New User ', bio: '   ' });
      expect(user).toMatchObject({ handle: 'new_user_1', displayName: 'New User', bio: null });
      expect(user.id).toBeGreaterThan(5000);
      expect(await rowCount('users')).toBe(before + 1);
      expect(await store.userByHandle('new_user_1')).toEqual(user);
    });

    it.each([
      ['a taken handle', { handle: 'alice', displayName: 'Another Alice' }],
      ['a short handle', { handle: 'ab', displayName: 'Ab' }],
      ['an upper-case handle', { handle: 'Frank', displayName: 'Frank' }],
      ['a handle with a space', { handle: 'frank lloyd', displayName: 'Frank' }],
      ['a blank display name', { handle: 'frank', displayName: '   ' }],
      ['a display name over 50 characters', { handle: 'frank', displayName: 'x'.repeat(51) }],
      ['a bio over 160 characters', { handle: 'frank', displayName: 'Frank', bio: 'x'.repeat(161) }],
    ])('refuses %s as BAD_USER_INPUT and writes nothing', async (_, input) => {
      const before = await rowCount('users');
      expect(await refusalCode(store.createUser(input))).toBe('BAD_USER_INPUT');
      expect(await rowCount('users')).toBe(before);
    });

    it('lets one of several simultaneous sign-ups with one handle win and refuses the rest as BAD_USER_INPUT', async () => {
      const settled = await Promise.allSettled(Array.from({ length: 8 }, () => store.createUser({ handle: 'twin', displayName: 'Twin' })));
      expect(settled.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const codes = settled.flatMap((result) => (result.status === 'rejected' ? [(result.reason as GraphQLError).extensions?.code] : []));
      expect(codes).toEqual(Array(7).fill('BAD_USER_INPUT'));
    });
  });

  describe('setFollow', () => {
    const viewer = 4999;
    const target = 4998;

    it('follows once however often it is asked, and returns the followed user', async () => {
      expect(await isFollowing(viewer, target)).toBe(false);
      const before = { follows: await rowCount('follows'), followers: await store.followerCounts([target]) };
      const followed = await store.setFollow(viewer, target, true);
      expect(followed.id).toBe(target);
      await store.setFollow(viewer, target, true);
      expect(await rowCount('follows')).toBe(before.follows + 1);
      expect(await isFollowing(viewer, target)).toBe(true);
      const after = await store.followerCounts([target]);
      expect(Number(after[0].count)).toBe(Number(before.followers[0]?.count ?? 0) + 1);
      expect((await store.followingOf([viewer], { limit: 100, afterKey: null })).map((user) => user.id)).toContain(target);
    });

    it('unfollows, and unfollowing again changes nothing', async () => {
      expect(await isFollowing(viewer, target)).toBe(true);
      const before = await rowCount('follows');
      expect((await store.setFollow(viewer, target, false)).id).toBe(target);
      expect(await isFollowing(viewer, target)).toBe(false);
      expect(await rowCount('follows')).toBe(before - 1);
      await store.setFollow(viewer, target, false);
      expect(await rowCount('follows')).toBe(before - 1);
    });

    it.each([
      ['following oneself', viewer, viewer, 'BAD_USER_INPUT'],
      ['a missing user', viewer, 999_999, 'NOT_FOUND'],
      ['a missing viewer', 999_999, target, 'NOT_FOUND'],
    ])('refuses %s and writes nothing', async (_, follower, followee, code) => {
      const before = await rowCount('follows');
      expect(await refusalCode(store.setFollow(follower, followee, true))).toBe(code);
      expect(await rowCount('follows')).toBe(before);
    });
  });
});
