import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { DIALECTS } from '../../../test/support/databases.ts';
import { openDatabaseCopy } from '../../../test/support/stack.ts';
import { countRows, refusalCode } from '../../../test/support/assertions.ts';
import type { MediaDB } from '../src/db-types.ts';
import { createStore, MAX_DURATION_MS, type MediaStore } from '../src/store.ts';

const groupByParent = <R extends { parentId: number }, V>(rows: R[], value: (row: R) => V) => {
  const groups = new Map<number, V[]>();
  for (const row of rows) groups.set(row.parentId, [...(groups.get(row.parentId) ?? []), value(row)]);
  return groups;
};
const countsByKey = (rows: { key: number; count: number | string | bigint }[]) => new Map(rows.map((row) => [Number(row.key), Number(row.count)]));
const range = (from: number, count: number) => [...Array(count).keys()].map((i) => from + i);

describe.each(DIALECTS)('media store (%s)', (dialect) => {
  let copy: Awaited<ReturnType<typeof openDatabaseCopy>>;
  let db: Kysely<MediaDB>;
  let store: MediaStore;
  const statements = () => copy.database.stats.statements;
  const rowCount = (table: keyof MediaDB) => countRows(db, table);

  beforeAll(async () => {
    copy = await openDatabaseCopy('media', dialect);
    db = copy.database.db;
    store = createStore(db, dialect);
  });
  afterAll(() => copy?.close());

  describe('reads', () => {
    it('looks tracks and playlists up by ids, leaving missing ids out', async () => {
      const tracks = await store.tracksByIds([2, 1, 999_999]);
      expect(tracks.map((track) => track.id).sort()).toEqual([1, 2]);
      expect(tracks[0]).toMatchObject({ title: expect.any(String), durationMs: expect.any(Number), artistId: expect.any(Number), playCount: expect.any(Number) });
      expect((await store.playlistsByIds([1000, 1, 999_999])).map((playlist) => playlist.id).sort((a, b) => a - b)).toEqual([1, 1000]);
      expect(await store.tracksByIds([999_999])).toEqual([]);
      expect(await store.playlistsByIds([999_999])).toEqual([]);
    });

    it('pages tracks newest first, limit + 1 after the key', async () => {
      expect((await store.listTracks({ limit: 2, afterKey: null })).map((track) => track.id)).toEqual([10_000, 9_999, 9_998]);
      expect((await store.listTracks({ limit: 2, afterKey: 9_999 })).map((track) => track.id)).toEqual([9_998, 9_997, 9_996]);
      expect((await store.listTracks({ limit: 5, afterKey: 3 })).map((track) => track.id)).toEqual([2, 1]);
      expect(await store.countTracks()).toBe(10_000);
    });

    it('lists top tracks by play count, ties by id', async () => {
      const top = await store.topTracks(20);
      expect(top).toHaveLength(20);
      const [{ max }] = await db
        .selectFrom('tracks')
        .select((eb) => eb.fn.max('play_count').as('max'))
        .execute();
      expect(top[0].playCount).toBe(Number(max));
      for (let i = 1; i < top.length; i++) {
        const [a, b] = [top[i - 1], top[i]];
        expect(a.playCount > b.playCount || (a.playCount === b.playCount && a.id < b.id)).toBe(true);
      }
    });

    it('pages the tracks of 50 artists in one statement, at most limit + 1 each, newest first', async () => {
      const artists = range(1, 50);
      const before = statements();
      const rows = await store.tracksOfArtists(artists, { limit: 2, afterKey: null });
      expect(statements() - before).toBe(1);
      const expected = new Map<number, number[]>();
      for (const row of await db.selectFrom('tracks').select(['id', 'artist_id']).where('artist_id', 'in', artists).orderBy('id', 'desc').execute()) {
        const list = expected.get(row.artist_id) ?? [];
        if (list.length < 3) expected.set(row.artist_id, [...list, row.id]);
      }
      expect(expected.size).toBeGreaterThan(10);
      expect(groupByParent(rows, (row) => row.id)).toEqual(expected);
      expect(rows.every((row) => row.key === row.id)).toBe(true);
    });

    it('pages the tracks of 50 playlists in one statement by position, at most limit + 1 each', async () => {
      const playlists = range(1, 50);
      const entries = await db.selectFrom('playlist_tracks').select(['playlist_id', 'position', 'track_id']).where('playlist_id', 'in', playlists).orderBy('position').execute();
      const expected = (afterKey: number | null, limit: number) => {
        const groups = new Map<number, [number, number][]>();
        for (const entry of entries) {
          if (afterKey !== null && entry.position <= afterKey) continue;
          const list = groups.get(entry.playlist_id) ?? [];
          if (list.length <= limit) groups.set(entry.playlist_id, [...list, [entry.position, entry.track_id]]);
        }
        return groups;
      };

      const before = statements();
      const firstPage = await store.tracksOfPlaylists(playlists, { limit: 4, afterKey: null });
      expect(statements() - before).toBe(1);
      expect(groupByParent(firstPage, (row) => [row.key, row.id])).toEqual(expected(null, 4));
      // Every seeded playlist has at least 5 tracks: positions 1..5 each.
      expect([...groupByParent(firstPage, (row) => row.key).values()]).toEqual(playlists.map(() => [1, 2, 3, 4, 5]));

      const secondPage = await store.tracksOfPlaylists(playlists, { limit: 4, afterKey: 4 });
      expect(groupByParent(secondPage, (row) => [row.key, row.id])).toEqual(expected(4, 4));
    });

    it('counts tracks per artist and per playlist in one statement each, leaving out keys with none', async () => {
      const artists = range(1, 50);
      const playlists = range(1, 50);
      let before = statements();
      const byArtist = countsByKey(await store.trackCounts([...artists, 999_999]));
      expect(statements() - before).toBe(1);
      const expectedByArtist = new Map<number, number>();
      for (const row of await db.selectFrom('tracks').select('artist_id').where('artist_id', 'in', artists).execute())
        expectedByArtist.set(row.artist_id, (expectedByArtist.get(row.artist_id) ?? 0) + 1);
      expect(byArtist).toEqual(expectedByArtist);

      before = statements();
      const byPlaylist = countsByKey(await store.playlistTrackCounts([...playlists, 999_999]));
      expect(statements() - before).toBe(1);
      expect([...byPlaylist.keys()].sort((a, b) => a - b)).toEqual(playlists);
      for (const id of playlists) {
        const positions = await db.selectFrom('playlist_tracks').select('position').where('playlist_id', '=', id).execute();
        expect(byPlaylist.get(id)).toBe(positions.length);
        expect(positions.length).toBeGreaterThanOrEqual(5);
        expect(positions.length).toBeLessThanOrEqual(40);
      }
    });

    it('lists the playlists of many owners, by id within each owner', async () => {
      const owners = range(1, 50);
      const playlists = await store.playlistsOfOwners([...owners, 999_999]);
      const expected = await db.selectFrom('playlists').select('id').where('owner_id', 'in', owners).orderBy('owner_id').orderBy('id').execute();
      expect(expected.length).toBeGreaterThan(10);
      expect(playlists.map((playlist) => playlist.id)).toEqual(expected.map((row) => row.id));
      expect(playlists.every((playlist) => owners.includes(playlist.ownerId))).toBe(true);
    });

    it('gives 50 users their distinct most recently played tracks in one statement, limit each', async () => {
      const users = range(1, 50);
      const limit = 3;
      const before = statements();
      const rows = await store.recentlyPlayed([...users, 999_999], limit);
      expect(statements() - before).toBe(1);
      // From the plays themselves: each track once, at its latest play, latest first.
      const lastPlay = new Map<number, Map<number, number>>();
      for (const play of await db.selectFrom('plays').select(['id', 'user_id', 'track_id']).where('user_id', 'in', users).execute()) {
        const tracks = lastPlay.get(play.user_id) ?? new Map<number, number>();
        tracks.set(play.track_id, Math.max(play.id, tracks.get(play.track_id) ?? 0));
        lastPlay.set(play.user_id, tracks);
      }
      const expected = new Map(
        [...lastPlay].map(([user, tracks]) => [
          user,
          [...tracks]
            .sort((a, b) => b[1] - a[1])
            .slice(0, limit)
            .map(([track]) => track),
        ]),
      );
      expect(expected.size).toBeGreaterThan(10);
      expect(groupByParent(rows, (row) => row.id)).toEqual(expected);
    });
  });

  describe('recordPlay and recentlyPlayed', () => {
    const listener = 1;

    it('counts a play on the track and records it', async () => {
      const [track] = await store.tracksByIds([500]);
      const plays = await rowCount('plays');
      const played = await store.recordPlay(listener, 500);
      expect(played).toEqual({ ...track, playCount: track.playCount + 1 });
      expect((await store.tracksByIds([500]))[0].playCount).toBe(track.playCount + 1);
      expect(await rowCount('plays')).toBe(plays + 1);
    });

    it('lists a track played twice once, at its latest play', async () => {
      await store.recordPlay(listener, 601);
      await store.recordPlay(listener, 602);
      await store.recordPlay(listener, 601);
      expect((await store.recentlyPlayed([listener], 2)).map((track) => track.id)).toEqual([601, 602]);
      expect((await store.recentlyPlayed([listener], 1)).map((track) => track.id)).toEqual([601]);
      const ten = (await store.recentlyPlayed([listener], 10)).map((track) => track.id);
      expect(ten).toHaveLength(10);
      expect(new Set(ten).size).toBe(10);
    });

    it('refuses a play of a missing track as NOT_FOUND and writes nothing', async () => {
      const plays = await rowCount('plays');
      expect(await refusalCode(store.recordPlay(listener, 999_999))).toBe('NOT_FOUND');
      expect(await rowCount('plays')).toBe(plays);
    });
  });

  describe('createTrack and createPlaylist', () => {
    const artist = 321;

    it('creates a track by the viewer that leads the newest tracks', async () => {
      const before = await rowCount('tracks');
      const track = await store.createTrack(artist, { title: '  First Light ', durationMs: 200_000 });
      expect(track).toMatchObject({ title: 'First Light', durationMs: 200_000, artistId: artist, playCount: 0 });
      expect(await rowCount('tracks')).toBe(before + 1);
      expect((await store.listTracks({ limit: 0, afterKey: null }))[0]).toEqual(track);
      expect((await store.tracksOfArtists([artist], { limit: 0, afterKey: null }))[0].id).toBe(track.id);
    });

    it.each([
      ['a blank title', { title: '   ', durationMs: 1000 }],
      ['a title over 200 characters', { title: 'x'.repeat(201), durationMs: 1000 }],
      ['a zero duration', { title: 'Silence', durationMs: 0 }],
      ['a negative duration', { title: 'Backwards', durationMs: -5 }],
      ['a fractional duration', { title: 'Almost', durationMs: 1000.5 }],
      ['a duration over a day', { title: 'Forever', durationMs: MAX_DURATION_MS + 1 }],
    ])('refuses a track with %s as BAD_USER_INPUT and writes nothing', async (_, input) => {
      const before = await rowCount('tracks');
      expect(await refusalCode(store.createTrack(artist, input))).toBe('BAD_USER_INPUT');
      expect(await rowCount('tracks')).toBe(before);
    });

    it('creates an empty playlist owned by the viewer, whose first track takes position 1', async () => {
      const playlist = await store.createPlaylist(artist, { name: ' Late drives ' });
      expect(playlist).toMatchObject({ name: 'Late drives', ownerId: artist });
      expect(await store.playlistsByIds([playlist.id])).toEqual([playlist]);
      expect(await store.tracksOfPlaylists([playlist.id], { limit: 10, afterKey: null })).toEqual([]);
      await store.addTrackToPlaylist(artist, playlist.id, 77);
      expect((await store.tracksOfPlaylists([playlist.id], { limit: 10, afterKey: null })).map((track) => [track.key, track.id])).toEqual([[1, 77]]);
    });

    it.each([
      ['a blank name', ' '],
      ['a name over 100 characters', 'x'.repeat(101)],
    ])('refuses a playlist with %s as BAD_USER_INPUT and writes nothing', async (_, name) => {
      const before = await rowCount('playlists');
      expect(await refusalCode(store.createPlaylist(artist, { name }))).toBe('BAD_USER_INPUT');
      expect(await rowCount('playlists')).toBe(before);
    });
  });

  describe('addTrackToPlaylist', () => {
    const playlistId = 7;
    let ownerId: number;
    beforeAll(async () => {
      ownerId = (await store.playlistsByIds([playlistId]))[0].ownerId;
    });

    it('appends the track after the last position', async () => {
      const [length] = (await store.playlistTrackCounts([playlistId])).map((row) => Number(row.count));
      expect(await store.addTrackToPlaylist(ownerId, playlistId, 4242)).toMatchObject({ id: playlistId, ownerId });
      await store.addTrackToPlaylist(ownerId, playlistId, 4243);
      const tail = await store.tracksOfPlaylists([playlistId], { limit: 10, afterKey: length });
      expect(tail.map((track) => [track.key, track.id])).toEqual([
        [length + 1, 4242],
        [length + 2, 4243],
      ]);
    });

    it.each([
      ['a missing playlist', () => ({ viewer: ownerId, playlist: 999_999, track: 1 }), 'NOT_FOUND'],
      ['another user’s playlist', () => ({ viewer: ownerId + 1, playlist: playlistId, track: 1 }), 'FORBIDDEN'],
      ['a missing track', () => ({ viewer: ownerId, playlist: playlistId, track: 999_999 }), 'NOT_FOUND'],
    ])('refuses %s and writes nothing', async (_, args, code) => {
      const { viewer, playlist, track } = args();
      const before = await rowCount('playlist_tracks');
      expect(await refusalCode(store.addTrackToPlaylist(viewer, playlist, track))).toBe(code);
      expect(await rowCount('playlist_tracks')).toBe(before);
    });
  });
});
