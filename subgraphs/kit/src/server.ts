import type { IncomingMessage, ServerResponse } from 'node:http';
import fs from 'node:fs';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { untraced } from '@crossfade/otel';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type GraphQLFormattedError } from 'graphql';
import { bearerToken, createViewerVerifier, SERVICE_TOKEN_HEADER, ServiceTokenVerifier, type Viewer } from './auth.ts';
import type { Database } from './db.ts';
import { handleGraphQL, sendGraphQLError, sendJson } from './http.ts';
import { serveHttp } from './lifecycle.ts';
import type { Logger } from './logger.ts';
import { metrics, registry } from './telemetry.ts';

export interface Secrets {
  jwtSecret: string;
  jwksUrl?: string;
  gatewaySecret: string;
  production: boolean;
}

const ROUTES = new Set(['/graphql', '/health', '/ready', '/metrics']);

async function sendMetrics(res: ServerResponse) {
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType });
  res.end(body);
}

export interface SubgraphServerOptions<C extends BaseContext> {
  name: string;
  /** Path of the subgraph's SDL file. */
  schemaFile: string;
  resolvers: GraphQLResolverMap<C>;
  database: Database<any>;
  secrets: Secrets;
  logger: Logger;
  /** Per-request context (loaders, store) for a verified viewer. */
  createContext: (viewer: Viewer | null) => C;
  /** Benchmark only: answer callers without the gateway's service token. */
  acceptAnyCaller?: boolean;
  bodyLimit?: number;
  /** How long a stop waits for requests in flight. */
  shutdownTimeoutMs?: number;
  /** Demo only: milliseconds added to every GraphQL request, to make this subgraph the slow one. */
  demoDelayMs?: number;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  close(): Promise<void>;
}

function maskInternal(production: boolean) {
  return (formatted: GraphQLFormattedError): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (production && (code === undefined || code === 'INTERNAL_SERVER_ERROR')) {
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    return formatted;
  };
}

/** Starts a subgraph: Apollo Server over buildSubgraphSchema, behind the service-token check, with /health and /ready. */
export async function startSubgraphServer<C extends BaseContext>(options: SubgraphServerOptions<C>, port: number, host?: string): Promise<RunningSubgraph> {
  const { secrets, logger } = options;
  // Untraced: the graphql instrumentation would export each parse of the schema as a trace of its own.
  const apollo = await untraced(async () => {
    const typeDefs = parse(fs.readFileSync(options.schemaFile, 'utf8'));
    const server = new ApolloServer<C>({
      schema: buildSubgraphSchema({ typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
      includeStacktraceInErrorResponses: false,
      formatError: maskInternal(secrets.production),
      stopOnTerminationSignals: false,
      // Inline traces (ftv1) are for Apollo usage reporting, which Crossfade does not use. No schema declares
      // @cacheControl and no resolver sets a cache hint: the cache-control plugin would only wrap every field
      // resolver (one more promise per async field) to compute a policy nothing reads.
      plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginCacheControlDisabled()],
      logger,
    });
    await server.start();
    return server;
  });
  const verifier = new ServiceTokenVerifier(secrets.gatewaySecret);
  if (options.demoDelayMs) logger.warn(`DEMO_SLOW_SUBGRAPH: every GraphQL request waits ${options.demoDelayMs} ms (demo only)`);
  if (options.acceptAnyCaller) logger.warn('SUBGRAPHS_ACCEPT_ANY_CALLER is on: the service token is not checked (benchmark only)');

  const verifyViewer = createViewerVerifier(secrets);
  const context = async (req: IncomingMessage): Promise<C> => {
    const token = bearerToken(req.headers.authorization);
    const viewer = token ? await verifyViewer(token) : null;
    return options.createContext(viewer);
  };

  async function route(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/metrics') return sendMetrics(res);
    if (path === '/health') return sendJson(res, 200, { status: 'ok', service: options.name });
    if (path === '/ready') {
      const ok = await options.database.ping();
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'database unavailable', service: options.name, database: options.database.dialect });
    }
    if (path !== '/graphql') return sendJson(res, 404, { error: 'not found' });
    if (!options.acceptAnyCaller && !(await verifier.verify(req.headers[SERVICE_TOKEN_HEADER] as string | undefined))) {
      req.resume();
      return sendGraphQLError(res, 401, 'this subgraph answers only the gateway', 'UNAUTHENTICATED');
    }
    if (options.demoDelayMs) await new Promise((resolve) => setTimeout(resolve, options.demoDelayMs));
    await handleGraphQL(req, res, { server: apollo, bodyLimit: options.bodyLimit ?? 1024 * 1024, context });
  }

  const service = await serveHttp(
    port,
    host,
    async (req, res, path) => {
      const label = ROUTES.has(path) ? path : 'other';
      const timer = metrics.httpDuration.startTimer({ route: label });
      res.once('finish', () => {
        timer();
        metrics.httpRequests.inc({ route: label, status: `${Math.floor(res.statusCode / 100)}xx` });
      });
      await route(req, res, path);
    },
    logger,
    ROUTES,
  );
  const actualPort = service.port;
  const url = `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${actualPort}/graphql`;
  logger.info({ url, database: options.database.location }, `${options.name} subgraph ready`);
  let closing: Promise<void> | undefined;
  return {
    name: options.name,
    url,
    port: actualPort,
    close: () =>
      (closing ??= (async () => {
        await service.close(options.shutdownTimeoutMs ?? 10_000);
        await apollo.stop();
        await options.database.close();
      })()),
  };
}
