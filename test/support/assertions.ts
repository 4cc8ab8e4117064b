import type { GraphQLError } from 'graphql';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';

/** The `extensions.code` of a refused call; fails the test if the call succeeds. */
export async function refusalCode(call: Promise<unknown>): Promise<unknown> {
  const error = await call.then(
    () => expect.fail('expected the call to be refused'),
    (error: unknown) => error,
  );
  return (error as GraphQLError).extensions?.code;
}

/** Row ids grouped by their parent, in the order the rows came. */
export function idsByParent(rows: { parentId: number; id: number }[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (const row of rows) groups.set(row.parentId, [...(groups.get(row.parentId) ?? []), row.id]);
  return groups;
}

/** Rows of every table of every subgraph, to prove that a refused write left nothing behind. */
export const SUBGRAPH_TABLES = { users: ['users', 'follows'], posts: ['posts', 'likes'], media: ['tracks', 'playlists', 'playlist_tracks', 'plays'] } as const;

/** Rows in one table. */
export async function countRows(db: Kysely<any>, table: string): Promise<number> {
  const row = (await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow()) as { n: number | string };
  return Number(row.n);
}

export async function tableRows(databases: Record<keyof typeof SUBGRAPH_TABLES, Kysely<any>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const [name, tables] of Object.entries(SUBGRAPH_TABLES)) {
    for (const table of tables) {
      const row = (await databases[name as keyof typeof SUBGRAPH_TABLES]
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()) as { n: number | string };
      counts[`${name}.${table}`] = Number(row.n);
    }
  }
  return counts;
}
