import type { Generated } from 'kysely';

export interface TracksTable {
  id: Generated<number>;
  artist_id: number;
  title: string;
  duration_ms: number;
  play_count: Generated<number>;
  created_at: string;
}

export interface PlaylistsTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  created_at: string;
}

export interface PlaylistTracksTable {
  playlist_id: number;
  position: number;
  track_id: number;
  added_at: string;
}

export interface PlaysTable {
  id: Generated<number>;
  user_id: number;
  track_id: number;
  played_at: string;
}

export interface MediaDB {
  tracks: TracksTable;
  playlists: PlaylistsTable;
  playlist_tracks: PlaylistTracksTable;
  plays: PlaysTable;
}
