import { badInput, firstPerParent, forbidden, notFound, rowNumber, type DialectName, type Page } from '@crossfade/kit';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { MediaDB, PlaylistsTable, TracksTable } from './db-types.ts';

export interface Track {
  id: number;
  title: string;
  durationMs: number;
  artistId: number;
  playCount: number;
  createdAt: string;
}
export interface Playlist {
  id: number;
  name: string;
  ownerId: number;
  createdAt: string;
}
/** A track in a parent's list: `key` is its cursor key within that list. */
export type ChildTrack = Track & { parentId: number; key: number };

/** A day: longer "tracks" are input mistakes. */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;
const trackColumns = ['tracks.id', 'tracks.title', 'tracks.duration_ms', 'tracks.artist_id', 'tracks.play_count', 'tracks.created_at'] as const;
const playlistColumns = ['playlists.id', 'playlists.name', 'playlists.owner_id', 'playlists.created_at'] as const;

const toTrack = (row: Selectable<TracksTable>): Track => ({
  id: row.id,
  title: row.title,
  durationMs: row.duration_ms,
  artistId: row.artist_id,
  playCount: row.play_count,
  createdAt: row.created_at,
});
const toPlaylist = (row: Selectable<PlaylistsTable>): Playlist => ({ id: row.id, name: row.name, ownerId: row.owner_id, createdAt: row.created_at });

function checkLength(value: string, name: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length === 0 || [...trimmed].length > max) throw badInput(`${name} must be 1 to ${max} characters`, name);
  return trimmed;
}

export function createStore(db: Kysely<MediaDB>, dialect: DialectName) {
  async function existingTrack(trx: Kysely<MediaDB>, id: number): Promise<Track> {
    const row = await trx.selectFrom('tracks').select(trackColumns).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`track ${id} does not exist`);
    return toTrack(row);
  }

  return {
    async tracksByIds(ids: readonly number[]): Promise<Track[]> {
      return (await db.selectFrom('tracks').select(trackColumns).where('id', 'in', ids).execute()).map(toTrack);
    },

    async listTracks(page: Page): Promise<Track[]> {
      let query = db
        .selectFrom('tracks')
        .select(trackColumns)
        .orderBy('id', 'desc')
        .limit(page.limit + 1);
      if (page.afterKey !== null) query = query.where('id', '<', page.afterKey);
      return (await query.execute()).map(toTrack);
    },

    async countTracks(): Promise<number> {
      const row = await db
        .selectFrom('tracks')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async topTracks(limit: number): Promise<Track[]> {
      const rows = await db.selectFrom('tracks').select(trackColumns).orderBy('play_count', 'desc').orderBy('id', 'asc').limit(limit).execute();
      return rows.map(toTrack);
    },

    /** Tracks of many artists, newest first, a page each. */
    async tracksOfArtists(ids: readonly number[], page: Page): Promise<ChildTrack[]> {
      let numbered = db
        .selectFrom('tracks')
        .select([...trackColumns, 'tracks.artist_id as parent_id', rowNumber('tracks.artist_id', 'tracks.id', 'desc')])
        .where('tracks.artist_id', 'in', ids);
      if (page.afterKey !== null) numbered = numbered.where('tracks.id', '<', page.afterKey);
      const rows = await firstPerParent(db, numbered, page.limit).orderBy('parent_id').execute();
      return rows.map((row) => ({ ...toTrack(row), parentId: row.parent_id, key: row.id }));
    },

    async trackCounts(artistIds: readonly number[]) {
      return db
        .selectFrom('tracks')
        .select(['artist_id as key', (eb) => eb.fn.countAll<number>().as('count')])
        .where('artist_id', 'in', artistIds)
        .groupBy('artist_id')
        .execute();
    },

    /** Tracks of many playlists, in playlist order, a page each (the cursor key is the position). */
    async tracksOfPlaylists(ids: readonly number[], page: Page): Promise<ChildTrack[]> {
      let numbered = db
        .selectFrom('playlist_tracks')
        .innerJoin('tracks', 'tracks.id', 'playlist_tracks.track_id')
        .select([
          ...trackColumns,
          'playlist_tracks.playlist_id as parent_id',
          'playlist_tracks.position',
          rowNumber('playlist_tracks.playlist_id', 'playlist_tracks.position', 'asc'),
        ])
        .where('playlist_tracks.playlist_id', 'in', ids);
      if (page.afterKey !== null) numbered = numbered.where('playlist_tracks.position', '>', page.afterKey);
      const rows = await firstPerParent(db, numbered, page.limit).orderBy('parent_id').execute();
      return rows.map((row) => ({ ...toTrack(row), parentId: row.parent_id, key: row.position }));
    },

    async playlistTrackCounts(ids: readonly number[]) {
      return db
        .selectFrom('playlist_tracks')
        .select(['playlist_id as key', (eb) => eb.fn.countAll<number>().as('count')])
        .where('playlist_id', 'in', ids)
        .groupBy('playlist_id')
        .execute();
    },

    async playlistsByIds(ids: readonly number[]): Promise<Playlist[]> {
      return (await db.selectFrom('playlists').select(playlistColumns).where('id', 'in', ids).execute()).map(toPlaylist);
    },

    async playlistsOfOwners(ids: readonly number[]): Promise<Playlist[]> {
      const rows = await db.selectFrom('playlists').select(playlistColumns).where('owner_id', 'in', ids).orderBy('owner_id').orderBy('id').execute();
      return rows.map(toPlaylist);
    },

    /** Each user's distinct most recently played tracks, up to `limit`, in one statement. */
    async recentlyPlayed(userIds: readonly number[], limit: number): Promise<ChildTrack[]> {
      const lastPlays = db
        .selectFrom('plays')
        .select(['plays.user_id', 'plays.track_id', (eb) => eb.fn.max('plays.id').as('last_play')])
        .where('plays.user_id', 'in', userIds)
        .groupBy(['plays.user_id', 'plays.track_id']);
      const rows = await db
        .selectFrom(
          db
            .selectFrom(lastPlays.as('last'))
            .innerJoin('tracks', 'tracks.id', 'last.track_id')
            .select([...trackColumns, 'last.user_id as parent_id', 'last.last_play', rowNumber('last.user_id', 'last.last_play', 'desc')])
            .as('numbered'),
        )
        .selectAll()
        .where('rn', '<=', limit)
        .orderBy('parent_id')
        .orderBy('rn')
        .execute();
      return rows.map((row) => ({ ...toTrack(row), parentId: row.parent_id, key: Number(row.last_play) }));
    },

    async createTrack(viewerId: number, input: { title: string; durationMs: number }, now = new Date()): Promise<Track> {
      const title = checkLength(input.title, 'title', 200);
      if (!Number.isInteger(input.durationMs) || input.durationMs <= 0 || input.durationMs > MAX_DURATION_MS) {
        throw badInput(`durationMs must be between 1 and ${MAX_DURATION_MS}`, 'durationMs');
      }
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('tracks')
          .values({ artist_id: viewerId, title, duration_ms: input.durationMs, created_at: now.toISOString() })
          .returning(['id', 'title', 'duration_ms', 'artist_id', 'play_count', 'created_at'])
          .executeTakeFirstOrThrow();
        return toTrack(row);
      });
    },

    async createPlaylist(viewerId: number, input: { name: string }, now = new Date()): Promise<Playlist> {
      const name = checkLength(input.name, 'name', 100);
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('playlists')
          .values({ owner_id: viewerId, name, created_at: now.toISOString() })
          .returning(['id', 'name', 'owner_id', 'created_at'])
          .executeTakeFirstOrThrow();
        return toPlaylist(row);
      });
    },

    async addTrackToPlaylist(viewerId: number, playlistId: number, trackId: number, now = new Date()): Promise<Playlist> {
      return db.transaction().execute(async (trx) => {
        let query = trx.selectFrom('playlists').select(playlistColumns).where('id', '=', playlistId);
        // Concurrent appends to one playlist must not pick the same position.
        if (dialect === 'postgres') query = query.forUpdate();
        const row = await query.executeTakeFirst();
        if (!row) throw notFound(`playlist ${playlistId} does not exist`);
        if (row.owner_id !== viewerId) throw forbidden(`playlist ${playlistId} belongs to another user`);
        await existingTrack(trx, trackId);
        const last = await trx
          .selectFrom('playlist_tracks')
          .select((eb) => eb.fn.max('position').as('position'))
          .where('playlist_id', '=', playlistId)
          .executeTakeFirst();
        await trx
          .insertInto('playlist_tracks')
          .values({ playlist_id: playlistId, position: Number(last?.position ?? 0) + 1, track_id: trackId, added_at: now.toISOString() })
          .execute();
        return toPlaylist(row);
      });
    },

    async recordPlay(viewerId: number, trackId: number, now = new Date()): Promise<Track> {
      return db.transaction().execute(async (trx) => {
        await existingTrack(trx, trackId);
        await trx.insertInto('plays').values({ user_id: viewerId, track_id: trackId, played_at: now.toISOString() }).execute();
        await trx
          .updateTable('tracks')
          .set({ play_count: sql`play_count + 1` })
          .where('id', '=', trackId)
          .execute();
        return existingTrack(trx, trackId);
      });
    },
  };
}

export type MediaStore = ReturnType<typeof createStore>;
