import type { IncomingHttpHeaders } from 'node:http';
import type { Viewer } from '@crossfade/kit';

export interface GatewayContext {
  viewer: Viewer | null;
  /** The client's request headers; the data source forwards an allowlist of them. */
  headers: IncomingHttpHeaders;
}
