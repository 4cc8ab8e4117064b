import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { limitMessage, OPERATION_LIMIT_EXCEEDED } from './limits.ts';

/** Codes whose messages are written for clients; anything else may carry internals. */
const CLIENT_SAFE = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  OPERATION_LIMIT_EXCEEDED,
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_NOT_ALLOWED',
  'OPERATION_RESOLUTION_FAILURE',
  'SUBGRAPH_UNAVAILABLE',
  'GATEWAY_TIMEOUT',
  'RATE_LIMITED',
  'OVERLOADED',
]);

export interface ErrorPolicy {
  production: boolean;
  exposeSubgraphErrors: boolean;
}

/**
 * Shapes every error a client sees: limit errors get OPERATION_LIMIT_EXCEEDED; in production,
 * internal errors (and subgraph errors unless exposed) keep only a generic message, their code and
 * the subgraph's name. (The HTTP layer adds each error's `extensions.traceId`: kit's handleGraphQL.)
 */
export function errorFormatter(policy: ErrorPolicy) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const limit = limitMessage(unwrapResolverError(error));
    if (limit) return { message: limit, ...(formatted.locations && { locations: formatted.locations }), extensions: { code: OPERATION_LIMIT_EXCEEDED } };

    const extensions = formatted.extensions ?? {};
    const code = typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR';
    const fromSubgraph = typeof extensions.serviceName === 'string';
    const mask = policy.production && (fromSubgraph ? !policy.exposeSubgraphErrors && !CLIENT_SAFE.has(code) : !CLIENT_SAFE.has(code));
    if (mask) {
      return {
        message: 'Internal server error',
        ...(formatted.path && { path: formatted.path }),
        extensions: { code: 'INTERNAL_SERVER_ERROR', ...(fromSubgraph && { serviceName: extensions.serviceName }) },
      };
    }
    if (fromSubgraph && !policy.exposeSubgraphErrors) {
      // A client-safe subgraph error: its message and code, not the subgraph's other extensions.
      return { ...formatted, extensions: { code, serviceName: extensions.serviceName } };
    }
    return { ...formatted, extensions: { ...extensions, code } };
  };
}
