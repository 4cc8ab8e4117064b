import { SERVICE_TOKEN_HEADER, type ServiceTokenSigner } from '@crossfade/kit';
import { traceOutgoing } from '@crossfade/otel/http';
import { Attr } from '@crossfade/otel/names';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ScalingAdvisor } from '@crossfade/otel/advisor';
import { trace, type SpanContext } from '@opentelemetry/api';
import type { GraphQLError } from 'graphql';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { GatewayMetrics } from '../admin/metrics.ts';
import type { GatewayContext } from '../graphql/context.ts';
import { InflightDedup } from './dedup.ts';
import { ConnectionFailure, createResilience, SubgraphFailure, type FetchOutcome, type ResilienceSettings } from './resilience.ts';

export type SubgraphState = { kind: 'unknown' } | { kind: 'up'; at: number } | { kind: 'down'; at: number; error: string };

export interface SubgraphClientOptions extends ResilienceSettings {
  name: string;
  url: string;
  dispatcher: Dispatcher;
  signer: ServiceTokenSigner;
  metrics: GatewayMetrics;
  advisor: ScalingAdvisor;
  /** Client headers a subgraph may see (lower case); everything else stays at the gateway. */
  forwardHeaders: string[];
}

type SubgraphResponse = { data?: Record<string, unknown> | null; errors?: GraphQLError[]; extensions?: Record<string, unknown> };

/** A raw subgraph answer: shared between de-duplicated callers, parsed by each of them. */
interface RawAnswer {
  status: number;
  text: string;
}

/** Errors undici raises when no answer started: the request may be sent again (for a query). */
function isConnectionError(error: unknown): boolean {
  if (error instanceof undiciErrors.SocketError || error instanceof undiciErrors.ClientClosedError || error instanceof undiciErrors.ConnectTimeoutError) return true;
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_SOCKET';
}

/**
 * The gateway's own data source: one keep-alive HTTP pool per subgraph (undici), the service token on
 * every request, an allowlist of client headers, in-flight de-duplication of identical queries, a timeout,
 * a circuit breaker and retries for queries, failures turned into coded errors that name the subgraph,
 * and metrics and timings for every fetch.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  state: SubgraphState = { kind: 'unknown' };
  readonly #url: URL;
  readonly #origin: string;
  readonly #path: string;
  readonly #resilience: ReturnType<typeof createResilience>;
  readonly #dedup = new InflightDedup<RawAnswer>();

  constructor(readonly options: SubgraphClientOptions) {
    const url = new URL(options.url);
    this.#url = url;
    this.#origin = url.origin;
    this.#path = url.pathname + url.search;
    this.#resilience = createResilience(options.name, options);
  }

  get name() {
    return this.options.name;
  }

  get circuit() {
    return this.#resilience.circuit;
  }

  async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { request, context } = options;
    const { name, metrics } = this.options;
    // The active span here is @apollo/gateway's gateway.fetch.
    trace.getActiveSpan()?.setAttribute(Attr.SUBGRAPH_NAME, name);
    const start = performance.now();
    const settled = this.options.advisor.beginFetch(name, context?.operation);
    metrics.subgraphInflight.inc({ subgraph: name });
    let outcome: FetchOutcome = 'ok';
    try {
      const query = request.query!;
      const body = JSON.stringify({ query, variables: request.variables, operationName: request.operationName });
      const headers = this.#headers(this.options.signer.current() ?? (await this.options.signer.token()), context?.headers);
      // Every fetch of an incoming mutation counts as a write: never shared, never retried, and reads after it see it.
      const write = !('incomingRequestContext' in options) || options.incomingRequestContext.operation?.operation !== 'query';
      const send = () => this.#resilience.execute(write, (signal) => this.#send(body, headers, signal, context?.trace));
      const answer = write ? await this.#dedup.write(send) : await this.#dedup.run({ subgraph: name, body, headers }, send);
      const response = this.#parse(answer);
      if (response.errors?.length) outcome = 'graphql_error';
      this.state = { kind: 'up', at: Date.now() };
      return response;
    } catch (error) {
      outcome = error instanceof SubgraphFailure ? error.outcome : 'unavailable';
      this.state = { kind: 'down', at: Date.now(), error: (error as Error).message };
      throw error instanceof SubgraphFailure ? error : new SubgraphFailure('unavailable', name, `subgraph "${name}" is unavailable`);
    } finally {
      settled(outcome === 'ok' || outcome === 'graphql_error');
      metrics.subgraphInflight.dec({ subgraph: name });
      metrics.subgraphRequests.inc({ subgraph: name, outcome });
      metrics.subgraphDuration.observe({ subgraph: name }, (performance.now() - start) / 1000);
    }
  }

  #headers(token: string, incoming: GatewayContext['headers'] | undefined): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', [SERVICE_TOKEN_HEADER]: token };
    if (incoming) {
      for (const header of this.options.forwardHeaders) {
        const value = incoming[header];
        if (typeof value === 'string') headers[header] = value;
      }
    }
    return headers;
  }

  /** `onBehalfOf` is the incoming request's trace context: carried on to the subgraph when no SDK runs. */
  async #send(body: string, headers: Record<string, string>, signal: AbortSignal, onBehalfOf: SpanContext | undefined): Promise<RawAnswer> {
    try {
      const answer = await traceOutgoing(
        { method: 'POST', url: this.#url, headers },
        async (traced) => {
          const response = await this.options.dispatcher.request({ origin: this.#origin, path: this.#path, method: 'POST', headers: traced, body, signal });
          return { status: response.statusCode, text: await response.body.text() };
        },
        onBehalfOf,
      );
      // Not a GraphQL answer: a failure the circuit breaker counts.
      if (answer.status >= 500 && !answer.text.startsWith('{')) this.#parse(answer);
      return answer;
    } catch (error) {
      if (signal.aborted || error instanceof SubgraphFailure) throw error;
      if (isConnectionError(error)) throw new ConnectionFailure((error as Error).message);
      throw new SubgraphFailure('unavailable', this.name, `subgraph "${this.name}" is unavailable`);
    }
  }

  #parse({ status, text }: RawAnswer): SubgraphResponse {
    let parsed: SubgraphResponse | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      throw new SubgraphFailure('http_error', this.name, `subgraph "${this.name}" answered HTTP ${status} without a GraphQL response`);
    }
    return parsed;
  }
}
