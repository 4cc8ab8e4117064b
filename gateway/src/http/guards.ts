import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendGraphQLError } from '@crossfade/kit';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const CORS_HEADERS = [
  'content-type',
  'authorization',
  'accept-language',
  'x-request-id',
  'traceparent',
  'apollographql-client-name',
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
].join(', ');

/**
 * CORS from an allowlist (`*` for any origin). Answers preflights itself; returns true when the
 * request was a preflight and is done.
 */
export function cors(origins: string[]) {
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const origin = req.headers.origin;
    const ok = origin !== undefined && (any || allowed.has(origin));
    if (ok) {
      res.setHeader('access-control-allow-origin', any ? '*' : origin);
      res.setHeader('access-control-expose-headers', 'traceresponse, retry-after');
      if (!any) res.setHeader('vary', 'origin');
    }
    if (req.method !== 'OPTIONS') return false;
    if (ok) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', CORS_HEADERS);
      res.setHeader('access-control-max-age', '600');
    }
    res.writeHead(ok ? 204 : 403).end();
    return true;
  };
}

/** Requests per minute per client key; `undefined` when off. */
export function rateLimiter(perMinute: number) {
  if (perMinute <= 0) return undefined;
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  /** Resolves to 0 when the request may go on, else the seconds to wait. */
  return async (key: string): Promise<number> => {
    try {
      await limiter.consume(key);
      return 0;
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw rejection;
    }
  };
}

export function tooManyRequests(res: ServerResponse, retryAfterSeconds: number) {
  sendGraphQLError(res, 429, `rate limit exceeded: retry in ${retryAfterSeconds} s`, 'RATE_LIMITED', { 'retry-after': String(retryAfterSeconds) });
}

export function overloaded(res: ServerResponse) {
  sendGraphQLError(res, 503, 'the gateway is at capacity: retry shortly', 'OVERLOADED', { 'retry-after': '1', connection: 'close' });
}
