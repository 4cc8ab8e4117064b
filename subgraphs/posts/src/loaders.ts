import { batchLoader, countLoader, groupLoader, loaderFamily, rowLoader, type Page, type Viewer } from '@crossfade/kit';
import type { PostsStore } from './store.ts';

export function createLoaders(store: PostsStore, viewer: Viewer | null) {
  const viewerId = viewer ? Number(viewer.id) : null;
  return {
    post: rowLoader(
      'post',
      (ids) => store.postsByIds(ids),
      (post) => post.id,
    ),
    replies: loaderFamily((page: Page) =>
      groupLoader(
        'replies',
        (ids) => store.repliesOf(ids, page),
        (post) => post.parentId,
      ),
    ),
    postsByAuthor: loaderFamily((page: Page) =>
      groupLoader(
        'postsByAuthor',
        (ids) => store.postsOfAuthors(ids, page),
        (post) => post.parentId,
      ),
    ),
    replyCount: countLoader('replyCount', (ids) => store.replyCounts(ids)),
    postCount: countLoader('postCount', (ids) => store.postCounts(ids)),
    likeCount: countLoader('likeCount', (ids) => store.likeCounts(ids)),
    viewerHasLiked: batchLoader<number, boolean>('viewerHasLiked', async (ids) => {
      if (viewerId === null) return ids.map(() => false);
      const liked = new Set(await store.likedBy(viewerId, ids));
      return ids.map((id) => liked.has(id));
    }),
  };
}

export type PostsLoaders = ReturnType<typeof createLoaders>;
