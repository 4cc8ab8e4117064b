import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { GraphQLError } from 'graphql';

export type FailureCode = 'SUBGRAPH_UNAVAILABLE' | 'GATEWAY_TIMEOUT';
export type FetchOutcome = 'ok' | 'graphql_error' | 'http_error' | 'timeout' | 'unavailable' | 'circuit_open';

/** A subgraph failure as clients see it: coded, naming the subgraph, nothing internal. */
export class SubgraphFailure extends GraphQLError {
  constructor(
    readonly outcome: Exclude<FetchOutcome, 'ok' | 'graphql_error'>,
    serviceName: string,
    message: string,
  ) {
    super(message, { extensions: { code: outcome === 'timeout' ? 'GATEWAY_TIMEOUT' : 'SUBGRAPH_UNAVAILABLE', serviceName } });
  }
}

/** The connection failed before any answer: safe to try a query again on a fresh socket. */
export class ConnectionFailure extends Error {
  override name = 'ConnectionFailure';
}

export interface ResilienceSettings {
  timeoutMs: number;
  retries: number;
  consecutiveFailures: number;
  halfOpenAfterMs: number;
}

/**
 * Per subgraph: a timeout per attempt, a circuit breaker that opens after consecutive failures
 * (a half-open probe closes it again), and retries with backoff for queries whose connection failed.
 * Mutations are never retried: a lost answer does not mean the write did not happen.
 */
export function createResilience(name: string, settings: ResilienceSettings) {
  const breaker = circuitBreaker(
    handleWhen((error) => error instanceof ConnectionFailure || error instanceof TaskCancelledError || (error instanceof SubgraphFailure && error.outcome === 'http_error')),
    { halfOpenAfter: settings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(settings.consecutiveFailures) },
  );
  const perAttempt = timeout(settings.timeoutMs, TimeoutStrategy.Aggressive);
  const retries = retry(
    handleWhen((error) => error instanceof ConnectionFailure),
    { maxAttempts: settings.retries, backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 250 }) },
  );
  const queries: IPolicy = wrap(breaker, retries, perAttempt);
  const mutations: IPolicy = wrap(breaker, perAttempt);

  const translate = (error: unknown): never => {
    if (error instanceof BrokenCircuitError) throw new SubgraphFailure('circuit_open', name, `subgraph "${name}" is unavailable (circuit open)`);
    if (error instanceof TaskCancelledError) throw new SubgraphFailure('timeout', name, `subgraph "${name}" did not answer within ${settings.timeoutMs} ms`);
    if (error instanceof ConnectionFailure) throw new SubgraphFailure('unavailable', name, `subgraph "${name}" is unavailable`);
    throw error;
  };

  return {
    async execute<T>(mutation: boolean, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
      try {
        // A signal of its own: cockatiel's shared default would collect one listener per concurrent fetch.
        return await (mutation ? mutations : queries).execute(({ signal }) => attempt(signal), new AbortController().signal);
      } catch (error) {
        return translate(error);
      }
    },
    get circuit(): 'closed' | 'open' | 'half-open' | 'isolated' {
      switch (breaker.state) {
        case CircuitState.Closed:
          return 'closed';
        case CircuitState.Open:
          return 'open';
        case CircuitState.HalfOpen:
          return 'half-open';
        case CircuitState.Isolated:
          return 'isolated';
      }
    },
  };
}
