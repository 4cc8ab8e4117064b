import type { ApolloServerPlugin } from '@apollo/server';
import { traceFields, type Logger } from '@crossfade/kit';
import type { ScalingAdvisor } from '@crossfade/otel/advisor';
import { boundedLabel, type GatewayMetrics } from '../../admin/metrics.ts';
import type { GatewayContext } from '../context.ts';

/**
 * Per operation: duration and outcome metrics by operation name and client, the scaling advisor's
 * timing, and one access log line.
 */
export function telemetryPlugin(deps: { metrics: GatewayMetrics; logger: Logger; advisor: ScalingAdvisor }): ApolloServerPlugin<GatewayContext> {
  const operationLabel = boundedLabel(500);
  const clientLabel = boundedLabel(100);
  return {
    async requestDidStart({ request, contextValue }) {
      const started = performance.now();
      contextValue.operation = deps.advisor.beginOperation();
      const client = clientLabel(request.http?.headers.get('apollographql-client-name'), 'unknown');
      return {
        async willSendResponse({ response, operation, operationName, errors }) {
          const seconds = (performance.now() - started) / 1000;
          const name = operationLabel(operationName, operation ? 'anonymous' : 'unparsed');
          contextValue.operation?.end(name);
          const outcome = errors?.length ? 'error' : 'ok';
          deps.metrics.operationRequests.inc({ operation: name, client, outcome });
          deps.metrics.operationDuration.observe({ operation: name, client }, seconds);
          deps.logger.info(
            {
              operation: operationName ?? null,
              type: operation?.operation ?? null,
              client,
              ms: Math.round(seconds * 10_000) / 10,
              status: response.http.status ?? 200,
              outcome,
              errors: errors?.map((e) => e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'),
              subgraphs: [...new Set(contextValue.operation?.fetches.map((f) => f.subgraph))],
              ...traceFields(contextValue.trace),
            },
            'graphql operation',
          );
        },
      };
    },
  };
}
