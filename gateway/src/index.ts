import { createLogger, ServiceTokenSigner, type Logger } from '@crossfade/kit';
import { Agent } from 'undici';
import type { GatewayConfig } from './config.ts';
import { createGraphQLLayer } from './graphql/server.ts';
import { startPublicServer } from './http/server.ts';
import { loadSupergraph } from './supergraph/load.ts';

export { loadConfig, subgraphUrlVariable, type GatewayConfig } from './config.ts';

export interface RunningGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startGateway(config: GatewayConfig, logger: Logger = createLogger('gateway')): Promise<RunningGateway> {
  const supergraph = await loadSupergraph(config.supergraphPath);
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  const signer = new ServiceTokenSigner(config.secrets.gatewaySecret);
  const layer = await createGraphQLLayer(config, supergraph, { logger, dispatcher, signer });
  const { server, port } = await startPublicServer(config, layer, supergraph, { logger, dispatcher });
  const url = `http://${config.host && config.host !== '0.0.0.0' ? config.host : 'localhost'}:${port}/graphql`;
  logger.info({ url, supergraph: config.supergraphPath, subgraphs: supergraph.subgraphs.map((s) => s.name) }, 'gateway ready');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await layer.apollo.stop();
        await dispatcher.close();
      })()),
  };
}
