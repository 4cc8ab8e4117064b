import { SERVICE_TOKEN_HEADER, type ServiceTokenSigner } from '@crossfade/kit';
import { Attr } from '@crossfade/otel/names';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { trace } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { FetchOutcome, GatewayMetrics } from '../admin/metrics.ts';
import type { GatewayContext } from '../graphql/context.ts';

export type SubgraphState = { kind: 'unknown' } | { kind: 'up'; at: number } | { kind: 'down'; at: number; error: string };

export interface SubgraphClientOptions {
  name: string;
  url: string;
  dispatcher: Dispatcher;
  signer: ServiceTokenSigner;
  timeoutMs: number;
  metrics: GatewayMetrics;
}

/** Client headers a subgraph may see; everything else stays at the gateway. */
const FORWARDED_HEADERS = ['authorization', 'accept-language', 'x-request-id'] as const;

type SubgraphResponse = { data?: Record<string, unknown> | null; errors?: GraphQLError[]; extensions?: Record<string, unknown> };

class SubgraphFailure extends GraphQLError {
  constructor(
    readonly outcome: FetchOutcome,
    code: 'SUBGRAPH_UNAVAILABLE' | 'GATEWAY_TIMEOUT',
    serviceName: string,
    message: string,
  ) {
    super(message, { extensions: { code, serviceName } });
  }
}

/**
 * The gateway's own data source: one keep-alive HTTP pool per subgraph (undici), the service
 * token on every request, an allowlist of client headers, a timeout, failures turned into coded
 * errors that name the subgraph, and metrics and timings for every fetch.
 */
export class SubgraphDataSource implements GraphQLDataSource<GatewayContext> {
  state: SubgraphState = { kind: 'unknown' };
  readonly #origin: string;
  readonly #path: string;

  constructor(readonly options: SubgraphClientOptions) {
    const url = new URL(options.url);
    this.#origin = url.origin;
    this.#path = url.pathname + url.search;
  }

  get name() {
    return this.options.name;
  }

  async process({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    const { name, metrics } = this.options;
    // The active span here is @apollo/gateway's gateway.fetch.
    trace.getActiveSpan()?.setAttribute(Attr.SUBGRAPH_NAME, name);
    const start = performance.now();
    metrics.subgraphInflight.inc({ subgraph: name });
    let outcome: FetchOutcome = 'ok';
    try {
      const response = await this.#send(request.query!, request.variables, request.operationName, context?.headers);
      if (response.errors?.length) outcome = 'graphql_error';
      return response;
    } catch (error) {
      outcome = error instanceof SubgraphFailure ? error.outcome : 'unavailable';
      throw error;
    } finally {
      const end = performance.now();
      metrics.subgraphInflight.dec({ subgraph: name });
      metrics.subgraphRequests.inc({ subgraph: name, outcome });
      metrics.subgraphDuration.observe({ subgraph: name }, (end - start) / 1000);
      context?.fetches?.push({ subgraph: name, start, end, ok: outcome === 'ok' || outcome === 'graphql_error' });
    }
  }

  async #send(
    query: string,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
    incoming: GatewayContext['headers'] | undefined,
  ): Promise<SubgraphResponse> {
    const { name, dispatcher, signer, timeoutMs } = this.options;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      [SERVICE_TOKEN_HEADER]: await signer.token(),
    };
    if (incoming) {
      for (const header of FORWARDED_HEADERS) {
        const value = incoming[header];
        if (typeof value === 'string') headers[header] = value;
      }
    }
    let status: number;
    let text: string;
    try {
      const response = await dispatcher.request({
        origin: this.#origin,
        path: this.#path,
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables, operationName }),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
      this.state = { kind: 'down', at: Date.now(), error: (error as Error).message };
      throw timedOut
        ? new SubgraphFailure('timeout', 'GATEWAY_TIMEOUT', name, `subgraph "${name}" did not answer within ${timeoutMs} ms`)
        : new SubgraphFailure('unavailable', 'SUBGRAPH_UNAVAILABLE', name, `subgraph "${name}" is unavailable`);
    }
    let parsed: SubgraphResponse | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      this.state = { kind: 'down', at: Date.now(), error: `HTTP ${status}: not a GraphQL response` };
      throw new SubgraphFailure('http_error', 'SUBGRAPH_UNAVAILABLE', name, `subgraph "${name}" answered HTTP ${status} without a GraphQL response`);
    }
    this.state = status >= 500 ? { kind: 'down', at: Date.now(), error: `HTTP ${status}` } : { kind: 'up', at: Date.now() };
    return parsed;
  }
}
