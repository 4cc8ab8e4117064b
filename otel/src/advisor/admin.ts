/**
 * The advisor's routes on the gateway's admin server:
 *   GET /admin           the page (text/html)
 *   GET /admin/scaling   the snapshot (JSON)
 *   GET /admin/history   the last 10 minutes of samples (JSON)
 * `handleAdminRequest` answers these and returns true, or returns false without touching the response so
 * that the admin server routes the rest (/metrics). It never rejects: a failing advisor answers 500.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScalingAdvisor } from './advisor.ts';
import { renderAdminPage } from './page.ts';

export const ADMIN_PATHS = ['/admin', '/admin/scaling', '/admin/history'] as const;

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function handleAdminRequest(advisor: ScalingAdvisor, req: IncomingMessage, res: ServerResponse): boolean {
  const path = new URL(req.url ?? '/', 'http://admin').pathname.replace(/\/+$/, '') || '/';
  if (!(ADMIN_PATHS as readonly string[]).includes(path)) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'application/json', JSON.stringify({ error: `${req.method} is not allowed on ${path}` }), { allow: 'GET, HEAD' });
    return true;
  }
  try {
    if (path === '/admin/scaling') {
      send(res, 200, 'application/json', JSON.stringify(advisor.snapshot()));
    } else if (path === '/admin/history') {
      send(res, 200, 'application/json', JSON.stringify(advisor.history()));
    } else {
      const nonce = randomBytes(16).toString('base64');
      send(res, 200, 'text/html; charset=utf-8', renderAdminPage(advisor.snapshot(), advisor.history(), nonce), {
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
      });
    }
  } catch (error) {
    if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: `scaling advisor failed: ${(error as Error)?.message ?? error}` }));
    else res.destroy();
  }
  return true;
}
