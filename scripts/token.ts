// npm run token -- <handle>: a one-hour viewer token for a seeded user, alone on the last line of stdout.
import { openDatabase, parseEnv, secretsSchema, signViewerToken } from '@crossfade/kit';
import { users, type UsersDB } from '@crossfade/users';

const TTL_SECONDS = 3600;

const handle = process.argv[2]?.replace(/^@/, '');
if (!handle || process.argv.length > 3) {
  console.error('usage: npm run token -- <handle>   (for example: npm run token -- alice)');
  process.exit(2);
}

let jwtSecret: string;
try {
  ({ jwtSecret } = parseEnv(secretsSchema));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const database = await openDatabase<UsersDB>(
  {
    service: users.name,
    databaseUrl: process.env.USERS_DATABASE_URL || process.env.DATABASE_URL || undefined,
    dataDir: process.env.DATA_DIR || 'data',
  },
  users.migrations,
);
let user: { id: number; handle: string } | undefined;
try {
  // So the command works before the first `npm start`; seeding leaves a non-empty database alone.
  if (await users.seed(database)) console.error(`seeded the empty users database at ${database.location}`);
  user = await database.db.selectFrom('users').select(['id', 'handle']).where('handle', '=', handle).executeTakeFirst();
} finally {
  await database.close();
}
if (!user) {
  console.error(`no user with handle "${handle}" in ${database.location} (try alice)`);
  process.exit(1);
}

// Everything but the token goes to stderr, so `$(npm run -s token -- alice)` captures the token alone.
console.error(`viewer token for @${user.handle} (id ${user.id}), valid for ${TTL_SECONDS / 3600} hour:`);
console.log(await signViewerToken(String(user.id), jwtSecret, TTL_SECONDS));
