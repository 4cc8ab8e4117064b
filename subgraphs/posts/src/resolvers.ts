import { pageOf, parseId, requireId, requireViewer, toConnection, type PageArgs, type Viewer } from '@crossfade/kit';
import type { PostsLoaders } from './loaders.ts';
import type { Post, PostsStore } from './store.ts';

export interface PostsContext {
  viewer: Viewer | null;
  store: PostsStore;
  loaders: PostsLoaders;
}

type Resolver<P, A> = (parent: P, args: A, context: PostsContext) => unknown;
const CURSOR = 'post';

const postById = (id: unknown, loaders: PostsLoaders) => {
  const parsed = parseId(id);
  return parsed === null ? null : loaders.post.load(parsed);
};

const optionalId = (id: string | null | undefined, name: string) => (id == null ? null : requireId(id, name));

export const resolvers = {
  Query: {
    post: ((_, { id }, { loaders }) => postById(id, loaders)) satisfies Resolver<unknown, { id: string }>,
    recentPosts: (async (_, args, { store }) => {
      const page = pageOf(args, CURSOR);
      return toConnection(
        await store.recentPosts(page),
        page,
        CURSOR,
        (post) => post.id,
        () => store.countTopLevel(),
      );
    }) satisfies Resolver<unknown, PageArgs>,
  },
  Mutation: {
    createPost: ((_, { input }, { viewer, store }) =>
      store.createPost(requireViewer(viewer), {
        body: input.body,
        replyToId: optionalId(input.replyToId, 'replyToId'),
        trackId: optionalId(input.trackId, 'trackId'),
      })) satisfies Resolver<unknown, { input: { body: string; replyToId?: string | null; trackId?: string | null } }>,
    deletePost: ((_, { id }, { viewer, store }) => store.deletePost(requireViewer(viewer), requireId(id, 'id'))) satisfies Resolver<unknown, { id: string }>,
    likePost: ((_, { id }, { viewer, store }) => store.setLike(requireViewer(viewer), requireId(id, 'id'), true)) satisfies Resolver<unknown, { id: string }>,
    unlikePost: ((_, { id }, { viewer, store }) => store.setLike(requireViewer(viewer), requireId(id, 'id'), false)) satisfies Resolver<unknown, { id: string }>,
    attachTrack: ((_, { postId, trackId }, { viewer, store }) =>
      store.attachTrack(requireViewer(viewer), requireId(postId, 'postId'), requireId(trackId, 'trackId'))) satisfies Resolver<unknown, { postId: string; trackId: string }>,
  },
  Post: {
    __resolveReference: ((ref, { loaders }) => postById(ref.id, loaders)) as (ref: { id: string }, context: PostsContext) => unknown,
    author: ((post) => ({ __typename: 'User', id: post.authorId })) satisfies Resolver<Post, unknown>,
    attachedTrack: ((post) => (post.attachedTrackId === null ? null : { __typename: 'Track', id: post.attachedTrackId })) satisfies Resolver<Post, unknown>,
    replyTo: ((post, _, { loaders }) => (post.replyToId === null ? null : loaders.post.load(post.replyToId))) satisfies Resolver<Post, unknown>,
    replies: (async (post, args, { loaders }) => {
      const page = pageOf(args, CURSOR);
      const rows = await loaders.replies(page).load(post.id);
      return toConnection(
        rows,
        page,
        CURSOR,
        (reply) => reply.id,
        () => loaders.replyCount.load(post.id),
      );
    }) satisfies Resolver<Post, PageArgs>,
    likeCount: ((post, _, { loaders }) => loaders.likeCount.load(post.id)) satisfies Resolver<Post, unknown>,
    viewerHasLiked: ((post, _, { loaders }) => loaders.viewerHasLiked.load(post.id)) satisfies Resolver<Post, unknown>,
  },
  User: {
    __resolveReference: ((ref) => {
      const id = parseId(ref.id);
      return id === null ? null : { id };
    }) as (ref: { id: string }) => unknown,
    posts: (async (user, args, { loaders }) => {
      const page = pageOf(args, CURSOR);
      const rows = await loaders.postsByAuthor(page).load(user.id);
      return toConnection(
        rows,
        page,
        CURSOR,
        (post) => post.id,
        () => loaders.postCount.load(user.id),
      );
    }) satisfies Resolver<{ id: number }, PageArgs>,
    postCount: ((user, _, { loaders }) => loaders.postCount.load(user.id)) satisfies Resolver<{ id: number }, unknown>,
  },
};
