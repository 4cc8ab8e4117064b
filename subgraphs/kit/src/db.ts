import fs from 'node:fs';
import { observeStatement } from './telemetry.ts';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Migration,
  type QueryResult,
  type SqliteDatabase,
  type TransactionSettings,
  sql,
} from 'kysely';

export type DialectName = 'sqlite' | 'postgres';

export interface SqlStats {
  /** Statements executed since the database was opened. */
  statements: number;
}

export interface Database<DB> {
  db: Kysely<DB>;
  dialect: DialectName;
  /** Where the data lives, without credentials. */
  location: string;
  stats: SqlStats;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** Subgraph name: the SQLite file is `<dataDir>/<service>.sqlite`. */
  service: string;
  /** `postgres://` or `postgresql://` selects PostgreSQL; anything else (or nothing) SQLite. */
  databaseUrl?: string;
  dataDir?: string;
  /** Explicit SQLite file, overriding dataDir/service. */
  sqliteFile?: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
}

export type Migrations = (dialect: DialectName) => Record<string, Migration>;

export function isPostgresUrl(url: string | undefined): boolean {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

export function sqliteFileFor(options: OpenDatabaseOptions): string {
  if (options.sqliteFile) return options.sqliteFile;
  if (options.databaseUrl && !isPostgresUrl(options.databaseUrl)) return options.databaseUrl.replace(/^(sqlite|file):(\/\/)?/i, '');
  return path.resolve(options.dataDir ?? 'data', `${options.service}.sqlite`);
}

/** better-sqlite3 compiles a statement on every prepare(); cache the compiled statements by SQL text. */
function cachingSqlite(raw: BetterSqlite3.Database, capacity = 500): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (!statement) {
        statement = raw.prepare(text);
        if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
        cache.set(text, statement);
      }
      return statement;
    },
  };
}

/** A dialect whose connections count every statement and trace it (a span and metrics per statement). */
function observedDialect(inner: Dialect, dialect: DialectName, namespace: string, stats: SqlStats): Dialect {
  const wrapConnection = (connection: DatabaseConnection): DatabaseConnection => ({
    executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      stats.statements++;
      return observeStatement(query, dialect, namespace, () => connection.executeQuery<R>(query));
    },
    streamQuery: (query, chunkSize) => {
      stats.statements++;
      return connection.streamQuery(query, chunkSize);
    },
  });
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver(): Driver {
      const driver = inner.createDriver();
      const wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const unwrap = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const outer = (connection: DatabaseConnection) => {
        let w = wrapped.get(connection);
        if (!w) {
          w = wrapConnection(connection);
          wrapped.set(connection, w);
          unwrap.set(w, connection);
        }
        return w;
      };
      const inner_ = (connection: DatabaseConnection) => unwrap.get(connection) ?? connection;
      return {
        init: () => driver.init(),
        acquireConnection: async () => outer(await driver.acquireConnection()),
        beginTransaction: (c: DatabaseConnection, s: TransactionSettings) => driver.beginTransaction(inner_(c), s),
        commitTransaction: (c: DatabaseConnection) => driver.commitTransaction(inner_(c)),
        rollbackTransaction: (c: DatabaseConnection) => driver.rollbackTransaction(inner_(c)),
        releaseConnection: (c: DatabaseConnection) => driver.releaseConnection(inner_(c)),
        destroy: () => driver.destroy(),
        ...(driver.savepoint && { savepoint: (c, n, q) => driver.savepoint!(inner_(c), n, q) }),
        ...(driver.rollbackToSavepoint && { rollbackToSavepoint: (c, n, q) => driver.rollbackToSavepoint!(inner_(c), n, q) }),
        ...(driver.releaseSavepoint && { releaseSavepoint: (c, n, q) => driver.releaseSavepoint!(inner_(c), n, q) }),
      } satisfies Driver;
    },
  };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** Opens the subgraph's database (SQLite file or PostgreSQL) and runs its migrations. */
export async function openDatabase<DB>(options: OpenDatabaseOptions, migrations: Migrations): Promise<Database<DB>> {
  const stats: SqlStats = { statements: 0 };
  let dialect: DialectName;
  let inner: Dialect;
  let location: string;
  let namespace: string;
  if (options.databaseUrl && isPostgresUrl(options.databaseUrl)) {
    dialect = 'postgres';
    location = redact(options.databaseUrl);
    namespace = new URL(options.databaseUrl).pathname.slice(1);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    inner = new PostgresDialect({ pool });
  } else {
    dialect = 'sqlite';
    const file = sqliteFileFor(options);
    location = file;
    namespace = path.basename(file);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    inner = new SqliteDialect({ database: cachingSqlite(raw) });
  }
  const db = new Kysely<DB>({ dialect: observedDialect(inner, dialect, namespace, stats) });
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations(dialect) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    await db.destroy();
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? ''} failed on ${location}: ${(error as Error).message ?? error}`);
  }
  return {
    db,
    dialect,
    location,
    stats,
    async ping() {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    close: () => db.destroy(),
  };
}

/** An auto-incrementing integer primary key column, spelled for the dialect. */
export const idType = (dialect: DialectName) => (dialect === 'postgres' ? 'serial' : 'integer');

/** A unique-constraint violation, in either engine (a race the existence check inside a transaction cannot close). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
