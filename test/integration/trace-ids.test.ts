import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOME_FEED, postJson, startStack, type GraphQLResponse, type Stack } from '../support/stack.ts';

// This process starts no OpenTelemetry SDK (nothing loads otel/register): trace ids must exist without one.

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

function traceresponse(response: GraphQLResponse) {
  const match = TRACEPARENT.exec(response.headers.get('traceresponse') ?? '');
  expect(match, `traceresponse: ${response.headers.get('traceresponse')}`).not.toBeNull();
  const [, traceId, spanId, flags] = match!;
  expect(traceId).not.toMatch(/^0+$/);
  expect(spanId).not.toMatch(/^0+$/);
  return { traceId, spanId, flags };
}

describe('trace ids with no OpenTelemetry SDK running', () => {
  let stack: Stack;
  let subgraphPorts: Map<number, string>;
  /** Trace headers of every request a subgraph of this stack received, seen through Node's own HTTP server channel. */
  const received: { subgraph: string; traceparent: string | undefined; tracestate: string | undefined }[] = [];
  const onRequest = (message: unknown) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    const subgraph = subgraphPorts?.get(socket.localPort!);
    if (subgraph && request.url?.startsWith('/graphql'))
      received.push({ subgraph, traceparent: request.headers.traceparent as string | undefined, tracestate: request.headers.tracestate as string | undefined });
  };

  beforeAll(async () => {
    stack = await startStack('sqlite', { MAX_BATCH_OPERATIONS: '3' });
    subgraphPorts = new Map(Object.values(stack.subgraphs).map((s) => [s.port, s.name]));
    diagnostics.subscribe('http.server.request.start', onRequest);
  });
  afterAll(async () => {
    diagnostics.unsubscribe('http.server.request.start', onRequest);
    await stack?.close();
  });
  beforeEach(() => {
    received.length = 0;
  });

  it('answers with a new trace id per request and carries it to every subgraph called, not sampled', async () => {
    const first = await stack.query(HOME_FEED, { first: 3 });
    expect(first.status).toBe(200);
    expect(first.body.errors).toBeUndefined();
    const ids = traceresponse(first);
    expect(ids.flags).toBe('00');
    expect(new Set(received.map((r) => r.subgraph))).toEqual(new Set(['users', 'posts', 'media']));
    // The gateway's hop is the parent of each subgraph request.
    for (const { traceparent, tracestate } of received) {
      expect(traceparent).toBe(`00-${ids.traceId}-${ids.spanId}-00`);
      expect(tracestate).toBeUndefined();
    }

    const second = traceresponse(await stack.query(HOME_FEED, { first: 3 }));
    expect(second.traceId).not.toBe(ids.traceId);
    expect(second.spanId).not.toBe(ids.spanId);
  });

  it("continues a client's traceparent: its trace id, sampled flag and tracestate, a span id of the gateway's own", async () => {
    const response = await stack.query(
      HOME_FEED,
      { first: 3 },
      { headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' } },
    );
    expect(response.status).toBe(200);
    const ids = traceresponse(response);
    expect(ids).toMatchObject({ traceId: CALLER_TRACE, flags: '01' });
    expect(ids.spanId).not.toBe(CALLER_SPAN);
    expect(received.length).toBeGreaterThanOrEqual(3);
    for (const { traceparent, tracestate } of received) {
      expect(traceparent).toBe(`00-${CALLER_TRACE}-${ids.spanId}-01`);
      expect(tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    }
  });

  it('ignores a malformed traceparent and starts a trace of its own', async () => {
    const response = await stack.query(HOME_FEED, { first: 1 }, { headers: { traceparent: `00-${'0'.repeat(32)}-${CALLER_SPAN}-01` } });
    expect(response.status).toBe(200);
    const ids = traceresponse(response);
    expect(ids.flags).toBe('00');
    expect(ids.traceId).not.toBe('0'.repeat(32));
  });

  it('names the trace on every error, whichever layer answered', async () => {
    const failures: GraphQLResponse[] = [
      // Apollo Server's validation.
      await stack.query('{ recentPosts(first: 1) { edges { node { noSuchField } } } }'),
      // The gateway's own checks before Apollo Server.
      await stack.query(HOME_FEED, {}, { token: 'not-a-jwt' }),
      await postJson(stack.gateway.url, '{"query": "{ viewer {', {}),
      // A batch (Apollo Server answers 400 when one of its operations fails validation): every result's errors.
      await postJson(stack.gateway.url, [{ query: '{ nope }' }, { query: '{ recentPosts(first: 1) { totalCount } }' }, { query: '{ alsoNope }' }]),
    ];
    for (const failure of failures) {
      const { traceId } = traceresponse(failure);
      const results = (Array.isArray(failure.body) ? failure.body : [failure.body]) as GraphQLResponse['body'][];
      const errors = results.flatMap((result) => result.errors ?? []);
      expect(errors.length, JSON.stringify(failure.body)).toBeGreaterThan(0);
      for (const error of errors) expect(error.extensions?.traceId).toBe(traceId);
    }
    expect(failures.map((f) => f.status)).toEqual([400, 401, 400, 400]);
  });
});
