/** The operations the benchmark sends, and the plans that spread them over connections. */
import type { RequestSpec } from './plan.ts';

export const HOME_FEED = `query HomeFeed($first: Int = 20) {
  recentPosts(first: $first) {
    edges { node {
      id body createdAt likeCount viewerHasLiked
      author { handle displayName followerCount }
      attachedTrack { title durationMs artist { handle } }
      replies(first: 3) { edges { node { body author { handle } } } }
    } }
  }
}`;

/** Answered by the users subgraph alone: the gateway's overhead on a single fetch. */
export const USER_LOOKUP = `query UserLookup($id: ID) {
  user(id: $id) { id handle displayName bio createdAt followerCount followingCount }
}`;

export const OLD_POSTS = `query OldPosts { recentPosts(first: 100) { edges { node { id } } } }`;

export const REPLY = `mutation Reply($input: CreatePostInput!) {
  createPost(input: $input) { id body replyTo { id } author { handle } }
}`;

export const LIKE = `mutation Like($id: ID!) { likePost(id: $id) { id likeCount viewerHasLiked } }`;

export const body = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
  JSON.stringify({ query, ...(operationName ? { operationName } : {}), ...(variables ? { variables } : {}) });

export const JSON_HEADERS = { 'content-type': 'application/json' };

export const bearer = (token: string | undefined): Record<string, string> => (token ? { ...JSON_HEADERS, authorization: `Bearer ${token}` } : JSON_HEADERS);

export interface Viewer {
  id: number;
  handle: string;
  token: string;
}

/** Writes that leave every read reference unchanged: replies to and likes of posts outside the feed. */
export function writeRequests(viewer: Viewer, connection: number, oldPostIds: string[]): RequestSpec[] {
  const parent = oldPostIds[connection % oldPostIds.length];
  const liked = oldPostIds[(connection + Math.floor(oldPostIds.length / 2)) % oldPostIds.length];
  const text = `bench reply from ${viewer.handle} on connection ${connection}`;
  return [
    {
      body: body(REPLY, { input: { body: text, replyToId: parent } }),
      headers: bearer(viewer.token),
      check: { kind: 'createPost', body: text, replyToId: parent, handle: viewer.handle },
    },
    { body: body(LIKE, { id: liked }), headers: bearer(viewer.token), check: { kind: 'likePost', id: liked } },
  ];
}
