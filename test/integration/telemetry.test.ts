import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import otelPackage from '../../otel/package.json' with { type: 'json' };
import { SUBGRAPH_NAMES } from '../support/databases.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { spawnService, startProcessStack, type ProcessStack } from '../support/processes.ts';
import { HOME_FEED, postJson } from '../support/stack.ts';

const SERVER = 2;
const CLIENT = 3;
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';
const traceIdOf = (traceresponse: string | null) => /^00-([0-9a-f]{32})-[0-9a-f]{16}-0[01]$/.exec(traceresponse ?? '')?.[1];

describe('one trace per operation, gateway to SQL', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let stack: ProcessStack;
  let exits: Awaited<ReturnType<ProcessStack['stop']>>;
  let feedTrace: string;
  let lookupTrace: string;
  let trace: ReceivedSpan[];
  let refused: Awaited<ReturnType<typeof postJson>>;
  let continued: Awaited<ReturnType<typeof postJson>>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // A long export delay: the spans can only arrive through the flush at shutdown.
    stack = await startProcessStack({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      // The older name only: both names must carry it.
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=staging',
    });
    const feed = await postJson(stack.url, { query: HOME_FEED });
    expect(feed.body.errors).toBeUndefined();
    feedTrace = traceIdOf(feed.headers.get('traceresponse'))!;
    const lookup = await postJson(stack.url, { query: '{ post(id: "49999") { body author { handle } } }' });
    lookupTrace = traceIdOf(lookup.headers.get('traceresponse'))!;
    refused = await postJson(stack.url, { query: '{ recentPosts(first: 500) { totalCount } }' });
    continued = await postJson(stack.url, { query: '{ me { handle } }' }, { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` });
    expect((await fetch(new URL('/health', stack.url))).status).toBe(200);
    exits = await stack.stop();
    trace = receiver.spans.filter((s) => s.traceId === feedTrace);
  }, 90_000);
  afterAll(() => receiver?.close());

  it('stops every service cleanly on SIGTERM, flushing its spans', () => {
    expect(Object.values(exits)).toEqual([0, 0, 0, 0].map((code) => ({ code, signal: null })));
    expect(feedTrace).toBeTruthy();
    expect(new Set(trace.map((s) => s.service))).toEqual(new Set(['gateway', ...SUBGRAPH_NAMES]));
    // Traces only: no OTLP metrics or logs (metrics are Prometheus text on /metrics).
    expect(receiver.otherExports).toEqual([]);
  });

  it('describes each service in its resource: name, version and deployment environment under both names', () => {
    for (const service of ['gateway', ...SUBGRAPH_NAMES]) {
      const resources = trace.filter((s) => s.service === service).map((s) => s.resource);
      expect(resources.length, service).toBeGreaterThan(0);
      for (const resource of resources)
        expect(resource, service).toMatchObject({
          'service.name': service,
          'service.version': otelPackage.version,
          'deployment.environment': 'staging',
          'deployment.environment.name': 'staging',
        });
    }
  });

  it('links gateway.fetch -> subgraph HTTP server -> graphql execution -> dataloader batch -> SQL in every subgraph', () => {
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const ancestors = (span: ReceivedSpan) => {
      const chain: ReceivedSpan[] = [];
      for (let parent = byId.get(span.parentSpanId ?? ''); parent; parent = byId.get(parent.parentSpanId ?? '')) chain.push(parent);
      return chain;
    };
    for (const subgraph of SUBGRAPH_NAMES) {
      const sql = trace.filter((s) => s.service === subgraph && s.attributes['db.system.name'] === 'sqlite');
      expect(sql.length, `${subgraph} SQL spans`).toBeGreaterThan(0);
      const batched = sql.find((s) => byId.get(s.parentSpanId ?? '')?.name.startsWith('dataloader.batch '));
      expect(batched, `${subgraph}: a SQL span under its DataLoader batch`).toBeDefined();
      const chain = ancestors(batched!);
      const names = chain.map((s) => `${s.service}:${s.name}`);
      const at = (predicate: (s: ReceivedSpan) => boolean) => chain.findIndex(predicate);
      const batch = at((s) => s.name.startsWith('dataloader.batch '));
      const execution = at((s) => s.service === subgraph && /^(query|mutation) /.test(s.name));
      const server = at((s) => s.service === subgraph && s.kind === SERVER);
      const fetch = at((s) => s.service === 'gateway' && s.name === 'gateway.fetch');
      expect(
        [batch, execution, server, fetch].every((i) => i >= 0),
        names.join(' <- '),
      ).toBe(true);
      expect(batch < execution && execution < server && server < fetch, names.join(' <- ')).toBe(true);
      expect(chain[fetch].attributes).toMatchObject({ service: subgraph, 'subgraph.name': subgraph });
      expect(chain[server].attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200 });
      // The subgraph's server span hangs under the gateway's client span for that request, itself under gateway.fetch.
      const client = chain[server + 1];
      expect(client, names.join(' <- ')).toMatchObject({ service: 'gateway', kind: CLIENT, parentSpanId: chain[fetch].spanId });
      expect(client.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'url.full': expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/),
      });
      const root = chain.at(-1)!;
      expect(root).toMatchObject({ service: 'gateway', kind: SERVER, name: 'POST /graphql', parentSpanId: undefined });
      expect(root.attributes).toMatchObject({ 'http.route': '/graphql', 'url.path': '/graphql', 'http.response.status_code': 200 });
    }
  });

  it('continues the trace a client sends in traceparent, and never traces probes', () => {
    expect(continued.body.errors).toBeUndefined();
    expect(traceIdOf(continued.headers.get('traceresponse'))).toBe(CALLER_TRACE);
    const spans = receiver.spans.filter((s) => s.traceId === CALLER_TRACE);
    expect(spans.find((s) => s.service === 'gateway' && s.kind === SERVER)?.parentSpanId).toBe(CALLER_SPAN);
    expect(spans.some((s) => s.service === 'users' && s.kind === SERVER)).toBe(true);
    expect(receiver.spans.filter((s) => s.attributes['url.path'] === '/health')).toEqual([]);
  });

  it('starts traces only at the gateway HTTP server: nothing outside a request (a schema built at start) is exported', () => {
    const roots = receiver.spans.filter((s) => !s.parentSpanId);
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.filter((s) => !(s.service === 'gateway' && s.kind === SERVER)).map((s) => `${s.service}:${s.name}`)).toEqual([]);
  });

  it('stays bounded: no span per resolved field', () => {
    // HomeFeed resolves thousands of fields; the trace holds tens of spans.
    expect(trace.length).toBeLessThan(150);
    expect(trace.filter((s) => s.name.startsWith('graphql.resolve')).length).toBe(0);
  });

  it('records SQL with the database conventions and placeholders, never literal values', () => {
    const lookup = receiver.spans.filter((s) => s.traceId === lookupTrace && s.attributes['db.query.text']);
    expect(lookup.length).toBeGreaterThan(0);
    for (const span of lookup) {
      expect(span.attributes).toMatchObject({ 'db.system.name': 'sqlite', 'db.operation.name': 'SELECT' });
      expect(span.attributes['db.collection.name']).toMatch(/^(posts|users)$/);
      expect(String(span.attributes['db.query.text'])).not.toContain('49999');
      expect(String(span.attributes['db.query.text'])).toContain('?');
    }
  });

  it('names the trace of a failing request on each of its errors', () => {
    const id = traceIdOf(refused.headers.get('traceresponse'));
    expect(id).toBeTruthy();
    expect(refused.body.errors!.map((e) => e.extensions!.traceId)).toEqual([id]);
  });

  it('puts the trace id on the log lines of the request', () => {
    const access = stack.gateway.logs.find((line) => line.msg === 'graphql operation' && line.trace_id === feedTrace);
    expect(access).toMatchObject({ operation: 'HomeFeed', type: 'query', outcome: 'ok', status: 200 });
    expect(new Set(access!.subgraphs)).toEqual(new Set(SUBGRAPH_NAMES));
    expect(access!.span_id).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('sampling and failing exporters', () => {
  it('exports nothing at sampling ratio 0, over the default protobuf protocol', async () => {
    const receiver = await startOtlpReceiver();
    const stack = await startProcessStack({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
    try {
      const response = await postJson(stack.url, { query: HOME_FEED });
      expect(response.body.errors).toBeUndefined();
      expect(traceIdOf(response.headers.get('traceresponse'))).toBeTruthy();
    } finally {
      await stack.stop();
      await receiver.close();
    }
    expect(receiver.protobufExports).toEqual([]);
    expect(receiver.spans).toEqual([]);
  }, 90_000);

  it('exports protobuf by default when sampled', async () => {
    const receiver = await startOtlpReceiver();
    const users = await spawnService('users', 'subgraphs/users/src/main.ts', {
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: '/nonexistent-unused',
      DATABASE_URL: ':memory:',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    });
    try {
      await postJson(users.ready.url, { query: '{ me { id } }' });
    } finally {
      expect(await users.stop()).toEqual({ code: 0, signal: null });
      await receiver.close();
    }
    expect(receiver.protobufExports.length).toBeGreaterThan(0);
  }, 60_000);

  it('starts no SDK without an endpoint: nothing sent to the default localhost:4318, yet the trace ids are answered and logged', async () => {
    // Where the SDK's own default exporter would send; when the port is taken, the other checks still stand.
    const requests: string[] = [];
    const defaultCollector = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.end();
    });
    const listening = await new Promise<boolean>((resolve) => {
      defaultCollector.once('error', () => resolve(false));
      defaultCollector.listen(4318, '127.0.0.1', () => resolve(true));
    });
    const stack = await startProcessStack({
      OTEL_EXPORTER_OTLP_ENDPOINT: '',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      OTEL_TRACES_SAMPLER: 'always_on',
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    let response;
    try {
      response = await postJson(stack.url, { query: HOME_FEED, variables: { first: 3 } }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await stack.stop();
      if (listening) await new Promise((resolve) => defaultCollector.close(resolve));
    }
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    // No span is made, but the caller's trace goes on: its id and sampled flag, a span id for the gateway's hop,
    // on the response and on the access log line.
    const [, traceId, spanId, flags] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/.exec(response.headers.get('traceresponse') ?? '') ?? [];
    expect({ traceId, flags }).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', flags: '01' });
    expect(spanId).not.toBe('b7ad6b7169203331');
    const access = stack.gateway.logs.find((line) => line.msg === 'graphql operation');
    expect(access).toMatchObject({ trace_id: traceId, span_id: spanId, trace_flags: '01' });
    if (listening) expect(requests).toEqual([]);
  }, 90_000);

  it('keeps every request successful when the exporter endpoint refuses connections', async () => {
    const stack = await startProcessStack({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_BSP_SCHEDULE_DELAY: '100', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' });
    let exits;
    try {
      for (let i = 0; i < 5; i++) {
        const response = await postJson(stack.url, { query: HOME_FEED, variables: { first: 3 } });
        expect(response.status).toBe(200);
        expect(response.body.errors).toBeUndefined();
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      // The exporter gives up after its retries (OTEL_EXPORTER_OTLP_TIMEOUT): wait for that, then keep
      // sending, so that later failed exports had their chance to be reported again.
      const complained = () => stack.gateway.stderr.some((line) => /telemetry/.test(line));
      for (let waited = 0; !complained() && waited < 15_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
      for (let i = 0; i < 5; i++) expect((await postJson(stack.url, { query: HOME_FEED, variables: { first: 3 } })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      exits = await stack.stop();
    }
    expect(Object.values(exits).map((e) => e.code)).toEqual([0, 0, 0, 0]);
    // Said once, not once per request or per export attempt.
    const complaints = stack.gateway.stderr.filter((line) => /telemetry/.test(line));
    expect(complaints.length).toBeGreaterThanOrEqual(1);
    expect(complaints.length).toBeLessThanOrEqual(3);
  }, 90_000);
});
