import type { Migrations } from '@crossfade/kit';
import { idType } from '@crossfade/kit';
import { sql } from 'kysely';

export const migrations: Migrations = (dialect) => ({
  '0001_users_and_follows': {
    async up(db) {
      await db.schema
        .createTable('users')
        .addColumn('id', idType(dialect), (c) => c.primaryKey())
        .addColumn('handle', 'varchar(30)', (c) => c.notNull().unique())
        .addColumn('display_name', 'varchar(50)', (c) => c.notNull())
        .addColumn('bio', 'varchar(160)')
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('follows')
        .addColumn('follower_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('followee_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .addPrimaryKeyConstraint('follows_pk', ['follower_id', 'followee_id'])
        .addCheckConstraint('follows_not_self', sql`follower_id <> followee_id`)
        .execute();
      await db.schema.createIndex('follows_by_followee').on('follows').columns(['followee_id', 'follower_id']).execute();
    },
  },
});
