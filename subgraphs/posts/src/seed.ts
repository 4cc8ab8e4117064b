import { insertChunked, random, SEED, seedOnce, seedTime, syncSequences, type Database } from '@crossfade/kit';
import type { PostsDB } from './db-types.ts';

const WORDS = [
  'new',
  'track',
  'mix',
  'tonight',
  'listening',
  'to',
  'this',
  'on',
  'repeat',
  'live',
  'set',
  'vinyl',
  'drop',
  'remix',
  'bass',
  'chorus',
  'studio',
  'tour',
  'album',
  'demo',
  'loop',
  'beat',
  'encore',
  'playlist',
];
/** How many of the newest top-level posts get a guaranteed reply, and every second one a track. */
export const FEED_GUARANTEE = 100;

export async function seed(database: Database<PostsDB>): Promise<boolean> {
  return seedOnce(database.db, 'posts', async (trx) => {
    const rand = random(3);
    const author = () => 1 + Math.floor(Math.pow(rand.next(), 1.8) * SEED.users);
    const sentence = () => Array.from({ length: rand.int(3, 16) }, () => rand.pick(WORDS)).join(' ');
    type Row = { id: number; author_id: number; body: string; reply_to_id: number | null; attached_track_id: number | null; created_at: string };
    const posts: Row[] = [];
    const topLevel: number[] = [];
    const add = (replyTo: number | null) => {
      const id = posts.length + 1;
      posts.push({ id, author_id: author(), body: sentence(), reply_to_id: replyTo, attached_track_id: null, created_at: seedTime(id * 60) });
      if (replyTo === null) topLevel.push(id);
      return id;
    };
    for (let i = 0; i < SEED.posts; i++) {
      // Replies go mostly to recent posts, as on a real timeline.
      const reply = topLevel.length > 10 && rand.chance(0.35);
      add(reply ? topLevel[topLevel.length - 1 - Math.floor(Math.pow(rand.next(), 3) * topLevel.length)] : null);
    }
    const newest = topLevel.slice(-FEED_GUARANTEE).reverse();
    const replied = new Set(posts.map((p) => p.reply_to_id));
    for (const id of newest) if (!replied.has(id)) add(id);
    for (const post of posts) if (post.reply_to_id === null && rand.chance(0.1)) post.attached_track_id = rand.int(1, SEED.tracks);
    newest.forEach((id, index) => {
      posts[id - 1].attached_track_id = index % 2 === 0 ? 1 + ((id * 7919) % SEED.tracks) : null;
    });
    await insertChunked(trx, 'posts', posts);
    const likes: { post_id: number; user_id: number; created_at: string }[] = [];
    for (const post of posts) {
      const users = new Set<number>();
      const count = rand.int(0, 4);
      while (users.size < count) users.add(rand.int(1, SEED.users));
      for (const user_id of users) likes.push({ post_id: post.id, user_id, created_at: post.created_at });
    }
    await insertChunked(trx, 'likes', likes);
    await syncSequences(trx, database.dialect, ['posts']);
  });
}
