import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GatewayContext } from './context.ts';
import { GraphQLError, type ValidationContext } from 'graphql';
import type { OperationLimits } from '../config.ts';

export const OPERATION_LIMIT_EXCEEDED = 'OPERATION_LIMIT_EXCEEDED';

/** Errors raised by the limits below; formatError gives them their code. */
const limitErrors = new WeakSet<object>();

/** Reports a rejection to the validation once, as an error formatError will recognise. */
function reportLimit(context: ValidationContext | null, error: GraphQLError) {
  const reported = new GraphQLError(error.message.replace(/^Syntax Error: /, ''));
  limitErrors.add(reported);
  context?.reportError(reported);
}

/**
 * Depth, aliases, directives and cost through graphql-armor's validation rules, tokens through
 * graphql-js's own parser bound (one parse, no second lexer pass).
 */
export function operationLimits(limits: OperationLimits, production: boolean) {
  // A fresh handler list per rule: graphql-armor appends to the list it is given.
  const reject = () => ({ onReject: [reportLimit], propagateOnRejection: false, exposeLimits: true });
  const { plugins, validationRules } = new ApolloArmor({
    maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true, ...reject() },
    maxAliases: { n: limits.maxAliases, ...reject() },
    maxDirectives: { n: limits.maxDirectives, ...reject() },
    costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true, ...reject() },
    maxTokens: { enabled: false },
    // Field suggestions ("Did you mean ...?") would describe the schema to whoever probes it.
    blockFieldSuggestion: { enabled: production },
  }).protect();
  // graphql-armor's typings name Apollo Server's CommonJS build; the plugins are the same objects.
  return { plugins: plugins as unknown as ApolloServerPlugin<GatewayContext>[], validationRules, parseOptions: { maxTokens: limits.maxTokens } };
}

// graphql-js 16 spells it "more that".
const TOKEN_LIMIT = /^Syntax Error: Document contains more th(?:an|at) \d+ tokens/;

/** The client-facing form of a limit error, or undefined for any other error. */
export function limitMessage(error: unknown): string | undefined {
  // Duck-typed: the error may come from another copy of graphql-js than this module's.
  const original = ((error as { originalError?: Error })?.originalError ?? error) as Error | undefined;
  if (!original || typeof original.message !== 'string') return undefined;
  if (limitErrors.has(original)) return original.message;
  if (TOKEN_LIMIT.test(original.message))
    return original.message.replace(/^Syntax Error: Document contains more th(?:an|at)/, 'Document contains more than').replace(' Parsing aborted.', '');
  return undefined;
}

/**
 * An operationName that names no operation of the document is the client's mistake: a 400, before
 * the query planner reports it as an internal error.
 */
export const operationResolutionPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request }) {
        if (operation) return;
        const message = request.operationName ? `Unknown operation named "${request.operationName}".` : 'Must provide operation name if query contains multiple operations.';
        throw new GraphQLError(message, { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } });
      },
    };
  },
};
