import { countLoader, groupLoader, loaderFamily, rowLoader, type Page } from '@crossfade/kit';
import type { MediaStore } from './store.ts';

export function createLoaders(store: MediaStore) {
  return {
    track: rowLoader(
      'track',
      (ids) => store.tracksByIds(ids),
      (track) => track.id,
    ),
    playlist: rowLoader(
      'playlist',
      (ids) => store.playlistsByIds(ids),
      (playlist) => playlist.id,
    ),
    tracksByArtist: loaderFamily((page: Page) =>
      groupLoader(
        'tracksByArtist',
        (ids) => store.tracksOfArtists(ids, page),
        (track) => track.parentId,
      ),
    ),
    trackCount: countLoader('trackCount', (ids) => store.trackCounts(ids)),
    playlistTracks: loaderFamily((page: Page) =>
      groupLoader(
        'playlistTracks',
        (ids) => store.tracksOfPlaylists(ids, page),
        (track) => track.parentId,
      ),
    ),
    playlistTrackCount: countLoader('playlistTrackCount', (ids) => store.playlistTrackCounts(ids)),
    playlistsByOwner: groupLoader(
      'playlistsByOwner',
      (ids) => store.playlistsOfOwners(ids),
      (playlist) => playlist.ownerId,
    ),
    recentlyPlayed: loaderFamily(
      (limit: number) =>
        groupLoader(
          'recentlyPlayed',
          (ids) => store.recentlyPlayed(ids, limit),
          (track) => track.parentId,
        ),
      String,
    ),
  };
}

export type MediaLoaders = ReturnType<typeof createLoaders>;
