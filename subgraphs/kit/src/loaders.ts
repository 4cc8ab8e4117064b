import DataLoader from 'dataloader';
import { observeBatch } from './telemetry.ts';

function observed<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>) {
  return (keys: readonly K[]): Promise<V[]> => observeBatch(name, keys.length, () => batch(keys));
}

/** One row per key (or null), in key order: `WHERE key IN (...)`. */
export function rowLoader<R>(name: string, fetch: (keys: readonly number[]) => Promise<R[]>, keyOf: (row: R) => number): DataLoader<number, R | null> {
  return new DataLoader<number, R | null>(
    observed(name, async (keys) => {
      const byKey = new Map<number, R>();
      for (const row of await fetch(keys)) byKey.set(keyOf(row), row);
      return keys.map((key) => byKey.get(key) ?? null);
    }),
  );
}

/** Many rows per key, in key order: one statement for the whole batch. */
export function groupLoader<R>(name: string, fetch: (keys: readonly number[]) => Promise<R[]>, keyOf: (row: R) => number): DataLoader<number, R[]> {
  return new DataLoader<number, R[]>(
    observed(name, async (keys) => {
      const groups = new Map<number, R[]>(keys.map((key) => [key, []]));
      for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row);
      return keys.map((key) => groups.get(key)!);
    }),
  );
}

/** One number per key (0 when absent): `SELECT key, count(*) ... GROUP BY key`. */
export function countLoader(name: string, fetch: (keys: readonly number[]) => Promise<{ key: number; count: number | string | bigint }[]>): DataLoader<number, number> {
  return new DataLoader<number, number>(
    observed(name, async (keys) => {
      const counts = new Map<number, number>();
      for (const row of await fetch(keys)) counts.set(Number(row.key), Number(row.count));
      return keys.map((key) => counts.get(key) ?? 0);
    }),
  );
}

/** Loaders that differ by arguments (page size, cursor): one loader, hence one batch, per distinct argument set. */
export function loaderFamily<A, L>(create: (args: A) => L, keyOf: (args: A) => string = (args) => JSON.stringify(args)): (args: A) => L {
  const loaders = new Map<string, L>();
  return (args) => {
    const key = keyOf(args);
    let loader = loaders.get(key);
    if (!loader) loaders.set(key, (loader = create(args)));
    return loader;
  };
}

/** Any other batch function, observed like the others. */
export function batchLoader<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
  return new DataLoader<K, V>(observed(name, batch));
}
