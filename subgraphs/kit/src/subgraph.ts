import type { BaseContext } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { z } from 'zod';
import type { Viewer } from './auth.ts';
import { openDatabase, type Database, type Migrations } from './db.ts';
import { optionalPort, parseEnv, port, secretsSchema } from './env.ts';
import { exitOnSignals } from './lifecycle.ts';
import { createLogger, type Logger } from './logger.ts';
import { startSubgraphServer, type RunningSubgraph, type Secrets } from './server.ts';

/** Everything that makes one subgraph; the kit turns it into a running service. */
export interface SubgraphDefinition<DB, C extends BaseContext> {
  name: string;
  defaultPort: number;
  schemaFile: string;
  migrations: Migrations;
  /** Fills an empty database with deterministic data; returns false when data was already there. */
  seed: (database: Database<DB>) => Promise<boolean>;
  resolvers: GraphQLResolverMap<C>;
  createContext: (database: Database<DB>, viewer: Viewer | null) => C;
}

export interface StartOptions {
  port?: number;
  host?: string;
  databaseUrl?: string;
  dataDir?: string;
  sqliteFile?: string;
  secrets: Secrets;
  logger?: Logger;
  seed?: boolean;
  acceptAnyCaller?: boolean;
  shutdownTimeoutMs?: number;
  demoDelayMs?: number;
}

export interface StartedSubgraph<DB> extends RunningSubgraph {
  database: Database<DB>;
}

export async function startSubgraph<DB, C extends BaseContext>(definition: SubgraphDefinition<DB, C>, options: StartOptions): Promise<StartedSubgraph<DB>> {
  const logger = options.logger ?? createLogger(definition.name);
  const database = await openDatabase<DB>(
    { service: definition.name, databaseUrl: options.databaseUrl, dataDir: options.dataDir, sqliteFile: options.sqliteFile },
    definition.migrations,
  );
  try {
    if (options.seed !== false) {
      const started = Date.now();
      if (await definition.seed(database)) logger.info({ ms: Date.now() - started }, 'seeded an empty database');
    }
    const running = await startSubgraphServer<C>(
      {
        name: definition.name,
        schemaFile: definition.schemaFile,
        resolvers: definition.resolvers,
        database,
        secrets: options.secrets,
        logger,
        acceptAnyCaller: options.acceptAnyCaller,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        demoDelayMs: options.demoDelayMs,
        createContext: (viewer) => definition.createContext(database, viewer),
      },
      options.port ?? definition.defaultPort,
      options.host,
    );
    return { ...running, database };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** DEMO_SLOW_SUBGRAPH=posts:150 slows the named subgraph only. */
function demoDelay(name: string, setting: string | undefined): number | undefined {
  const [target, ms] = setting?.split(':') ?? [];
  return target === name ? Number(ms) : undefined;
}

/** The process entry of a subgraph: configuration from the environment, graceful stop on SIGTERM/SIGINT. */
export async function runSubgraph<DB, C extends BaseContext>(definition: SubgraphDefinition<DB, C>): Promise<void> {
  const logger = createLogger(definition.name);
  const portVariable = `${definition.name.toUpperCase()}_PORT`;
  let config;
  let servicePort: number;
  let serviceDatabaseUrl: string | undefined;
  try {
    config = parseEnv(
      z
        .object({
          PORT: optionalPort,
          HOST: z.string().optional(),
          DATABASE_URL: z.string().optional(),
          DATA_DIR: z.string().default('data'),
          SUBGRAPHS_ACCEPT_ANY_CALLER: z.enum(['0', '1', 'true', 'false', '']).default('0'),
          SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
          DEMO_SLOW_SUBGRAPH: z
            .string()
            .regex(/^[\w-]+:\d{1,5}$/, 'must be <subgraph>:<milliseconds>, like posts:150')
            .optional(),
        })
        .and(secretsSchema),
    );
    servicePort = parseEnv(z.object({ [portVariable]: port(definition.defaultPort) }))[portVariable] as number;
    // <NAME>_DATABASE_URL lets one environment give each subgraph its own database.
    serviceDatabaseUrl = process.env[`${definition.name.toUpperCase()}_DATABASE_URL`] || undefined;
  } catch (error) {
    logger.fatal((error as Error).message);
    process.exit(1);
  }
  const running = await startSubgraph(definition, {
    // PORT names the port when a service runs alone; <NAME>_PORT when the stack shares one environment.
    port: config.PORT ?? servicePort,
    host: config.HOST,
    databaseUrl: serviceDatabaseUrl ?? (config.DATABASE_URL || undefined),
    dataDir: config.DATA_DIR,
    secrets: config,
    logger,
    acceptAnyCaller: ['1', 'true'].includes(config.SUBGRAPHS_ACCEPT_ANY_CALLER),
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    demoDelayMs: demoDelay(definition.name, config.DEMO_SLOW_SUBGRAPH),
  }).catch((error) => {
    logger.fatal({ err: error }, `${definition.name} failed to start: ${(error as Error).message}`);
    process.exit(1);
  });
  exitOnSignals(logger, () => running.close(), config.SHUTDOWN_TIMEOUT_MS);
}
