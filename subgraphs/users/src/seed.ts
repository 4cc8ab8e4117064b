import { insertChunked, random, SEED, seedOnce, seedTime, syncSequences, type Database } from '@crossfade/kit';
import type { UsersDB } from './db-types.ts';

const FIRST = [
  'ada',
  'alan',
  'grace',
  'linus',
  'barbara',
  'ken',
  'margaret',
  'dennis',
  'radia',
  'edsger',
  'frances',
  'john',
  'hedy',
  'tim',
  'sophie',
  'donald',
  'katherine',
  'niklaus',
  'joan',
  'guido',
];
const LAST = [
  'lovelace',
  'turing',
  'hopper',
  'torvalds',
  'liskov',
  'thompson',
  'hamilton',
  'ritchie',
  'perlman',
  'dijkstra',
  'allen',
  'backus',
  'lamarr',
  'lee',
  'wilson',
  'knuth',
  'johnson',
  'wirth',
  'clarke',
  'rossum',
];
/** The first seeded users have short, memorable handles for the docs and demos. */
export const NAMED_USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

export function seededUsers() {
  const rand = random(1);
  return Array.from({ length: SEED.users }, (_, i) => {
    const id = i + 1;
    const first = rand.pick(FIRST);
    const last = rand.pick(LAST);
    const handle = NAMED_USERS[i] ?? `${first}_${last}${id}`;
    const displayName = NAMED_USERS[i] ? handle[0].toUpperCase() + handle.slice(1) : `${first[0].toUpperCase()}${first.slice(1)} ${last[0].toUpperCase()}${last.slice(1)}`;
    return {
      id,
      handle,
      display_name: displayName,
      bio: rand.chance(0.6) ? `${first} plays ${rand.pick(['synths', 'guitar', 'drums', 'the cello', 'records'])}` : null,
      created_at: seedTime(id),
    };
  });
}

export async function seed(database: Database<UsersDB>): Promise<boolean> {
  return seedOnce(database.db, 'users', async (trx) => {
    await insertChunked(trx, 'users', seededUsers());
    const rand = random(2);
    const follows = new Map<string, { follower_id: number; followee_id: number; created_at: string }>();
    for (let follower = 1; follower <= SEED.users; follower++) {
      const count = rand.int(0, 12);
      for (let k = 0; k < count; k++) {
        // Skewed towards low ids, so some users are popular.
        const followee = 1 + Math.floor(Math.pow(rand.next(), 2.5) * SEED.users);
        if (followee === follower) continue;
        follows.set(`${follower}:${followee}`, { follower_id: follower, followee_id: followee, created_at: seedTime(SEED.users + follows.size) });
      }
    }
    await insertChunked(trx, 'follows', [...follows.values()]);
    await syncSequences(trx, database.dialect, ['users']);
  });
}
