import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Logger, ServiceTokenSigner } from '@crossfade/kit';
import type { ScalingAdvisor } from '@crossfade/otel/advisor';
import type { Dispatcher } from 'undici';
import type { GatewayMetrics } from '../admin/metrics.ts';
import type { GatewayConfig } from '../config.ts';
import { SubgraphDataSource } from '../subgraph-client/data-source.ts';
import type { Supergraph } from '../supergraph/load.ts';
import { watchSupergraph } from '../supergraph/watch.ts';
import type { GatewayContext } from './context.ts';
import { errorFormatter } from './errors.ts';
import { operationLimits, operationResolutionPlugin } from './limits.ts';
import { loadManifest, safelistPlugin } from './plugins/safelist.ts';
import { telemetryPlugin } from './plugins/telemetry.ts';
import { loadKnownOperations, warmQueryPlans } from './warmup.ts';

export interface GraphQLLayer {
  apollo: ApolloServer<GatewayContext>;
  /** The data source of each subgraph of the supergraph being served. */
  dataSources(): Map<string, SubgraphDataSource>;
  /** The supergraph being served (it changes on reload). */
  supergraph(): Supergraph;
}

export async function createGraphQLLayer(
  config: GatewayConfig,
  initial: Supergraph,
  deps: { logger: Logger; dispatcher: Dispatcher; signer: ServiceTokenSigner; metrics: GatewayMetrics; advisor: ScalingAdvisor },
): Promise<GraphQLLayer> {
  const manifest = config.safelistPath ? loadManifest(config.safelistPath) : undefined;
  // The safelist's operations are known too: their plans are worth having before the first request.
  const known = [...(config.warmupPath ? loadKnownOperations(config.warmupPath) : []), ...[...(manifest ?? [])].map(([id, document]) => ({ id, document }))];
  const warm = async () => {
    if (!known.length) return;
    const started = performance.now();
    const planned = await warmQueryPlans(gateway, known, deps.logger);
    deps.metrics.plansWarmed.inc(planned);
    deps.logger.info({ planned, ms: Math.round(performance.now() - started) }, 'query plans warmed');
  };
  let current = initial;
  let dataSources = new Map<string, SubgraphDataSource>();
  // Each schema load builds its data sources afresh; the map is swapped once the load succeeds.
  let building = new Map<string, SubgraphDataSource>();
  const gateway = new ApolloGateway({
    logger: deps.logger,
    supergraphSdl: async ({ update }) => {
      const watcher = config.watchSupergraph
        ? watchSupergraph(
            config.supergraphPath,
            current,
            async (next) => {
              building = new Map();
              await update(next.sdl);
              dataSources = building;
              current = next;
              await warm();
              deps.metrics.supergraphReloads.inc({ outcome: 'applied' });
              deps.logger.info({ hash: next.hash, subgraphs: next.subgraphs.map((s) => s.name) }, 'supergraph reloaded');
            },
            { logger: deps.logger, onRejected: (reason) => deps.metrics.supergraphReloads.inc({ outcome: reason }) },
          )
        : undefined;
      return { supergraphSdl: initial.sdl, cleanup: async () => watcher?.close() };
    },
    buildService: ({ name, url }) => {
      const settings = config.subgraph(name);
      const source = new SubgraphDataSource({
        name,
        url: settings.url ?? url ?? '',
        dispatcher: deps.dispatcher,
        signer: deps.signer,
        metrics: deps.metrics,
        advisor: deps.advisor,
        forwardHeaders: config.forwardHeaders,
        timeoutMs: settings.timeoutMs,
        retries: config.retries,
        consecutiveFailures: config.circuit.consecutiveFailures,
        halfOpenAfterMs: config.circuit.halfOpenAfterMs,
      });
      building.set(name, source);
      return source;
    },
  });
  const limits = operationLimits(config.limits, config.secrets.production);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    logger: deps.logger,
    introspection: config.introspection,
    // Stack traces stay in the logs: clients get the code and message only.
    includeStacktraceInErrorResponses: false,
    stopOnTerminationSignals: false,
    formatError: errorFormatter({ production: config.secrets.production, exposeSubgraphErrors: config.exposeSubgraphErrors }),
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    allowBatchedHttpRequests: config.limits.maxBatch > 0,
    persistedQueries: config.apq ? {} : false,
    plugins: [
      telemetryPlugin(deps),
      ...limits.plugins,
      operationResolutionPlugin,
      ...(manifest ? [safelistPlugin(manifest)] : []),
      config.landingPage ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled(),
      // Installed by default, and inert here: the gateway resolves no fields itself and its data source passes
      // no subgraph cache hints on, so neither has anything to do; each would still add its hooks, and their
      // promises, to every request.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
    ],
  });
  await apollo.start();
  dataSources = building;
  await warm();
  return { apollo, dataSources: () => dataSources, supergraph: () => current };
}
