import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { createLogger, DEV_JWT_SECRET, SERVICE_TOKEN_HEADER, signViewerToken } from '@crossfade/kit';
import { loadConfig, startGateway, subgraphUrlVariable } from '../src/index.ts';
import { scrape } from '../../test/support/prometheus.ts';
import { HOME_FEED, postJson, startStack, type Stack } from '../../test/support/stack.ts';

describe('configuration', () => {
  it('takes the supergraph from --supergraph before SUPERGRAPH_PATH', () => {
    expect(loadConfig(['--supergraph', 'a.graphql'], { SUPERGRAPH_PATH: 'b.graphql' }).supergraphPath).toBe('a.graphql');
    expect(loadConfig([], { SUPERGRAPH_PATH: 'b.graphql' }).supergraphPath).toBe('b.graphql');
    expect(loadConfig([], {}).supergraphPath).toBe('supergraph.graphql');
  });

  it('overrides routing URLs with SUBGRAPH_<NAME>_URL', () => {
    expect(subgraphUrlVariable('user-reviews.v2')).toBe('SUBGRAPH_USER_REVIEWS_V2_URL');
    const config = loadConfig([], { SUBGRAPH_POSTS_URL: 'http://posts.internal:8080/graphql' });
    expect(config.subgraph('posts').url).toBe('http://posts.internal:8080/graphql');
    expect(config.subgraph('users').url).toBeUndefined();
  });

  it('fails fast with one message naming each bad variable', () => {
    expect(() => loadConfig([], { GATEWAY_PORT: 'http' })).toThrow(/GATEWAY_PORT/);
    expect(() => loadConfig([], { SUBGRAPH_USERS_URL: 'not a url' })).toThrow(/SUBGRAPH_USERS_URL/);
    expect(() => loadConfig([], { NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*GATEWAY_SECRET/);
    expect(() => loadConfig(['--bogus'], {})).toThrow(/bogus/);
  });

  it('turns introspection and the landing page off in production unless asked', () => {
    const secrets = { JWT_SECRET: 'x'.repeat(32), GATEWAY_SECRET: 'y'.repeat(32) };
    expect(loadConfig([], { NODE_ENV: 'production', ...secrets })).toMatchObject({ introspection: false, landingPage: false });
    expect(loadConfig([], { NODE_ENV: 'production', INTROSPECTION: '1', ...secrets }).introspection).toBe(true);
    expect(loadConfig([], {})).toMatchObject({ introspection: true, landingPage: true });
  });
});

describe('any valid supergraph', () => {
  let server: http.Server;
  let dir: string;
  let received: http.IncomingHttpHeaders[] = [];
  beforeAll(async () => {
    // A one-subgraph graph that has nothing to do with Crossfade's own.
    server = http.createServer((req, res) => {
      received.push(req.headers);
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ data: { weather: { city: 'Oslo', celsius: -3 } } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const typeDefs = parse(
      `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) type Query { weather: Weather } type Weather { city: String! celsius: Int! }`,
    );
    const result = composeServices([{ name: 'weather-service', typeDefs, url }]);
    if (result.errors) throw result.errors[0];
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-gw-'));
    fs.writeFileSync(path.join(dir, 'supergraph.graphql'), result.supergraphSdl);
  });
  afterAll(() => {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts and serves it', async () => {
    const gateway = await startGateway(loadConfig(['--supergraph', path.join(dir, 'supergraph.graphql')], { GATEWAY_PORT: '0', ADMIN_PORT: '0' }), createLogger('test', 'silent'));
    try {
      const response = await postJson(gateway.url, { query: '{ weather { city celsius } }' });
      expect(response.body).toEqual({ data: { weather: { city: 'Oslo', celsius: -3 } } });
      const ready = await fetch(new URL('/ready', gateway.url));
      expect(ready.status).toBe(200);
      expect((await ready.json()).subgraphs.map((s: { name: string }) => s.name)).toEqual(['weather-service']);
    } finally {
      await gateway.close();
    }
  });

  it('passes the allowlisted client headers and its service token to subgraphs, and nothing else', async () => {
    const gateway = await startGateway(loadConfig(['--supergraph', path.join(dir, 'supergraph.graphql')], { GATEWAY_PORT: '0', ADMIN_PORT: '0' }), createLogger('test', 'silent'));
    try {
      received = [];
      const token = await signViewerToken('3', DEV_JWT_SECRET);
      await postJson(
        gateway.url,
        { query: '{ weather { city } }' },
        { authorization: `Bearer ${token}`, 'accept-language': 'fr', 'x-request-id': 'r-1', cookie: 'session=secret', 'x-internal-role': 'admin' },
      );
      expect(received).toHaveLength(1);
      const [headers] = received;
      expect(headers).toMatchObject({ authorization: `Bearer ${token}`, 'accept-language': 'fr', 'x-request-id': 'r-1' });
      expect(headers[SERVICE_TOKEN_HEADER]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(headers.cookie).toBeUndefined();
      expect(headers['x-internal-role']).toBeUndefined();
    } finally {
      await gateway.close();
    }
  });

  it('refuses to start on a file that is not a supergraph, saying why', async () => {
    const file = path.join(dir, 'plain.graphql');
    fs.writeFileSync(file, 'type Query { a: Int }');
    await expect(startGateway(loadConfig(['--supergraph', file], { GATEWAY_PORT: '0', ADMIN_PORT: '0' }), createLogger('test', 'silent'))).rejects.toThrow(/not a supergraph/);
    await expect(
      startGateway(loadConfig(['--supergraph', path.join(dir, 'missing.graphql')], { GATEWAY_PORT: '0', ADMIN_PORT: '0' }), createLogger('test', 'silent')),
    ).rejects.toThrow(/cannot read supergraph/);
  });
});

describe('HTTP surface', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('sqlite');
  });
  afterAll(() => stack?.close());
  const base = () => stack.gateway.url.replace(/\/graphql$/, '');

  it('answers /health, /ready with each subgraph, and 404 elsewhere', async () => {
    expect((await fetch(`${base()}/health`)).status).toBe(200);
    const ready = await fetch(`${base()}/ready`);
    expect(ready.status).toBe(200);
    const body = await ready.json();
    expect(body.subgraphs.map((s: { name: string; health: string }) => [s.name, s.health]).sort()).toEqual([
      ['media', 'up'],
      ['posts', 'up'],
      ['users', 'up'],
    ]);
  });

  it('counts every operation and subgraph request on the admin port, never on the public one', async () => {
    const metricsUrl = stack.gateway.adminUrl.replace(/\/admin$/, '/metrics');
    expect((await fetch(`${base()}/metrics`)).status).toBe(404);
    const headers = { 'apollographql-client-name': 'web' };
    const series = (name: string, labels: string) => `${name}{${labels}}`;
    const read = async () => {
      const samples = await scrape(metricsUrl);
      const get = (key: string) => samples.get(key) ?? 0;
      return {
        operations: get(series('crossfade_operation_requests_total', 'operation="HomeFeed",client="web",outcome="ok"')),
        durations: get(series('crossfade_operation_duration_seconds_count', 'operation="HomeFeed",client="web"')),
        ...Object.fromEntries(['users', 'posts', 'media'].map((s) => [s, get(series('crossfade_subgraph_requests_total', `subgraph="${s}",outcome="ok"`))])),
        postsTimed: get(series('crossfade_subgraph_request_duration_seconds_count', 'subgraph="posts"')),
        inflight: get(series('crossfade_subgraph_inflight', 'subgraph="posts"')),
        eventLoop: samples.has('nodejs_eventloop_lag_seconds'),
      } as Record<string, number | boolean>;
    };
    const before = await read();
    await stack.query(HOME_FEED, {}, { headers });
    const once = await read();
    for (let i = 0; i < 3; i++) await stack.query(HOME_FEED, {}, { headers });
    const after = await read();
    const delta = (a: Record<string, any>, b: Record<string, any>, key: string) => b[key] - a[key];
    expect(delta(before, once, 'operations')).toBe(1);
    expect(delta(before, once, 'durations')).toBe(1);
    expect(delta(before, once, 'posts')).toBe(1);
    for (const key of ['operations', 'users', 'posts', 'media', 'postsTimed']) {
      expect(delta(before, once, key), key).toBeGreaterThan(0);
      expect(delta(once, after, key), key).toBe(3 * delta(before, once, key));
    }
    expect(after.inflight).toBe(0);
    expect(after.eventLoop).toBe(true);
  });

  it('serves subgraph metrics on each subgraph port: requests, SQL statements, batch sizes', async () => {
    await stack.query(HOME_FEED);
    const samples = await scrape(stack.subgraphs.posts.url.replace(/\/graphql$/, '/metrics'));
    const keys = [...samples.keys()];
    expect(keys.some((k) => k.startsWith('crossfade_http_requests_total{route="/graphql"'))).toBe(true);
    expect(keys.some((k) => k.startsWith('crossfade_sql_statements_total{operation="SELECT"'))).toBe(true);
    expect(keys.some((k) => k.startsWith('crossfade_sql_statement_duration_seconds_bucket'))).toBe(true);
    expect(
      keys.some(
        (k) => k.startsWith('crossfade_dataloader_batch_size_bucket{le="1",loader="likeCount"}') || k.startsWith('crossfade_dataloader_batch_size_count{loader="likeCount"}'),
      ),
    ).toBe(true);
  });

  it('answers malformed JSON, an empty body and a missing query with 400 and a code', async () => {
    for (const body of ['{"query": ', '', '{}']) {
      const response = await fetch(stack.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(response.status).toBe(400);
      const json = await response.json();
      expect(json.errors[0].extensions.code).toMatch(/BAD_REQUEST/);
    }
  });

  it('serves the Sandbox landing page to browsers and introspection to tools', async () => {
    const page = await fetch(stack.gateway.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/sandbox/i);
    const introspection = await stack.query('{ __schema { queryType { fields { name } } } }');
    const fields = introspection.body.data.__schema.queryType.fields.map((f: { name: string }) => f.name);
    expect(fields).toEqual(expect.arrayContaining(['me', 'user', 'users', 'post', 'recentPosts', 'track', 'tracks', 'topTracks', 'playlist']));
  });

  it("returns the healthy subgraphs' fields and a coded error naming the one that is down", async () => {
    const query = `{ user(id: "1") { handle postCount } track(id: "1") { title } }`;
    expect((await stack.query(query)).body.errors).toBeUndefined();
    const { media } = stack.subgraphs;
    await media.close();
    const response = await stack.query(query);
    expect(response.status).toBe(200);
    expect(response.body.data.user.handle).toBe('alice');
    expect(response.body.data.user.postCount).toBeGreaterThan(0);
    expect(response.body.data.track).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0].extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'media' });
    const ready = await (await fetch(`${base()}/ready`)).json();
    expect(ready.subgraphs.find((s: { name: string }) => s.name === 'media')).toMatchObject({ health: 'down', lastRequest: { kind: 'down' } });
  });
});

describe('.env.example', () => {
  it('parses as it stands: every value in it is a valid default', async () => {
    const fs = await import('node:fs');
    const env = Object.fromEntries(
      fs
        .readFileSync(new URL('../../.env.example', import.meta.url), 'utf8')
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => {
          const [key, ...rest] = line.split('=');
          return [
            key,
            rest
              .join('=')
              .replace(/\s+#.*$/, '')
              .trim(),
          ];
        }),
    );
    const config = loadConfig([], env);
    expect(config).toMatchObject({
      port: 4000,
      adminPort: 4090,
      bodyLimit: 1024 * 1024,
      rateLimitPerMinute: 0,
      forwardHeaders: ['authorization', 'accept-language', 'x-request-id'],
    });
    expect(config.limits).toEqual({ maxDepth: 15, maxAliases: 30, maxDirectives: 20, maxTokens: 5000, maxCost: 20000, maxBatch: 0 });
  });
});
