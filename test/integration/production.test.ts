import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_GATEWAY_SECRET, DEV_JWT_SECRET } from '@crossfade/kit';
import { startStack, type Stack } from '../support/stack.ts';

describe('production mode', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('sqlite', { NODE_ENV: 'production', JWT_SECRET: DEV_JWT_SECRET, GATEWAY_SECRET: DEV_GATEWAY_SECRET, CORS_ORIGINS: 'https://app.example' });
  });
  afterAll(() => stack?.close());

  it('turns introspection and the landing page off', async () => {
    const introspection = await stack.query('{ __schema { types { name } } }');
    expect(introspection.body.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const page = await fetch(stack.gateway.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/sandbox|embeddable-explorer/i);
  });

  it('masks internal errors: a generic message, the code, the subgraph and the trace id, nothing else', async () => {
    await stack.subgraphs.media.database.close();
    const response = await stack.query('{ user(id: "1") { handle } track(id: "1") { title } }');
    expect(response.body.data).toEqual({ user: { handle: 'alice' }, track: null });
    expect(response.body.errors).toHaveLength(1);
    const [error] = response.body.errors!;
    expect(error.message).toBe('Internal server error');
    expect(Object.keys(error.extensions!).sort()).toEqual(['code', 'serviceName', 'traceId']);
    const traceId = /^00-([0-9a-f]{32})-/.exec(response.headers.get('traceresponse') ?? '')?.[1];
    expect(error.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', serviceName: 'media', traceId });
    expect(JSON.stringify(response.body)).not.toMatch(/destroy|kysely|sqlite|stack/i);
  });

  it('keeps client errors readable', async () => {
    const response = await stack.query('{ recentPosts(first: 500) { totalCount } }');
    expect(response.body.errors![0]).toMatchObject({
      message: expect.stringMatching(/first must be between 0 and 100/),
      extensions: { code: 'BAD_USER_INPUT', serviceName: 'posts' },
    });
  });

  it('allows cross-origin calls from the allowlist only', async () => {
    const preflight = (origin: string) =>
      fetch(stack.gateway.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const refused = await preflight('https://evil.example');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a CSRF-able simple request', async () => {
    const response = await fetch(stack.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"mutation { createUser(input: { handle: \\"csrf\\", displayName: \\"C\\" }) { id } }"}',
    });
    expect(response.status).toBe(400);
  });
});
