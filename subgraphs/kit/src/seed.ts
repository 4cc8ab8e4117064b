import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from './db.ts';

/** A small deterministic PRNG (mulberry32): the same seed gives the same data everywhere. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}

/** Seeded data shared by all subgraphs, so their ids agree without any subgraph reading another's tables. */
export const SEED = {
  users: 5000,
  posts: 50_000,
  tracks: 10_000,
  playlists: 1000,
  /** Seeded timestamps run from here, one step per row, so ids and time order agree. */
  epoch: Date.parse('2026-01-01T00:00:00.000Z'),
} as const;

export const seedTime = (offsetSeconds: number) => new Date(SEED.epoch + offsetSeconds * 1000).toISOString();

/** Inserts rows in chunks sized to stay under both dialects' bound-parameter limits. */
export async function insertChunked(db: Kysely<any>, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (!rows.length) return;
  const perRow = Object.keys(rows[0]).length;
  const size = Math.max(1, Math.floor(30_000 / perRow));
  for (let i = 0; i < rows.length; i += size) {
    await db
      .insertInto(table)
      .values(rows.slice(i, i + size))
      .execute();
  }
}

/** After inserting explicit ids, move PostgreSQL's serial sequences past them. */
export async function syncSequences(db: Kysely<any>, dialect: DialectName, tables: string[]): Promise<void> {
  if (dialect !== 'postgres') return;
  for (const table of tables) {
    await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 1))`.execute(db);
  }
}

/** Runs a seeding function in one transaction when the marker table is empty. */
export async function seedOnce(db: Kysely<any>, markerTable: string, fill: (trx: Kysely<any>) => Promise<void>): Promise<boolean> {
  const row = await db
    .selectFrom(markerTable)
    .select(sql<number>`1`.as('one'))
    .limit(1)
    .executeTakeFirst();
  if (row) return false;
  await db.transaction().execute(fill);
  return true;
}
