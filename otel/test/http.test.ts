import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { traceIncoming, traceOutgoing } from '../src/http.ts';

const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';
const ROUTES = new Set(['/graphql']);

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const closeServer = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const spansNamed = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('traceIncoming: the HTTP server span of every service', () => {
  let server: http.Server;
  let url: string;
  /** What the handler saw as its active span, after an await. */
  const seen: string[] = [];

  beforeAll(async () => {
    ({ server, url } = await listen((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      void traceIncoming(req, res, path, ROUTES, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        seen.push(trace.getActiveSpan()?.spanContext().spanId ?? 'none');
        if (path === '/hang') return; // answered never: the client gives up
        const status = Number(new URL(req.url!, 'http://x').searchParams.get('status') ?? 200);
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('ok');
      });
    }));
  });
  afterAll(() => {
    server.closeAllConnections();
    return closeServer(server);
  });
  beforeEach(() => {
    exporter.reset();
    seen.length = 0;
  });

  it('continues the caller trace, names the span after its route and is active in the handler', async () => {
    const response = await fetch(`${url}/graphql?x=1`, { method: 'POST', body: '{}', headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`, 'user-agent': 'test-agent' } });
    expect(response.status).toBe(200);
    await until(() => spansNamed('POST /graphql').length > 0);
    const [span] = spansNamed('POST /graphql');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'url.path': '/graphql',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'user_agent.original': 'test-agent',
      'network.protocol.version': '1.1',
    });
    expect(span.attributes['url.query']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(seen).toEqual([span.spanContext().spanId]);
  });

  it('starts a new trace without a traceparent and keeps span names few for unknown paths', async () => {
    await fetch(`${url}/no-such-path?status=404`);
    await until(() => spansNamed('GET').length > 0);
    const [span] = spansNamed('GET');
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['http.route']).toBeUndefined();
    expect(span.attributes['url.path']).toBe('/no-such-path');
    // A 4xx is the client's fault: not an error of the server span.
    expect(span.attributes['http.response.status_code']).toBe(404);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks a 5xx answer as an error', async () => {
    await fetch(`${url}/graphql?status=503`, { method: 'POST', body: '{}' });
    await until(() => spansNamed('POST /graphql').length > 0);
    const [span] = spansNamed('POST /graphql');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('ends the span as an error when the client goes away before the answer', async () => {
    const aborted = new AbortController();
    const pending = fetch(`${url}/hang`, { signal: aborted.signal }).catch((error: Error) => error);
    await until(() => seen.length > 0);
    aborted.abort();
    await pending;
    await until(() => spansNamed('GET').length > 0);
    const [span] = spansNamed('GET');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('connection_closed');
  });

  it('does not trace probes or metric scrapes', async () => {
    for (const path of ['/health', '/ready', '/metrics']) expect((await fetch(`${url}${path}`)).status).toBe(200);
    expect(seen).toEqual(['none', 'none', 'none']);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('traceOutgoing: the gateway CLIENT span of each subgraph request', () => {
  let upstream: http.Server;
  let url: string;
  const received: (string | undefined)[] = [];

  beforeAll(async () => {
    ({ server: upstream, url } = await listen((req, res) => {
      received.push(req.headers.traceparent as string | undefined);
      res.writeHead(req.url === '/down' ? 503 : 200).end();
    }));
  });
  afterAll(() => closeServer(upstream));
  beforeEach(() => {
    exporter.reset();
    received.length = 0;
  });

  const send = (headers: Record<string, string>, path = '/graphql') =>
    fetch(`${url}${path}`, { method: 'POST', headers, body: '{}' }).then((response) => ({ status: response.status }));

  const underParent = <T>(fn: () => Promise<T>) => {
    const parent = trace.getTracer('test').startSpan('gateway.fetch');
    return { parent, result: context.with(trace.setSpan(context.active(), parent), fn) };
  };

  it('carries the trace to the server in a child of the active span, leaving the caller headers alone', async () => {
    const headers = { 'content-type': 'application/json' };
    const { parent, result } = underParent(() => traceOutgoing({ method: 'POST', url: new URL(`${url}/graphql?ignored=1`), headers }, send));
    expect((await result).status).toBe(200);
    parent.end();
    const [span] = spansNamed('POST');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(received).toEqual([`00-${parent.spanContext().traceId}-${span.spanContext().spanId}-01`]);
    expect(headers).toEqual({ 'content-type': 'application/json' });
    const port = Number(new URL(url).port);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `${url}/graphql`,
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks an error status and a failed connection as errors, and rethrows the failure', async () => {
    const down = underParent(() => traceOutgoing({ method: 'POST', url: new URL(`${url}/down`), headers: {} }, (h) => send(h, '/down')));
    expect((await down.result).status).toBe(503);
    const refused = underParent(() =>
      traceOutgoing({ method: 'POST', url: new URL('http://127.0.0.1:1/graphql'), headers: {} }, async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
      }),
    );
    await expect(refused.result).rejects.toThrow('ECONNREFUSED');
    const [answered, failed] = spansNamed('POST');
    expect(answered.status.code).toBe(SpanStatusCode.ERROR);
    expect(answered.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(failed.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('propagates an unsampled decision without recording anything', async () => {
    const unsampled = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: CALLER_SPAN, traceFlags: 0 });
    const result = await context.with(trace.setSpan(context.active(), unsampled), () => traceOutgoing({ method: 'POST', url: new URL(`${url}/graphql`), headers: {} }, send));
    expect(result.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
