import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, serveHttp, type HttpService, type Logger } from '@crossfade/kit';
import { handleAdminRequest, type ScalingAdvisor } from '@crossfade/otel/advisor';
import type { GatewayMetrics } from './metrics.ts';

/** The admin port: metrics and the scaling advisor (/admin, /admin/scaling, /admin/history), never on the public port. */
export function startAdminServer(port: number, host: string | undefined, deps: { metrics: GatewayMetrics; logger: Logger; advisor: ScalingAdvisor }): Promise<HttpService> {
  return serveHttp(
    port,
    host,
    async (req: IncomingMessage, res: ServerResponse, path: string) => {
      req.resume();
      if (handleAdminRequest(deps.advisor, req, res)) return;
      if (path === '/metrics') {
        const body = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(body);
        return;
      }
      sendJson(res, 404, { error: `no route for ${path}` });
    },
    deps.logger,
  );
}
