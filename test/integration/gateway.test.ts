import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { SERVICE_TOKEN_HEADER, DEV_GATEWAY_SECRET } from '@crossfade/kit';
import { DIALECTS } from '../support/databases.ts';
import { HOME_FEED, postJson, secrets, startStack, tokenFor, type Stack } from '../support/stack.ts';
import { tableRows } from '../support/assertions.ts';

const rowCounts = (stack: Stack) => tableRows({ users: stack.subgraphs.users.database.db, posts: stack.subgraphs.posts.database.db, media: stack.subgraphs.media.database.db });

const codes = (response: { body: { errors?: { extensions?: Record<string, any> }[] } }) => response.body.errors?.map((e) => e.extensions?.code);

describe.each(DIALECTS)('gateway over three subgraphs (%s)', (dialect) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(dialect);
  });
  afterAll(() => stack?.close());

  it('serves HomeFeed across all three subgraphs', async () => {
    const response = await stack.query(HOME_FEED);
    expect(response.body.errors).toBeUndefined();
    const posts = response.body.data.recentPosts.edges.map((e: any) => e.node);
    expect(posts).toHaveLength(20);
    const ids = posts.map((p: any) => Number(p.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    for (const [index, post] of posts.entries()) {
      expect(post.author.handle).toMatch(/^[a-z0-9_]+$/);
      expect(post.author.followerCount).toBeGreaterThanOrEqual(0);
      expect(post.replies.edges.length).toBeGreaterThanOrEqual(1);
      for (const reply of post.replies.edges) expect(reply.node.author.handle).toBeTruthy();
      if (index % 2 === 0) {
        expect(post.attachedTrack.durationMs).toBeGreaterThan(0);
        expect(post.attachedTrack.artist.handle).toBeTruthy();
      }
    }
  });

  it('pages with opaque cursors and reports totalCount', async () => {
    const first = await stack.query(`{ recentPosts(first: 2) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`);
    const page = first.body.data.recentPosts;
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.totalCount).toBeGreaterThan(1000);
    expect(page.pageInfo.endCursor).toBe(page.edges[1].cursor);
    const next = await stack.query(`query($after: String) { recentPosts(first: 2, after: $after) { edges { node { id } } } }`, { after: page.pageInfo.endCursor });
    expect(Number(next.body.data.recentPosts.edges[0].node.id)).toBeLessThan(Number(page.edges[1].node.id));
  });

  it('looks users up by id or handle and returns null for unknown ones', async () => {
    const response = await stack.query(
      `{ a: user(handle: "alice") { id handle postCount tracks(first: 1) { totalCount } } b: user(id: "999999") { id } c: post(id: "nope") { id } d: user(id: "2147483648") { id } }`,
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.a).toMatchObject({ id: '1', handle: 'alice' });
    expect(response.body.data.a.postCount).toBeGreaterThan(0);
    expect(response.body.data.b).toBeNull();
    expect(response.body.data.c).toBeNull();
    expect(response.body.data.d).toBeNull();
  });

  it('runs every mutation through the gateway', async () => {
    const created = await stack.query(`mutation { createUser(input: { handle: "new_${dialect}", displayName: "New User", bio: "hi" }) { id handle } }`);
    expect(created.body.errors).toBeUndefined();
    const me = Number(created.body.data.createUser.id);
    const meQuery = await stack.query(`{ me { id handle } }`, {}, { as: me });
    expect(meQuery.body.data.me).toEqual({ id: String(me), handle: `new_${dialect}` });

    const followed = await stack.query(`mutation { follow(userId: "2") { id followerCount } }`, {}, { as: me });
    const before = followed.body.data.follow.followerCount;
    const again = await stack.query(`mutation { follow(userId: "2") { followerCount } }`, {}, { as: me });
    expect(again.body.data.follow.followerCount).toBe(before);
    const following = await stack.query(`{ me { followingCount following { edges { node { handle } } } } }`, {}, { as: me });
    expect(following.body.data.me.following.edges.map((e: any) => e.node.handle)).toEqual(['bob']);
    const unfollowed = await stack.query(`mutation { unfollow(userId: "2") { followerCount } }`, {}, { as: me });
    expect(unfollowed.body.data.unfollow.followerCount).toBe(before - 1);

    const track = await stack.query(`mutation { createTrack(input: { title: "First Light", durationMs: 200000 }) { id title artist { handle } playCount } }`, {}, { as: me });
    expect(track.body.data.createTrack).toMatchObject({ title: 'First Light', artist: { handle: `new_${dialect}` }, playCount: 0 });
    const trackId = track.body.data.createTrack.id;

    const post = await stack.query(
      `mutation($track: ID) { createPost(input: { body: "listen to this", trackId: $track }) { id body author { handle } attachedTrack { title } likeCount viewerHasLiked } }`,
      { track: trackId },
      { as: me },
    );
    expect(post.body.data.createPost).toMatchObject({
      body: 'listen to this',
      author: { handle: `new_${dialect}` },
      attachedTrack: { title: 'First Light' },
      likeCount: 0,
      viewerHasLiked: false,
    });
    const postId = post.body.data.createPost.id;
    const newest = await stack.query(`{ recentPosts(first: 1) { edges { node { id } } } }`);
    expect(newest.body.data.recentPosts.edges[0].node.id).toBe(postId);

    const reply = await stack.query(`mutation($to: ID) { createPost(input: { body: "so good", replyToId: $to }) { id replyTo { id } } }`, { to: postId }, { as: 2 });
    expect(reply.body.data.createPost.replyTo.id).toBe(postId);

    const liked = await stack.query(`mutation($id: ID!) { likePost(id: $id) { likeCount viewerHasLiked } }`, { id: postId }, { as: 3 });
    expect(liked.body.data.likePost).toEqual({ likeCount: 1, viewerHasLiked: true });
    const likedTwice = await stack.query(`mutation($id: ID!) { likePost(id: $id) { likeCount } }`, { id: postId }, { as: 3 });
    expect(likedTwice.body.data.likePost.likeCount).toBe(1);
    const otherViewer = await stack.query(`query($id: ID!) { post(id: $id) { viewerHasLiked } }`, { id: postId }, { as: 4 });
    expect(otherViewer.body.data.post.viewerHasLiked).toBe(false);
    const unliked = await stack.query(`mutation($id: ID!) { unlikePost(id: $id) { likeCount viewerHasLiked } }`, { id: postId }, { as: 3 });
    expect(unliked.body.data.unlikePost).toEqual({ likeCount: 0, viewerHasLiked: false });

    const attached = await stack.query(`mutation($id: ID!) { attachTrack(postId: $id, trackId: "5") { attachedTrack { id } } }`, { id: postId }, { as: me });
    expect(attached.body.data.attachTrack.attachedTrack.id).toBe('5');

    const playlist = await stack.query(`mutation { createPlaylist(input: { name: "Mine" }) { id name owner { handle } } }`, {}, { as: me });
    expect(playlist.body.data.createPlaylist).toMatchObject({ name: 'Mine', owner: { handle: `new_${dialect}` } });
    const playlistId = playlist.body.data.createPlaylist.id;
    for (const id of [trackId, '7']) {
      const added = await stack.query(`mutation($p: ID!, $t: ID!) { addTrackToPlaylist(playlistId: $p, trackId: $t) { id } }`, { p: playlistId, t: id }, { as: me });
      expect(added.body.errors).toBeUndefined();
    }
    const listed = await stack.query(`query($id: ID!) { playlist(id: $id) { tracks { totalCount edges { node { id } } } } }`, { id: playlistId });
    expect(listed.body.data.playlist.tracks).toEqual({ totalCount: 2, edges: [{ node: { id: trackId } }, { node: { id: '7' } }] });

    const played = await stack.query(`mutation($t: ID!) { recordPlay(trackId: $t) { playCount } }`, { t: trackId }, { as: me });
    expect(played.body.data.recordPlay.playCount).toBe(1);
    const recent = await stack.query(`{ me { recentlyPlayed(first: 1) { id } playlists { id } } }`, {}, { as: me });
    expect(recent.body.data.me).toEqual({ recentlyPlayed: [{ id: trackId }], playlists: [{ id: playlistId }] });

    const deleted = await stack.query(`mutation($id: ID!) { deletePost(id: $id) { id body } }`, { id: postId }, { as: me });
    expect(deleted.body.data.deletePost).toEqual({ id: postId, body: 'listen to this' });
    const gone = await stack.query(`query($id: ID!) { post(id: $id) { id } }`, { id: postId });
    expect(gone.body.data.post).toBeNull();
  });

  describe('refusals leave every table as it was', () => {
    let before: Record<string, number>;
    beforeAll(async () => {
      before = await rowCounts(stack);
    });
    afterAll(async () => {
      expect(await rowCounts(stack)).toEqual(before);
    });

    const writes = [
      ['createPost without a token', `mutation { createPost(input: { body: "x" }) { id } }`, undefined, 'UNAUTHENTICATED'],
      ['likePost without a token', `mutation { likePost(id: "1") { id } }`, undefined, 'UNAUTHENTICATED'],
      ['createTrack without a token', `mutation { createTrack(input: { title: "t", durationMs: 1000 }) { id } }`, undefined, 'UNAUTHENTICATED'],
      ['follow without a token', `mutation { follow(userId: "2") { id } }`, undefined, 'UNAUTHENTICATED'],
      ['an empty body', `mutation { createPost(input: { body: "   " }) { id } }`, 1, 'BAD_USER_INPUT'],
      ['a 281-character body', `mutation { createPost(input: { body: "${'a'.repeat(281)}" }) { id } }`, 1, 'BAD_USER_INPUT'],
      ['a reply to a missing post', `mutation { createPost(input: { body: "hi", replyToId: "99999999" }) { id } }`, 1, 'NOT_FOUND'],
      ['a malformed id', `mutation { likePost(id: "abc") { id } }`, 1, 'BAD_USER_INPUT'],
      ['liking a missing post', `mutation { likePost(id: "99999999") { id } }`, 1, 'NOT_FOUND'],
      ["deleting another user's post", `mutation { deletePost(id: "50000") { id } }`, 1, 'FORBIDDEN'],
      ["attaching a track to another user's post", `mutation { attachTrack(postId: "50000", trackId: "1") { id } }`, 1, 'FORBIDDEN'],
      ['a zero duration', `mutation { createTrack(input: { title: "t", durationMs: 0 }) { id } }`, 1, 'BAD_USER_INPUT'],
      ['a negative duration', `mutation { createTrack(input: { title: "t", durationMs: -5 }) { id } }`, 1, 'BAD_USER_INPUT'],
      ['an empty track title', `mutation { createTrack(input: { title: "", durationMs: 5 }) { id } }`, 1, 'BAD_USER_INPUT'],
      ["adding to another user's playlist", `mutation { addTrackToPlaylist(playlistId: "1", trackId: "1") { id } }`, 99, 'FORBIDDEN'],
      ['adding a missing track', `mutation { addTrackToPlaylist(playlistId: "1", trackId: "99999999") { id } }`, 0, 'NOT_FOUND'],
      ['playing a missing track', `mutation { recordPlay(trackId: "99999999") { id } }`, 1, 'NOT_FOUND'],
      ['following a missing user', `mutation { follow(userId: "99999999") { id } }`, 1, 'NOT_FOUND'],
      ['following oneself', `mutation { follow(userId: "1") { id } }`, 1, 'BAD_USER_INPUT'],
      ['a taken handle', `mutation { createUser(input: { handle: "alice", displayName: "A" }) { id } }`, undefined, 'BAD_USER_INPUT'],
      ['an invalid handle', `mutation { createUser(input: { handle: "No Spaces!", displayName: "A" }) { id } }`, undefined, 'BAD_USER_INPUT'],
    ] as const;

    it.each(writes)('refuses %s', async (_, mutation, as, code) => {
      // The owner of playlist 1 may be any seeded user; "99" stands for someone else, 0 for the owner.
      let viewer: number | undefined = as;
      if (as === 99 || as === 0) {
        const owner = await stack.query(`{ playlist(id: "1") { owner { id } } }`);
        const ownerId = Number(owner.body.data.playlist.owner.id);
        viewer = as === 0 ? ownerId : ownerId === 1 ? 2 : 1;
      }
      const response = await stack.query(mutation, {}, { as: viewer });
      expect(codes(response)).toEqual([code]);
    });

    it.each([
      ['first over 100', `{ recentPosts(first: 101) { edges { node { id } } } }`],
      ['a negative first', `{ users(first: -1) { totalCount } }`],
      ['a cursor from nowhere', `{ recentPosts(after: "garbage") { totalCount } }`],
      ['a cursor of another connection', `{ recentPosts(after: "${Buffer.from('user:5').toString('base64url')}") { totalCount } }`],
      ['first over 100 on a nested connection', `{ user(id: "1") { posts(first: 1000) { totalCount } } }`],
      ['topTracks over 100', `{ topTracks(first: 101) { id } }`],
      ['both id and handle', `{ user(id: "1", handle: "alice") { id } }`],
    ])('answers %s with BAD_USER_INPUT', async (_, query) => {
      const response = await stack.query(query);
      expect(codes(response)).toContain('BAD_USER_INPUT');
    });
  });

  describe('viewer tokens', () => {
    const write = `mutation { likePost(id: "1") { id } }`;
    it.each([
      ['expired', async () => tokenFor(1, -10)],
      [
        'signed with another secret',
        async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('1').setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-of-enough-length')),
      ],
      [
        'unsigned (alg none)',
        async () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: '1', exp: 4102444800 })).toString('base64url')}.`,
      ],
      ['without exp', async () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('1').sign(new TextEncoder().encode(secrets.jwtSecret))],
      ['malformed', async () => 'not-a-jwt'],
    ])('refuses a token that is %s with 401 UNAUTHENTICATED', async (_, make) => {
      const response = await stack.query(write, {}, { token: await make() });
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
      expect(JSON.stringify(response.body)).not.toMatch(/at \w+ \(|node_modules/);
    });

    it('refuses an Authorization header that is not a bearer token', async () => {
      const response = await stack.query(`{ me { id } }`, {}, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      expect(response.status).toBe(401);
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('subgraphs answer only the gateway', () => {
    it.each(['users', 'posts', 'media'] as const)('%s answers a direct call without the service token with 401 and no data', async (name) => {
      const response = await postJson(stack.subgraphs[name].url, { query: '{ _service { sdl } }' });
      expect(response.status).toBe(401);
      expect(response.body.data).toBeUndefined();
      expect(codes(response)).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses a service token signed with another secret, and a viewer token in its place', async () => {
      const forged = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('gateway')
        .setAudience('crossfade-subgraph')
        .setExpirationTime('1m')
        .sign(new TextEncoder().encode('not-the-gateway-secret-at-all'));
      expect((await postJson(stack.subgraphs.users.url, { query: '{ me { id } }' }, { [SERVICE_TOKEN_HEADER]: forged })).status).toBe(401);
      const viewer = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('1').setExpirationTime('1m').sign(new TextEncoder().encode(DEV_GATEWAY_SECRET));
      expect((await postJson(stack.subgraphs.users.url, { query: '{ me { id } }' }, { [SERVICE_TOKEN_HEADER]: viewer })).status).toBe(401);
    });
  });
});
