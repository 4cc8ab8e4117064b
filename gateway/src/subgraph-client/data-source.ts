import { SERVICE_TOKEN_HEADER, type ServiceTokenSigner } from '@crossfade/kit';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { GatewayContext } from '../graphql/context.ts';

export type SubgraphState =
  | { kind: 'unknown' }
  | { kind: 'up'; at: number }
  | { kind: 'down'; at: number; error: string };

export interface SubgraphClientOptions {
  name: string;
  url: string;
  dispatcher: Dispatcher;
  signer: ServiceTokenSigner;
  timeoutMs: number;
}

/** Client headers a subgraph may see; everything else stays at the gateway. */
const FORWARDED_HEADERS = ['authorization', 'accept-language', 'x-request-id'] as const;

function subgraphError(code: 'SUBGRAPH_UNAVAILABLE' | 'GATEWAY_TIMEOUT', serviceName: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, serviceName } });
}

/**
 * The gateway's own data source: one keep-alive HTTP pool per subgraph (undici), the service
 * token on every request, an allowlist of client headers, a timeout, and failures turned into
 * coded errors that name the subgraph.
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

  async process({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>) {
    const { name, dispatcher, signer, timeoutMs } = this.options;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      [SERVICE_TOKEN_HEADER]: await signer.token(),
    };
    const incoming = context?.headers;
    if (incoming) {
      for (const header of FORWARDED_HEADERS) {
        const value = incoming[header];
        if (typeof value === 'string') headers[header] = value;
      }
    }
    const body = JSON.stringify({ query: request.query, variables: request.variables, operationName: request.operationName });
    let status: number;
    let text: string;
    try {
      const response = await dispatcher.request({
        origin: this.#origin,
        path: this.#path,
        method: 'POST',
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const timedOut = error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError;
      this.state = { kind: 'down', at: Date.now(), error: (error as Error).message };
      throw timedOut
        ? subgraphError('GATEWAY_TIMEOUT', name, `subgraph "${name}" did not answer within ${timeoutMs} ms`)
        : subgraphError('SUBGRAPH_UNAVAILABLE', name, `subgraph "${name}" is unavailable`);
    }
    let parsed: { data?: Record<string, unknown> | null; errors?: GraphQLError[]; extensions?: Record<string, unknown> } | undefined;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || (!('data' in parsed) && !('errors' in parsed))) {
      this.state = { kind: 'down', at: Date.now(), error: `HTTP ${status}: not a GraphQL response` };
      throw subgraphError('SUBGRAPH_UNAVAILABLE', name, `subgraph "${name}" answered HTTP ${status} without a GraphQL response`);
    }
    this.state = status >= 500 ? { kind: 'down', at: Date.now(), error: `HTTP ${status}` } : { kind: 'up', at: Date.now() };
    return parsed;
  }
}
