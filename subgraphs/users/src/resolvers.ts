import { badInput, pageOf, parseId, requireId, requireViewer, toConnection, type PageArgs, type Viewer } from '@crossfade/kit';
import type { UsersLoaders } from './loaders.ts';
import type { CreateUserInput, User, UsersStore } from './store.ts';

export interface UsersContext {
  viewer: Viewer | null;
  store: UsersStore;
  loaders: UsersLoaders;
}

type Resolver<P, A, R> = (parent: P, args: A, context: UsersContext) => R;

const followConnection =
  (which: 'followers' | 'following'): Resolver<User, PageArgs, unknown> =>
  async (user, args, { loaders }) => {
    const page = pageOf(args, 'follow');
    const rows = await loaders[which](page).load(user.id);
    const count = which === 'followers' ? loaders.followerCount : loaders.followingCount;
    return toConnection(
      rows,
      page,
      'follow',
      (row) => row.id,
      () => count.load(user.id),
    );
  };

export const resolvers = {
  Query: {
    me: ((_, __, { viewer, loaders }) => (viewer ? loaders.user.load(Number(viewer.id)) : null)) satisfies Resolver<unknown, unknown, unknown>,
    user: (async (_, args, { loaders, store }) => {
      const hasId = args.id != null;
      const hasHandle = args.handle != null;
      if (hasId === hasHandle) throw badInput('give exactly one of id and handle');
      if (hasId) {
        const id = parseId(args.id);
        return id === null ? null : loaders.user.load(id);
      }
      return store.userByHandle(args.handle!.trim());
    }) satisfies Resolver<unknown, { id?: string | null; handle?: string | null }, unknown>,
    users: (async (_, args, { store }) => {
      const page = pageOf(args, 'user');
      return toConnection(
        await store.listUsers(page),
        page,
        'user',
        (user) => user.id,
        () => store.countUsers(),
      );
    }) satisfies Resolver<unknown, PageArgs, unknown>,
  },
  Mutation: {
    createUser: ((_, { input }, { store }) => store.createUser(input)) satisfies Resolver<unknown, { input: CreateUserInput }, unknown>,
    follow: ((_, { userId }, { viewer, store }) => store.setFollow(requireViewer(viewer), requireId(userId, 'userId'), true)) satisfies Resolver<
      unknown,
      { userId: string },
      unknown
    >,
    unfollow: ((_, { userId }, { viewer, store }) => store.setFollow(requireViewer(viewer), requireId(userId, 'userId'), false)) satisfies Resolver<
      unknown,
      { userId: string },
      unknown
    >,
  },
  User: {
    __resolveReference: ((ref, { loaders }) => {
      const id = parseId(ref.id);
      return id === null ? null : loaders.user.load(id);
    }) as (ref: { id: string }, context: UsersContext) => unknown,
    followers: followConnection('followers'),
    following: followConnection('following'),
    followerCount: ((user, _, { loaders }) => loaders.followerCount.load(user.id)) satisfies Resolver<User, unknown, unknown>,
    followingCount: ((user, _, { loaders }) => loaders.followingCount.load(user.id)) satisfies Resolver<User, unknown, unknown>,
  },
};
