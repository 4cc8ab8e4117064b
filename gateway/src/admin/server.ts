import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathOf, sendJson, type Logger } from '@crossfade/kit';
import type { GatewayMetrics } from './metrics.ts';

export interface AdminServer {
  server: http.Server;
  port: number;
}

/** The admin port: metrics and the scaling advisor, never on the public port. */
export async function startAdminServer(port: number, host: string | undefined, deps: { metrics: GatewayMetrics; logger: Logger }): Promise<AdminServer> {
  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = pathOf(req);
    if (path === '/metrics') {
      const body = await deps.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(body);
      return;
    }
    sendJson(res, 404, { error: `no route for ${path}` });
  }
  const server = http.createServer((req, res) => {
    route(req, res).catch((error) => {
      deps.logger.error({ err: error }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
