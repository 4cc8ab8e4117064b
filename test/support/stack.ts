import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { media } from '@crossfade/media';
import { posts } from '@crossfade/posts';
import { users } from '@crossfade/users';
import { loadConfig, startGateway, type RunningGateway } from '@crossfade/gateway';
import {
  createLogger,
  openDatabase,
  signViewerToken,
  startSubgraph,
  DEV_GATEWAY_SECRET,
  DEV_JWT_SECRET,
  type DialectName,
  type StartedSubgraph,
  type SubgraphDefinition,
} from '@crossfade/kit';
import { composeSupergraph } from '../../scripts/lib/compose.ts';
import { defaultConfigPath } from '../../scripts/lib/paths.ts';
import { copyDatabase, type DatabaseCopy, type SubgraphName } from './databases.ts';

export const secrets = { jwtSecret: DEV_JWT_SECRET, gatewaySecret: DEV_GATEWAY_SECRET, production: false };
export const definitions: Record<SubgraphName, SubgraphDefinition<any, any>> = { users, posts, media };
const silent = () => createLogger('test', 'silent');

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[] };
}

export interface StartedCopy extends StartedSubgraph<any> {
  copy: DatabaseCopy;
}

/** One subgraph on port 0 over a private copy of the seeded database. */
export async function startSubgraphCopy(name: SubgraphName, dialect: DialectName, options: { acceptAnyCaller?: boolean; demoDelayMs?: number } = {}): Promise<StartedCopy> {
  const copy = await copyDatabase(inject('testRun'), name, dialect);
  const running = await startSubgraph(definitions[name], {
    port: 0,
    host: '127.0.0.1',
    databaseUrl: copy.databaseUrl,
    sqliteFile: copy.sqliteFile,
    secrets,
    logger: silent(),
    seed: false,
    acceptAnyCaller: options.acceptAnyCaller,
    demoDelayMs: options.demoDelayMs,
  });
  return {
    ...running,
    copy,
    close: async () => {
      await running.close();
      await copy.drop();
    },
  };
}

export interface Stack {
  dialect: DialectName;
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, StartedCopy>;
  /** The supergraph file the gateway serves (and watches). */
  supergraphPath: string;
  /** Posts a GraphQL operation to the gateway, with a viewer token when `as` names a user id. */
  query<T = any>(query: string, variables?: Record<string, unknown>, options?: { as?: number; token?: string; headers?: Record<string, string> }): Promise<GraphQLResponse<T>>;
  /** Statements each subgraph has executed so far. */
  statements(): Record<SubgraphName, number>;
  close(): Promise<void>;
}

export const tokenFor = (userId: number, ttlSeconds?: number) => signViewerToken(String(userId), secrets.jwtSecret, ttlSeconds);

export async function postJson(url: string, payload: unknown, headers: Record<string, string> = {}): Promise<GraphQLResponse> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(payload) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: response.status, headers: response.headers, body };
}

/** The three subgraphs and the gateway on port 0, composed in-process, on copies of the seeded databases. */
export async function startStack(dialect: DialectName, gatewayEnv: NodeJS.ProcessEnv = {}, delays: Partial<Record<SubgraphName, number>> = {}): Promise<Stack> {
  const started = await Promise.all((['users', 'posts', 'media'] as const).map((name) => startSubgraphCopy(name, dialect, { demoDelayMs: delays[name] })));
  const subgraphs = Object.fromEntries(started.map((s) => [s.name, s])) as Record<SubgraphName, StartedCopy>;
  const { supergraphSdl } = composeSupergraph(defaultConfigPath, Object.fromEntries(started.map((s) => [s.name, s.url])));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-stack-'));
  const supergraphPath = path.join(dir, 'supergraph.graphql');
  fs.writeFileSync(supergraphPath, supergraphSdl);
  const gateway = await startGateway(loadConfig([], { GATEWAY_PORT: '0', ADMIN_PORT: '0', HOST: '127.0.0.1', SUPERGRAPH_PATH: supergraphPath, ...gatewayEnv }), silent());
  return {
    dialect,
    gateway,
    subgraphs,
    supergraphPath,
    async query(query, variables, options = {}) {
      const token = options.token ?? (options.as !== undefined ? await tokenFor(options.as) : undefined);
      return postJson(gateway.url, { query, variables }, { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers });
    },
    statements: () => Object.fromEntries(started.map((s) => [s.name, s.database.stats.statements])) as Record<SubgraphName, number>,
    async close() {
      await gateway.close();
      await Promise.all(started.map((s) => s.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const HOME_FEED = /* GraphQL */ `
  query HomeFeed($first: Int = 20) {
    recentPosts(first: $first) {
      edges {
        node {
          id
          body
          createdAt
          likeCount
          viewerHasLiked
          author {
            handle
            displayName
            followerCount
          }
          attachedTrack {
            title
            durationMs
            artist {
              handle
            }
          }
          replies(first: 3) {
            edges {
              node {
                body
                author {
                  handle
                }
              }
            }
          }
        }
      }
    }
  }
`;

/** A subgraph's database alone (no server), on a private copy of the seeded data, for store tests. */
export async function openDatabaseCopy(name: SubgraphName, dialect: DialectName) {
  const copy = await copyDatabase(inject('testRun'), name, dialect);
  const database = await openDatabase<any>({ service: name, databaseUrl: copy.databaseUrl, sqliteFile: copy.sqliteFile }, definitions[name].migrations);
  return {
    database,
    async close() {
      await database.close();
      await copy.drop();
    },
  };
}
