import type { IncomingHttpHeaders } from 'node:http';
import type { Viewer } from '@crossfade/kit';
import type { OperationTimer } from '@crossfade/otel/advisor';

export interface GatewayContext {
  viewer: Viewer | null;
  /** The client's request headers; the data source forwards an allowlist of them. */
  headers: IncomingHttpHeaders;
  /** Times the operation and its subgraph fetches for the scaling advisor; set when the request starts. */
  operation?: OperationTimer;
}
