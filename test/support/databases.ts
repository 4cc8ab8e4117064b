import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DialectName } from '@crossfade/kit';

/** The machine's PostgreSQL (trust auth); PG_ADMIN_URL points elsewhere. */
export const PG_ADMIN_URL = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const SUBGRAPH_NAMES = ['users', 'posts', 'media'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

/** Set by the global setup and handed to test files through vitest's provide/inject. */
export interface TestRun {
  id: string;
}
declare module 'vitest' {
  export interface ProvidedContext {
    testRun: TestRun;
  }
}

export const templateDir = (run: TestRun) => path.join(os.tmpdir(), `crossfade-test-templates-${run.id}`);
export const sqliteTemplate = (run: TestRun, name: SubgraphName) => path.join(templateDir(run), `${name}.sqlite`);
export const pgTemplate = (run: TestRun, name: SubgraphName) => `crossfade_template_${run.id}_${name}`;

export function pgUrl(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is not reachable at ${PG_ADMIN_URL} (${(error as Error).message}); start it (see .ci/run) or set PG_ADMIN_URL`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A private, already seeded copy of a subgraph's database: a file copy, or CREATE DATABASE ... TEMPLATE. */
export interface DatabaseCopy {
  databaseUrl?: string;
  sqliteFile?: string;
  drop(): Promise<void>;
}

export async function copyDatabase(run: TestRun, name: SubgraphName, dialect: DialectName): Promise<DatabaseCopy> {
  const suffix = randomBytes(5).toString('hex');
  if (dialect === 'sqlite') {
    const file = path.join(os.tmpdir(), `crossfade-test-${name}-${suffix}.sqlite`);
    fs.copyFileSync(sqliteTemplate(run, name), file);
    return {
      sqliteFile: file,
      async drop() {
        for (const extra of ['', '-wal', '-shm']) fs.rmSync(file + extra, { force: true });
      },
    };
  }
  const database = `crossfade_test_${name}_${suffix}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${database} TEMPLATE ${pgTemplate(run, name)}`));
  return {
    databaseUrl: pgUrl(database),
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).then(() => undefined),
  };
}
