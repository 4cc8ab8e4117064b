import type { IncomingHttpHeaders } from 'node:http';
import type { Viewer } from '@crossfade/kit';
import type { OperationTimer } from '@crossfade/otel/advisor';
import type { SpanContext } from '@opentelemetry/api';

export interface GatewayContext {
  viewer: Viewer | null;
  /** The client's request headers; the data source forwards an allowlist of them. */
  headers: IncomingHttpHeaders;
  /** The request's trace context (its server span's, or ids carried without an SDK): for logs and subgraph requests. */
  trace?: SpanContext;
  /** Times the operation and its subgraph fetches for the scaling advisor; set when the request starts. */
  operation?: OperationTimer;
}
