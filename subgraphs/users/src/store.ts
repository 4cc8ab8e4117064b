import { badInput, firstPerParent, isUniqueViolation, notFound, rowNumber, type Page } from '@crossfade/kit';
import type { Kysely } from 'kysely';
import type { UserRow, UsersDB } from './db-types.ts';

export interface User {
  id: number;
  handle: string;
  displayName: string;
  bio: string | null;
  createdAt: string;
}
/** A user reached through a follow edge, numbered within its parent's page. */
export type LinkedUser = User & { parentId: number };

const userColumns = ['users.id', 'users.handle', 'users.display_name', 'users.bio', 'users.created_at'] as const;

export const toUser = (row: UserRow): User => ({
  id: row.id,
  handle: row.handle,
  displayName: row.display_name,
  bio: row.bio,
  createdAt: row.created_at,
});

export interface CreateUserInput {
  handle: string;
  displayName: string;
  bio?: string | null;
}

const HANDLE = /^[a-z0-9_]{3,30}$/;

export function createStore(db: Kysely<UsersDB>) {
  /** Followers (direction 'followers') or followees of many users at once, a page each. */
  async function linked(direction: 'followers' | 'following', ids: readonly number[], page: Page): Promise<LinkedUser[]> {
    const [parent, other] = direction === 'followers' ? (['follows.followee_id', 'follows.follower_id'] as const) : (['follows.follower_id', 'follows.followee_id'] as const);
    let numbered = db
      .selectFrom('follows')
      .innerJoin('users', 'users.id', other)
      .select([...userColumns, `${parent} as parent_id`, rowNumber(parent, other, 'asc')])
      .where(parent, 'in', ids);
    if (page.afterKey !== null) numbered = numbered.where(other, '>', page.afterKey);
    const rows = await firstPerParent(db, numbered, page.limit).orderBy('parent_id').execute();
    return rows.map((row) => ({ ...toUser(row), parentId: row.parent_id }));
  }

  async function counts(column: 'follower_id' | 'followee_id', ids: readonly number[]) {
    return db
      .selectFrom('follows')
      .select([`${column} as key`, (eb) => eb.fn.countAll<number>().as('count')])
      .where(column, 'in', ids)
      .groupBy(column)
      .execute();
  }

  return {
    async usersByIds(ids: readonly number[]): Promise<User[]> {
      const rows = await db.selectFrom('users').select(userColumns).where('id', 'in', ids).execute();
      return rows.map(toUser);
    },

    async userByHandle(handle: string): Promise<User | null> {
      const row = await db.selectFrom('users').select(userColumns).where('handle', '=', handle).executeTakeFirst();
      return row ? toUser(row) : null;
    },

    async listUsers(page: Page): Promise<User[]> {
      let query = db
        .selectFrom('users')
        .select(userColumns)
        .orderBy('id', 'asc')
        .limit(page.limit + 1);
      if (page.afterKey !== null) query = query.where('id', '>', page.afterKey);
      return (await query.execute()).map(toUser);
    },

    async countUsers(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    followersOf: (ids: readonly number[], page: Page) => linked('followers', ids, page),
    followingOf: (ids: readonly number[], page: Page) => linked('following', ids, page),
    followerCounts: (ids: readonly number[]) => counts('followee_id', ids),
    followingCounts: (ids: readonly number[]) => counts('follower_id', ids),

    async createUser(input: CreateUserInput, now = new Date()): Promise<User> {
      const handle = input.handle.trim();
      const displayName = input.displayName.trim();
      const bio = input.bio?.trim() || null;
      if (!HANDLE.test(handle)) throw badInput('handle must be 3 to 30 characters: lower-case letters, digits and underscores', 'handle');
      if (displayName.length < 1 || [...displayName].length > 50) throw badInput('displayName must be 1 to 50 characters', 'displayName');
      if (bio && [...bio].length > 160) throw badInput('bio must be at most 160 characters', 'bio');
      const taken = () => badInput(`handle "${handle}" is taken`, 'handle');
      try {
        return await db.transaction().execute(async (trx) => {
          if (await trx.selectFrom('users').select('id').where('handle', '=', handle).executeTakeFirst()) throw taken();
          const row = await trx
            .insertInto('users')
            .values({ handle, display_name: displayName, bio, created_at: now.toISOString() })
            .returning(['id', 'handle', 'display_name', 'bio', 'created_at'])
            .executeTakeFirstOrThrow();
          return toUser(row);
        });
      } catch (error) {
        // Two sign-ups with one handle at once: the unique index settles it.
        if (isUniqueViolation(error)) throw taken();
        throw error;
      }
    },

    /** Follows or unfollows; returns the other user. */
    async setFollow(viewerId: number, userId: number, follow: boolean, now = new Date()): Promise<User> {
      if (viewerId === userId) throw badInput('a user cannot follow itself', 'userId');
      return db.transaction().execute(async (trx) => {
        const found = await trx.selectFrom('users').select(userColumns).where('id', 'in', [viewerId, userId]).execute();
        const target = found.find((row) => row.id === userId);
        if (!target) throw notFound(`user ${userId} does not exist`);
        if (!found.some((row) => row.id === viewerId)) throw notFound(`the viewer (user ${viewerId}) does not exist`);
        if (follow) {
          await trx
            .insertInto('follows')
            .values({ follower_id: viewerId, followee_id: userId, created_at: now.toISOString() })
            .onConflict((oc) => oc.columns(['follower_id', 'followee_id']).doNothing())
            .execute();
        } else {
          await trx.deleteFrom('follows').where('follower_id', '=', viewerId).where('followee_id', '=', userId).execute();
        }
        return toUser(target);
      });
    },
  };
}

export type UsersStore = ReturnType<typeof createStore>;
