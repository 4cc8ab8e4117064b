import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import { badInput } from './errors.ts';

export const DEFAULT_FIRST = 20;
export const MAX_FIRST = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** What a store needs to fetch one page: `limit + 1` rows after `afterKey`, so hasNextPage is known. */
export interface Page {
  limit: number;
  afterKey: number | null;
}

/** Keys are 32-bit integer columns in both engines: anything larger names nothing. */
export const MAX_KEY = 2 ** 31 - 1;

export function encodeCursor(kind: string, key: number): string {
  return Buffer.from(`${kind}:${key}`).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string): number {
  const decoded = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString() : '';
  const match = /^([a-z]+):(\d{1,10})$/.exec(decoded);
  if (!match || match[1] !== kind || Number(match[2]) > MAX_KEY) throw badInput(`invalid cursor for this connection: ${JSON.stringify(cursor.slice(0, 100))}`, 'after');
  return Number(match[2]);
}

/** Validates `first` (0..MAX_FIRST) and decodes `after`. */
export function pageOf(args: PageArgs, kind: string, defaultFirst = DEFAULT_FIRST): Page {
  const first = args.first ?? defaultFirst;
  if (!Number.isInteger(first) || first < 0 || first > MAX_FIRST) {
    throw badInput(`first must be between 0 and ${MAX_FIRST}, got ${first}`, 'first');
  }
  return { limit: first, afterKey: args.after == null ? null : decodeCursor(kind, args.after) };
}

/** Validates a plain list size argument (like `topTracks(first:)`). */
export function limitOf(first: number | null | undefined, defaultFirst: number): number {
  return pageOf({ first }, 'none', defaultFirst).limit;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: () => Promise<number>;
}

/** Builds a connection from up to `limit + 1` rows; totalCount runs only if the client asks for it. */
export function toConnection<T>(rows: T[], page: Page, kind: string, keyOf: (row: T) => number, totalCount: () => Promise<number>): Connection<T> {
  const nodes = rows.slice(0, page.limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(kind, keyOf(node)), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > page.limit, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
    totalCount,
  };
}

/** Parses a GraphQL ID of one of our integer keys; null for anything else. */
export function parseId(id: unknown): number | null {
  const parsed = typeof id === 'number' ? id : typeof id === 'string' && /^[1-9][0-9]{0,9}$/.test(id) ? Number(id) : NaN;
  return Number.isInteger(parsed) && parsed > 0 && parsed <= MAX_KEY ? parsed : null;
}

/** Parses an ID argument of a write: malformed ids are bad input. */
export function requireId(id: unknown, argumentName: string): number {
  const parsed = parseId(id);
  if (parsed === null) throw badInput(`${argumentName} is not a valid id`, argumentName);
  return parsed;
}

/**
 * Keeps the first `limit + 1` rows of each parent from a query that numbers rows per parent
 * in a column `rn` (`row_number() over (partition by parent order by key)`): one statement
 * pages every parent of a batch.
 */
export function firstPerParent<DB, R extends { rn: number }>(db: Kysely<DB>, numbered: SelectQueryBuilder<DB, any, R>, limit: number) {
  return (db as Kysely<any>)
    .selectFrom(numbered.as('numbered'))
    .selectAll()
    .where('rn', '<=', limit + 1)
    .orderBy('rn') as unknown as SelectQueryBuilder<any, any, R>;
}

/** `row_number() over (partition by <parent> order by <key> <direction>)` as column `rn`. */
export function rowNumber(parent: string, key: string, direction: 'asc' | 'desc') {
  return sql<number>`row_number() over (partition by ${sql.ref(parent)} order by ${sql.ref(key)} ${sql.raw(direction)})`.as('rn');
}
