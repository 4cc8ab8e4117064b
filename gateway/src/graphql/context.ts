import type { IncomingHttpHeaders } from 'node:http';
import type { Viewer } from '@crossfade/kit';

/** One subgraph fetch of an operation, on the performance.now() clock. */
export interface FetchTiming {
  subgraph: string;
  start: number;
  end: number;
  ok: boolean;
}

export interface GatewayContext {
  viewer: Viewer | null;
  /** The client's request headers; the data source forwards an allowlist of them. */
  headers: IncomingHttpHeaders;
  /** Filled by the data source as the query plan runs. */
  fetches: FetchTiming[];
}
