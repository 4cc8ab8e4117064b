import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathOf, sendGraphQLError } from './http.ts';
import { shutdownTelemetry } from '@crossfade/otel';
import { requestTrace, traceIncoming } from '@crossfade/otel/http';
import { traceFields, type Logger } from './logger.ts';

export interface HttpService {
  server: http.Server;
  port: number;
  /** Requests being answered now. */
  inflight(): number;
  /**
   * Graceful stop: no new connections, keep-alive connections closed as their answers finish,
   * in-flight requests given up to `timeoutMs`, then whatever is left is cut.
   */
  close(timeoutMs: number): Promise<void>;
}

/**
 * An HTTP server around an async handler: a failure becomes a 500 without internals, never a crash. Each request
 * is answered inside its HTTP server span (except probes and /metrics), named after its path when that is one of
 * `routes`. The handler gets the request's path (without the query string) with it.
 */
export async function serveHttp(
  port: number,
  host: string | undefined,
  handler: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>,
  logger: Logger,
  routes: ReadonlySet<string> = new Set(),
): Promise<HttpService> {
  let inflight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const server = http.createServer((req, res) => {
    inflight++;
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => {
      if (--inflight === 0) drained?.();
    });
    const path = pathOf(req);
    void traceIncoming(req, res, path, routes, () =>
      handler(req, res, path).catch((error) => {
        logger.error({ err: error, ...traceFields(requestTrace(req)) }, 'request failed');
        if (!res.headersSent) sendGraphQLError(res, 500, 'Internal server error', 'INTERNAL_SERVER_ERROR');
        else res.destroy();
      }),
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    server,
    port: (server.address() as AddressInfo).port,
    inflight: () => inflight,
    close: (timeoutMs) =>
      (closing ??= new Promise<void>((resolve) => {
        draining = true;
        const closed = new Promise<void>((done) => server.close(() => done()));
        server.closeIdleConnections();
        const idle = inflight === 0 ? Promise.resolve() : new Promise<void>((done) => (drained = done));
        const timer = setTimeout(() => {
          logger.warn({ inflight }, `requests still in flight after ${timeoutMs} ms: closing their connections`);
          server.closeAllConnections();
        }, timeoutMs);
        void idle
          .then(() => {
            clearTimeout(timer);
            server.closeIdleConnections();
            return closed;
          })
          .then(() => resolve());
      })),
  };
}

/**
 * The process side of a graceful stop: on SIGTERM or SIGINT, `close()` the service, flush telemetry and
 * exit 0 (1 if closing failed). A stop that hangs past `graceMs` plus the telemetry flush exits 1.
 */
export function exitOnSignals(logger: Logger, close: () => Promise<void>, graceMs: number): void {
  const stop = (signal: string) => {
    logger.info({ signal }, 'stopping');
    setTimeout(() => process.exit(1), graceMs + TELEMETRY_FLUSH_MS + 1000).unref();
    close()
      .then(() => shutdownTelemetry(TELEMETRY_FLUSH_MS))
      .then(
        () => process.exit(0),
        (error) => {
          logger.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

const TELEMETRY_FLUSH_MS = 5000;
