import { countLoader, groupLoader, loaderFamily, rowLoader, type Page } from '@crossfade/kit';
import type { UsersStore } from './store.ts';

export function createLoaders(store: UsersStore) {
  return {
    user: rowLoader(
      'user',
      (ids) => store.usersByIds(ids),
      (user) => user.id,
    ),
    followers: loaderFamily((page: Page) =>
      groupLoader(
        'followers',
        (ids) => store.followersOf(ids, page),
        (user) => user.parentId,
      ),
    ),
    following: loaderFamily((page: Page) =>
      groupLoader(
        'following',
        (ids) => store.followingOf(ids, page),
        (user) => user.parentId,
      ),
    ),
    followerCount: countLoader('followerCount', (ids) => store.followerCounts(ids)),
    followingCount: countLoader('followingCount', (ids) => store.followingCounts(ids)),
  };
}

export type UsersLoaders = ReturnType<typeof createLoaders>;
