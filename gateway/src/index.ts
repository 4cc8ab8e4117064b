import { createLogger, ServiceTokenSigner, type Logger } from '@crossfade/kit';
import { Agent } from 'undici';
import { createAdvisor, registerAdvisorMetrics } from '@crossfade/otel/advisor';
import { createGatewayMetrics } from './admin/metrics.ts';
import { startAdminServer } from './admin/server.ts';
import type { GatewayConfig } from './config.ts';
import { createGraphQLLayer } from './graphql/server.ts';
import { startPublicServer } from './http/server.ts';
import { loadSupergraph } from './supergraph/load.ts';

export { loadConfig, subgraphUrlVariable, type GatewayConfig } from './config.ts';

export interface RunningGateway {
  url: string;
  port: number;
  adminUrl: string;
  adminPort: number;
  /** Graceful stop: finishes requests in flight (up to the shutdown timeout), then releases everything. */
  close(): Promise<void>;
}

const urlOf = (host: string | undefined, port: number, path: string) => `http://${host && host !== '0.0.0.0' && host !== '::' ? host : 'localhost'}:${port}${path}`;

export async function startGateway(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  const supergraph = await loadSupergraph(config.supergraphPath);
  const metrics = createGatewayMetrics();
  const advisor = createAdvisor({
    subgraphs: supergraph.subgraphs.map((s) => s.name),
    ...config.scaling,
    onError: (error, where) => logger.warn({ err: error, where }, 'scaling advisor failure (requests are unaffected)'),
  });
  registerAdvisorMetrics(advisor, metrics.registry);
  // Samples the history off the request path.
  const ticker = setInterval(() => advisor.tick(), 1000);
  ticker.unref();
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  const signer = new ServiceTokenSigner(config.secrets.gatewaySecret);
  const layer = await createGraphQLLayer(config, supergraph, { logger, dispatcher, signer, metrics, advisor });
  const admin = await startAdminServer(config.adminPort, config.host, { metrics, logger, advisor });
  const publicServer = await startPublicServer(config, layer, { logger, dispatcher });
  const url = urlOf(config.host, publicServer.port, '/graphql');
  const adminUrl = urlOf(config.host, admin.port, '/admin');
  logger.info({ url, adminUrl, supergraph: config.supergraphPath, subgraphs: supergraph.subgraphs.map((s) => s.name) }, 'gateway ready');
  let closing: Promise<void> | undefined;
  return {
    url,
    port: publicServer.port,
    adminUrl,
    adminPort: admin.port,
    close: () =>
      (closing ??= (async () => {
        await publicServer.close(config.shutdownTimeoutMs);
        clearInterval(ticker);
        await layer.apollo.stop();
        await admin.close(1000);
        await dispatcher.close();
      })()),
  };
}
