import { idType, type Migrations } from '@crossfade/kit';

export const migrations: Migrations = (dialect) => ({
  '0001_posts_and_likes': {
    async up(db) {
      await db.schema
        .createTable('posts')
        .addColumn('id', idType(dialect), (c) => c.primaryKey())
        .addColumn('author_id', 'integer', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        // No foreign key: a reply keeps its parent's id after the parent is deleted, so it never turns into a top-level post.
        .addColumn('reply_to_id', 'integer')
        // A Track owned by the media subgraph: a reference, never joined.
        .addColumn('attached_track_id', 'integer')
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('posts_by_parent').on('posts').columns(['reply_to_id', 'id']).execute();
      await db.schema.createIndex('posts_by_author').on('posts').columns(['author_id', 'id']).execute();
      await db.schema
        .createTable('likes')
        .addColumn('post_id', 'integer', (c) => c.notNull().references('posts.id').onDelete('cascade'))
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .addPrimaryKeyConstraint('likes_pk', ['post_id', 'user_id'])
        .execute();
      await db.schema.createIndex('likes_by_user').on('likes').columns(['user_id', 'post_id']).execute();
    },
  },
});
