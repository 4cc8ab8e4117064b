import { badInput, firstPerParent, forbidden, notFound, rowNumber, type Page } from '@crossfade/kit';
import type { Kysely, Selectable } from 'kysely';
import type { PostsDB, PostsTable } from './db-types.ts';

export interface Post {
  id: number;
  body: string;
  createdAt: string;
  authorId: number;
  replyToId: number | null;
  attachedTrackId: number | null;
}
export type ChildPost = Post & { parentId: number };

export const MAX_BODY = 280;
const postColumns = ['posts.id', 'posts.body', 'posts.created_at', 'posts.author_id', 'posts.reply_to_id', 'posts.attached_track_id'] as const;

const toPost = (row: Selectable<PostsTable>): Post => ({
  id: row.id,
  body: row.body,
  createdAt: row.created_at,
  authorId: row.author_id,
  replyToId: row.reply_to_id,
  attachedTrackId: row.attached_track_id,
});

export interface NewPost {
  body: string;
  replyToId: number | null;
  trackId: number | null;
}

function checkBody(body: string): string {
  const length = [...body].length;
  if (body.trim().length === 0) throw badInput('body must not be empty', 'body');
  if (length > MAX_BODY) throw badInput(`body must be at most ${MAX_BODY} characters, got ${length}`, 'body');
  return body;
}

export function createStore(db: Kysely<PostsDB>) {
  /** Children of many parents (replies by parent post, posts by author), a page each, in one statement. */
  async function pagedByParent(parent: 'posts.reply_to_id' | 'posts.author_id', direction: 'asc' | 'desc', ids: readonly number[], page: Page): Promise<ChildPost[]> {
    let numbered = db
      .selectFrom('posts')
      .select([...postColumns, `${parent} as parent_id`, rowNumber(parent, 'posts.id', direction)])
      .where(parent, 'in', ids);
    if (page.afterKey !== null) numbered = numbered.where('posts.id', direction === 'asc' ? '>' : '<', page.afterKey);
    const rows = await firstPerParent(db, numbered, page.limit).orderBy('parent_id').execute();
    return rows.map((row) => ({ ...toPost(row), parentId: row.parent_id as number }));
  }

  async function countBy(column: 'reply_to_id' | 'author_id', ids: readonly number[]) {
    return db
      .selectFrom('posts')
      .select([`${column} as key`, (eb) => eb.fn.countAll<number>().as('count')])
      .where(column, 'in', ids)
      .groupBy(column)
      .execute() as Promise<{ key: number; count: number }[]>;
  }

  async function existing(trx: Kysely<PostsDB>, id: number): Promise<Post> {
    const row = await trx.selectFrom('posts').select(postColumns).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`post ${id} does not exist`);
    return toPost(row);
  }

  async function authored(trx: Kysely<PostsDB>, viewerId: number, id: number): Promise<Post> {
    const post = await existing(trx, id);
    if (post.authorId !== viewerId) throw forbidden(`post ${id} belongs to another user`);
    return post;
  }

  return {
    async postsByIds(ids: readonly number[]): Promise<Post[]> {
      return (await db.selectFrom('posts').select(postColumns).where('id', 'in', ids).execute()).map(toPost);
    },

    async recentPosts(page: Page): Promise<Post[]> {
      let query = db
        .selectFrom('posts')
        .select(postColumns)
        .where('reply_to_id', 'is', null)
        .orderBy('id', 'desc')
        .limit(page.limit + 1);
      if (page.afterKey !== null) query = query.where('id', '<', page.afterKey);
      return (await query.execute()).map(toPost);
    },

    async countTopLevel(): Promise<number> {
      const row = await db
        .selectFrom('posts')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .where('reply_to_id', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    repliesOf: (ids: readonly number[], page: Page) => pagedByParent('posts.reply_to_id', 'asc', ids, page),
    postsOfAuthors: (ids: readonly number[], page: Page) => pagedByParent('posts.author_id', 'desc', ids, page),
    replyCounts: (ids: readonly number[]) => countBy('reply_to_id', ids),
    postCounts: (ids: readonly number[]) => countBy('author_id', ids),

    async likeCounts(ids: readonly number[]) {
      return db
        .selectFrom('likes')
        .select(['post_id as key', (eb) => eb.fn.countAll<number>().as('count')])
        .where('post_id', 'in', ids)
        .groupBy('post_id')
        .execute();
    },

    async likedBy(viewerId: number, ids: readonly number[]): Promise<number[]> {
      const rows = await db.selectFrom('likes').select('post_id').where('user_id', '=', viewerId).where('post_id', 'in', ids).execute();
      return rows.map((row) => row.post_id);
    },

    async createPost(viewerId: number, input: NewPost, now = new Date()): Promise<Post> {
      const body = checkBody(input.body);
      return db.transaction().execute(async (trx) => {
        if (input.replyToId !== null) await existing(trx, input.replyToId);
        const row = await trx
          .insertInto('posts')
          .values({ author_id: viewerId, body, reply_to_id: input.replyToId, attached_track_id: input.trackId, created_at: now.toISOString() })
          .returning(postColumns.map((c) => c.slice('posts.'.length) as keyof PostsTable))
          .executeTakeFirstOrThrow();
        return toPost(row as Selectable<PostsTable>);
      });
    },

    async deletePost(viewerId: number, id: number): Promise<Post> {
      return db.transaction().execute(async (trx) => {
        const post = await authored(trx, viewerId, id);
        await trx.deleteFrom('likes').where('post_id', '=', id).execute();
        await trx.deleteFrom('posts').where('id', '=', id).execute();
        return post;
      });
    },

    async setLike(viewerId: number, id: number, like: boolean, now = new Date()): Promise<Post> {
      return db.transaction().execute(async (trx) => {
        const post = await existing(trx, id);
        if (like) {
          await trx
            .insertInto('likes')
            .values({ post_id: id, user_id: viewerId, created_at: now.toISOString() })
            .onConflict((oc) => oc.columns(['post_id', 'user_id']).doNothing())
            .execute();
        } else {
          await trx.deleteFrom('likes').where('post_id', '=', id).where('user_id', '=', viewerId).execute();
        }
        return post;
      });
    },

    async attachTrack(viewerId: number, postId: number, trackId: number): Promise<Post> {
      return db.transaction().execute(async (trx) => {
        const post = await authored(trx, viewerId, postId);
        await trx.updateTable('posts').set({ attached_track_id: trackId }).where('id', '=', postId).execute();
        return { ...post, attachedTrackId: trackId };
      });
    },
  };
}

export type PostsStore = ReturnType<typeof createStore>;
