import { insertChunked, random, SEED, seedOnce, seedTime, syncSequences, type Database } from '@crossfade/kit';
import type { MediaDB } from './db-types.ts';

const ADJECTIVES = ['Midnight', 'Golden', 'Electric', 'Quiet', 'Neon', 'Paper', 'Velvet', 'Broken', 'Northern', 'Slow', 'Crimson', 'Hollow'];
const NOUNS = ['Signal', 'Harbor', 'Echo', 'Garden', 'Skyline', 'Tide', 'Engine', 'Letters', 'Static', 'Orbit', 'Lanterns', 'Avenue'];

export async function seed(database: Database<MediaDB>): Promise<boolean> {
  return seedOnce(database.db, 'tracks', async (trx) => {
    const rand = random(4);
    const user = (skew: number) => 1 + Math.floor(Math.pow(rand.next(), skew) * SEED.users);
    const plays: { id: number; user_id: number; track_id: number; played_at: string }[] = [];
    const playCounts = new Map<number, number>();
    for (let id = 1; id <= 60_000; id++) {
      const track_id = 1 + Math.floor(Math.pow(rand.next(), 2) * SEED.tracks);
      playCounts.set(track_id, (playCounts.get(track_id) ?? 0) + 1);
      plays.push({ id, user_id: user(1.5), track_id, played_at: seedTime(SEED.tracks * 60 + id * 30) });
    }
    const tracks = Array.from({ length: SEED.tracks }, (_, i) => ({
      id: i + 1,
      artist_id: user(2),
      title: `${rand.pick(ADJECTIVES)} ${rand.pick(NOUNS)}${rand.chance(0.3) ? ` (${rand.pick(['Live', 'Remix', 'Demo', 'Edit'])})` : ''}`,
      duration_ms: rand.int(90_000, 420_000),
      play_count: playCounts.get(i + 1) ?? 0,
      created_at: seedTime((i + 1) * 60),
    }));
    await insertChunked(trx, 'tracks', tracks);
    await insertChunked(trx, 'plays', plays);
    const playlists = Array.from({ length: SEED.playlists }, (_, i) => ({
      id: i + 1,
      owner_id: user(1.3),
      name: `${rand.pick(ADJECTIVES)} ${rand.pick(['mornings', 'drives', 'focus', 'workouts', 'nights', 'rain'])}`,
      created_at: seedTime(i * 90),
    }));
    await insertChunked(trx, 'playlists', playlists);
    const entries: { playlist_id: number; position: number; track_id: number; added_at: string }[] = [];
    for (const playlist of playlists) {
      const size = rand.int(5, 40);
      for (let position = 1; position <= size; position++) {
        entries.push({ playlist_id: playlist.id, position, track_id: rand.int(1, SEED.tracks), added_at: playlist.created_at });
      }
    }
    await insertChunked(trx, 'playlist_tracks', entries);
    await syncSequences(trx, database.dialect, ['tracks', 'playlists', 'plays']);
  });
}
