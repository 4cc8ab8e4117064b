import { sql } from 'kysely';
import { idType, type Migrations } from '@crossfade/kit';

export const migrations: Migrations = (dialect) => ({
  '0001_tracks_playlists_plays': {
    async up(db) {
      await db.schema
        .createTable('tracks')
        .addColumn('id', idType(dialect), (c) => c.primaryKey())
        .addColumn('artist_id', 'integer', (c) => c.notNull())
        .addColumn('title', 'varchar(200)', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull().check(sql`duration_ms > 0`))
        .addColumn('play_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tracks_by_artist').on('tracks').columns(['artist_id', 'id']).execute();
      await db.schema.createIndex('tracks_by_plays').on('tracks').columns(['play_count', 'id']).execute();
      await db.schema
        .createTable('playlists')
        .addColumn('id', idType(dialect), (c) => c.primaryKey())
        .addColumn('owner_id', 'integer', (c) => c.notNull())
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('playlists_by_owner').on('playlists').columns(['owner_id', 'id']).execute();
      await db.schema
        .createTable('playlist_tracks')
        .addColumn('playlist_id', 'integer', (c) => c.notNull().references('playlists.id').onDelete('cascade'))
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('track_id', 'integer', (c) => c.notNull().references('tracks.id').onDelete('cascade'))
        .addColumn('added_at', 'varchar(30)', (c) => c.notNull())
        .addPrimaryKeyConstraint('playlist_tracks_pk', ['playlist_id', 'position'])
        .execute();
      await db.schema
        .createTable('plays')
        .addColumn('id', idType(dialect), (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull())
        .addColumn('track_id', 'integer', (c) => c.notNull().references('tracks.id').onDelete('cascade'))
        .addColumn('played_at', 'varchar(30)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('plays_by_user').on('plays').columns(['user_id', 'track_id', 'id']).execute();
    },
  },
});
