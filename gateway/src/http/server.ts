import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, handleGraphQL, pathOf, sendJson, verifyViewerToken, type Logger, sendGraphQLError } from '@crossfade/kit';
import type { Dispatcher } from 'undici';
import type { GatewayConfig } from '../config.ts';
import type { GatewayContext } from '../graphql/context.ts';
import type { GraphQLLayer } from '../graphql/server.ts';
import type { Supergraph } from '../supergraph/load.ts';

export interface PublicServer {
  server: http.Server;
  port: number;
}

const PROBE_TIMEOUT_MS = 500;

async function probe(dispatcher: Dispatcher, url: string): Promise<'up' | 'down'> {
  try {
    const response = await dispatcher.request({ origin: new URL(url).origin, path: '/health', method: 'GET', headersTimeout: PROBE_TIMEOUT_MS, bodyTimeout: PROBE_TIMEOUT_MS });
    await response.body.dump();
    return response.statusCode === 200 ? 'up' : 'down';
  } catch {
    return 'down';
  }
}

/** The public port: /graphql, /health and /ready. */
export async function startPublicServer(
  config: GatewayConfig,
  layer: GraphQLLayer,
  supergraph: Supergraph,
  deps: { logger: Logger; dispatcher: Dispatcher },
): Promise<PublicServer> {
  const { secrets } = config;
  const context = async (req: IncomingMessage): Promise<GatewayContext> => {
    const token = bearerToken(req.headers.authorization);
    return { viewer: token ? await verifyViewerToken(token, secrets.jwtSecret) : null, headers: req.headers, fetches: [] };
  };

  async function ready(res: ServerResponse) {
    const subgraphs = await Promise.all(
      [...layer.dataSources.values()].map(async (source) => ({
        name: source.name,
        url: source.options.url,
        health: await probe(deps.dispatcher, source.options.url),
        lastRequest: source.state,
      })),
    );
    // Readiness depends only on having a supergraph: one subgraph down must not take every gateway out of service.
    sendJson(res, 200, { status: 'ready', supergraph: { path: config.supergraphPath, hash: supergraph.hash }, subgraphs });
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = pathOf(req);
    if (path === '/graphql' || path === '/') return handleGraphQL(req, res, { server: layer.apollo, bodyLimit: config.bodyLimit, context });
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return ready(res);
    req.resume();
    return sendJson(res, 404, { error: `no route for ${path}; GraphQL is served at /graphql` });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((error) => {
      deps.logger.error({ err: error }, 'request failed');
      if (!res.headersSent) sendGraphQLError(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
