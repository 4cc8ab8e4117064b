import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { activeTrace, type ServiceTokenSigner, type Logger } from '@crossfade/kit';
import type { GraphQLFormattedError } from 'graphql';
import type { GatewayMetrics } from '../admin/metrics.ts';
import { telemetryPlugin } from './plugins/telemetry.ts';
import type { Dispatcher } from 'undici';
import type { GatewayConfig } from '../config.ts';
import { SubgraphDataSource } from '../subgraph-client/data-source.ts';
import type { Supergraph } from '../supergraph/load.ts';
import type { GatewayContext } from './context.ts';

export interface GraphQLLayer {
  apollo: ApolloServer<GatewayContext>;
  dataSources: Map<string, SubgraphDataSource>;
}

/** Every error a client sees carries the trace id of its request. */
function withTraceId(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const traced = activeTrace();
  return traced ? { ...formatted, extensions: { ...formatted.extensions, traceId: traced.traceId } } : formatted;
}

export async function createGraphQLLayer(
  config: GatewayConfig,
  supergraph: Supergraph,
  deps: { logger: Logger; dispatcher: Dispatcher; signer: ServiceTokenSigner; metrics: GatewayMetrics },
): Promise<GraphQLLayer> {
  const dataSources = new Map<string, SubgraphDataSource>();
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.sdl,
    logger: deps.logger,
    buildService: ({ name, url }) => {
      const source = new SubgraphDataSource({
        name,
        url: config.subgraphUrls(name) ?? url ?? '',
        dispatcher: deps.dispatcher,
        signer: deps.signer,
        timeoutMs: config.subgraphTimeoutMs,
        metrics: deps.metrics,
      });
      dataSources.set(name, source);
      return source;
    },
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: deps.logger,
    introspection: config.introspection,
    // Stack traces stay in the logs: clients get the code and message only.
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    formatError: withTraceId,
    plugins: [telemetryPlugin(deps), config.landingPage ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  return { apollo, dataSources };
}
