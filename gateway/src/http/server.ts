import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestTrace } from '@crossfade/otel/http';
import { bearerToken, createViewerVerifier, handleGraphQL, sendGraphQLError, sendJson, serveHttp, type HttpService, type Logger, type Viewer } from '@crossfade/kit';
import type { GraphQLError } from 'graphql';
import type { Dispatcher } from 'undici';
import type { GatewayConfig } from '../config.ts';
import type { GatewayContext } from '../graphql/context.ts';
import type { GraphQLLayer } from '../graphql/server.ts';
import { cors, overloaded, rateLimiter, tooManyRequests } from './guards.ts';

const PROBE_TIMEOUT_MS = 500;
const GRAPHQL_ROUTES: ReadonlySet<string> = new Set(['/graphql', '/']);

async function probe(dispatcher: Dispatcher, url: string): Promise<'up' | 'down'> {
  try {
    const response = await dispatcher.request({ origin: new URL(url).origin, path: '/health', method: 'GET', headersTimeout: PROBE_TIMEOUT_MS, bodyTimeout: PROBE_TIMEOUT_MS });
    await response.body.dump();
    return response.statusCode === 200 ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

/** The public port: /graphql, /health and /ready, behind CORS, load shedding, authentication and rate limiting. */
export async function startPublicServer(config: GatewayConfig, layer: GraphQLLayer, deps: { logger: Logger; dispatcher: Dispatcher }): Promise<HttpService> {
  const verifyViewer = createViewerVerifier(config.secrets);
  const corsCheck = cors(config.corsOrigins);
  const limit = rateLimiter(config.rateLimitPerMinute);
  const viewers = new WeakMap<IncomingMessage, Viewer | null>();
  let operations = 0;

  async function ready(res: ServerResponse) {
    const supergraph = layer.supergraph();
    const subgraphs = await Promise.all(
      [...layer.dataSources().values()].map(async (source) => ({
        name: source.name,
        url: source.options.url,
        health: await probe(deps.dispatcher, source.options.url),
        circuit: source.circuit,
        lastRequest: source.state,
      })),
    );
    // Readiness depends only on having a supergraph: one subgraph down must not take every gateway out of service.
    sendJson(res, 200, { status: 'ready', supergraph: { path: config.supergraphPath, hash: supergraph.hash }, subgraphs });
  }

  async function graphql(req: IncomingMessage, res: ServerResponse) {
    let viewer: Viewer | null = null;
    try {
      const token = bearerToken(req.headers.authorization);
      if (token) viewer = await verifyViewer(token);
    } catch (error) {
      req.resume();
      if ((error as GraphQLError).extensions?.code === 'UNAUTHENTICATED') return sendGraphQLError(res, 401, (error as Error).message, 'UNAUTHENTICATED');
      throw error;
    }
    if (limit) {
      const wait = await limit(viewer ? `user:${viewer.id}` : `ip:${req.socket.remoteAddress}`);
      if (wait > 0) {
        req.resume();
        return tooManyRequests(res, wait);
      }
    }
    viewers.set(req, viewer);
    await handleGraphQL(req, res, { server: layer.apollo, bodyLimit: config.bodyLimit, maxBatch: config.limits.maxBatch, context });
  }

  const context = async (req: IncomingMessage): Promise<GatewayContext> => ({ viewer: viewers.get(req) ?? null, headers: req.headers, trace: requestTrace(req) });

  return serveHttp(
    config.port,
    config.host,
    async (req, res, path) => {
      if (corsCheck(req, res)) return;
      if (GRAPHQL_ROUTES.has(path)) {
        // Shed load at once rather than queueing without end.
        if (config.maxInflight > 0 && operations >= config.maxInflight) {
          req.resume();
          return overloaded(res);
        }
        operations++;
        try {
          return await graphql(req, res);
        } finally {
          operations--;
        }
      }
      req.resume();
      if (path === '/health') return sendJson(res, 200, { status: 'ok' });
      if (path === '/ready') return ready(res);
      return sendJson(res, 404, { error: `no route for ${path}; GraphQL is served at /graphql` });
    },
    deps.logger,
    GRAPHQL_ROUTES,
  );
}
