import { limitOf, pageOf, parseId, requireId, requireViewer, toConnection, type PageArgs, type Viewer } from '@crossfade/kit';
import type { MediaLoaders } from './loaders.ts';
import type { MediaStore, Playlist, Track } from './store.ts';

export interface MediaContext {
  viewer: Viewer | null;
  store: MediaStore;
  loaders: MediaLoaders;
}

type Resolver<P, A> = (parent: P, args: A, context: MediaContext) => unknown;

const byId = <T>(id: unknown, loader: { load(id: number): Promise<T | null> }) => {
  const parsed = parseId(id);
  return parsed === null ? null : loader.load(parsed);
};

export const resolvers = {
  Query: {
    track: ((_, { id }, { loaders }) => byId(id, loaders.track)) satisfies Resolver<unknown, { id: string }>,
    playlist: ((_, { id }, { loaders }) => byId(id, loaders.playlist)) satisfies Resolver<unknown, { id: string }>,
    tracks: (async (_, args, { store }) => {
      const page = pageOf(args, 'track');
      return toConnection(
        await store.listTracks(page),
        page,
        'track',
        (track) => track.id,
        () => store.countTracks(),
      );
    }) satisfies Resolver<unknown, PageArgs>,
    topTracks: ((_, { first }, { store }) => store.topTracks(limitOf(first, 10))) satisfies Resolver<unknown, { first?: number | null }>,
  },
  Mutation: {
    createTrack: ((_, { input }, { viewer, store }) => store.createTrack(requireViewer(viewer), input)) satisfies Resolver<
      unknown,
      { input: { title: string; durationMs: number } }
    >,
    createPlaylist: ((_, { input }, { viewer, store }) => store.createPlaylist(requireViewer(viewer), input)) satisfies Resolver<unknown, { input: { name: string } }>,
    addTrackToPlaylist: ((_, { playlistId, trackId }, { viewer, store }) =>
      store.addTrackToPlaylist(requireViewer(viewer), requireId(playlistId, 'playlistId'), requireId(trackId, 'trackId'))) satisfies Resolver<
      unknown,
      { playlistId: string; trackId: string }
    >,
    recordPlay: ((_, { trackId }, { viewer, store }) => store.recordPlay(requireViewer(viewer), requireId(trackId, 'trackId'))) satisfies Resolver<unknown, { trackId: string }>,
  },
  Track: {
    __resolveReference: ((ref, { loaders }) => byId(ref.id, loaders.track)) as (ref: { id: string }, context: MediaContext) => unknown,
    artist: ((track) => ({ __typename: 'User', id: track.artistId })) satisfies Resolver<Track, unknown>,
  },
  Playlist: {
    __resolveReference: ((ref, { loaders }) => byId(ref.id, loaders.playlist)) as (ref: { id: string }, context: MediaContext) => unknown,
    owner: ((playlist) => ({ __typename: 'User', id: playlist.ownerId })) satisfies Resolver<Playlist, unknown>,
    tracks: (async (playlist, args, { loaders }) => {
      const page = pageOf(args, 'position');
      const rows = await loaders.playlistTracks(page).load(playlist.id);
      return toConnection(
        rows,
        page,
        'position',
        (track) => track.key,
        () => loaders.playlistTrackCount.load(playlist.id),
      );
    }) satisfies Resolver<Playlist, PageArgs>,
  },
  User: {
    __resolveReference: ((ref) => {
      const id = parseId(ref.id);
      return id === null ? null : { id };
    }) as (ref: { id: string }) => unknown,
    tracks: (async (user, args, { loaders }) => {
      const page = pageOf(args, 'track');
      const rows = await loaders.tracksByArtist(page).load(user.id);
      return toConnection(
        rows,
        page,
        'track',
        (track) => track.id,
        () => loaders.trackCount.load(user.id),
      );
    }) satisfies Resolver<{ id: number }, PageArgs>,
    playlists: ((user, _, { loaders }) => loaders.playlistsByOwner.load(user.id)) satisfies Resolver<{ id: number }, unknown>,
    recentlyPlayed: ((user, { first }, { loaders }) => loaders.recentlyPlayed(limitOf(first, 10)).load(user.id)) satisfies Resolver<{ id: number }, { first?: number | null }>,
  },
};
