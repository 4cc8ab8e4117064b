import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../support/otlp-receiver.ts';
import { startProcessStack, type ProcessStack } from '../support/processes.ts';
import { HOME_FEED, postJson, type GraphQLResponse } from '../support/stack.ts';

const USERS_ONLY = '{ user(id: "1") { handle } }';
const USERS_AND_MEDIA = '{ user(id: "1") { handle } track(id: "1") { title } }';
const USERS_AND_POSTS = '{ user(id: "1") { handle } post(id: "1") { body } }';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readiness(stack: ProcessStack) {
  const body = await (await fetch(stack.url.replace(/\/graphql$/, '/ready'))).json();
  return Object.fromEntries(body.subgraphs.map((s: { name: string; circuit: string; health: string }) => [s.name, s]));
}

/** A bounded load: `workers` loops sending `query` until `until()` says stop or `maxMs` passes. */
async function load(url: string, query: string, workers: number, until: () => boolean, maxMs = 20_000): Promise<{ at: number; response: GraphQLResponse }[]> {
  const results: { at: number; response: GraphQLResponse }[] = [];
  const deadline = Date.now() + maxMs;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!until() && Date.now() < deadline) results.push({ at: Date.now(), response: await postJson(url, { query }) });
    }),
  );
  return results;
}

describe('failing subgraphs', () => {
  let stack: ProcessStack;
  beforeAll(async () => {
    stack = await startProcessStack({ SUBGRAPH_TIMEOUT_MS: '1000', CIRCUIT_CONSECUTIVE_FAILURES: '3', CIRCUIT_HALF_OPEN_AFTER_MS: '1000' });
  }, 90_000);
  afterAll(() => stack?.stop());

  it('keeps serving healthy subgraphs while one is killed, and uses it again within 5 s of its restart', async () => {
    let stop = false;
    const healthy = load(stack.url, USERS_ONLY, 3, () => stop);
    const mixed = load(stack.url, USERS_AND_MEDIA, 3, () => stop);
    await sleep(500);
    await stack.subgraphs.media.stop('SIGKILL');
    await sleep(1500);
    expect((await readiness(stack)).media).toMatchObject({ health: 'down', circuit: 'open' });
    await stack.restart('media');
    const restartedAt = Date.now();
    let recoveredAt = 0;
    while (!recoveredAt && Date.now() - restartedAt < 10_000) {
      const probe = await postJson(stack.url, { query: USERS_AND_MEDIA });
      if (!probe.body.errors) recoveredAt = Date.now();
      else await sleep(100);
    }
    stop = true;
    const [healthyResults, mixedResults] = await Promise.all([healthy, mixed]);

    expect(stack.gateway.child.exitCode).toBeNull();
    expect(healthyResults.length).toBeGreaterThan(20);
    for (const { response } of healthyResults) {
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ data: { user: { handle: 'alice' } } });
    }
    const failed = mixedResults.filter(({ response }) => response.body.errors);
    expect(failed.length).toBeGreaterThan(0);
    for (const { response } of failed) {
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ user: { handle: 'alice' }, track: null });
      expect(response.body.errors!.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'media' })]);
    }
    expect(recoveredAt, 'media used again after its restart').toBeGreaterThan(0);
    expect(recoveredAt - restartedAt).toBeLessThan(5000);
    expect((await readiness(stack)).media.circuit).toBe('closed');
  }, 60_000);

  it('answers GATEWAY_TIMEOUT within the timeout when a subgraph hangs, and recovers when it answers again', async () => {
    const posts = stack.subgraphs.posts.child;
    posts.kill('SIGSTOP');
    try {
      const started = Date.now();
      const response = await postJson(stack.url, { query: USERS_AND_POSTS });
      const elapsed = Date.now() - started;
      expect(response.body.data).toEqual({ user: { handle: 'alice' }, post: null });
      expect(response.body.errors![0].extensions).toMatchObject({ code: 'GATEWAY_TIMEOUT', serviceName: 'posts' });
      expect(elapsed).toBeGreaterThanOrEqual(950);
      expect(elapsed).toBeLessThan(1000 + 750);
    } finally {
      posts.kill('SIGCONT');
    }
    // A timed-out attempt is not retried: the circuit may open, and its half-open probe closes it again.
    const deadline = Date.now() + 5000;
    let last: GraphQLResponse | undefined;
    while (Date.now() < deadline) {
      last = await postJson(stack.url, { query: USERS_AND_POSTS });
      if (!last.body.errors) break;
      await sleep(100);
    }
    expect(last!.body.errors).toBeUndefined();
    expect((await readiness(stack)).posts.circuit).toBe('closed');
  }, 30_000);
});

describe('graceful shutdown', () => {
  it('finishes requests in flight on SIGTERM, exports their spans and exits 0', async () => {
    const receiver = await startOtlpReceiver();
    const stack = await startProcessStack({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000' });
    try {
      // Hold the posts subgraph so that the operations are surely in flight when the gateway is told to stop.
      stack.subgraphs.posts.child.kill('SIGSTOP');
      const inflight = Array.from({ length: 5 }, () => postJson(stack.url, { query: HOME_FEED, variables: { first: 3 } }));
      await sleep(300);
      stack.gateway.child.kill('SIGTERM');
      await sleep(300);
      stack.subgraphs.posts.child.kill('SIGCONT');
      const responses = await Promise.all(inflight);
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(response.body.errors).toBeUndefined();
      }
      expect(await stack.gateway.exited).toEqual({ code: 0, signal: null });
      const traceIds = responses.map((r) => /^00-([0-9a-f]{32})-/.exec(r.headers.get('traceresponse') ?? '')?.[1]);
      const exported = new Set(receiver.spans.filter((s) => s.service === 'gateway').map((s) => s.traceId));
      for (const id of traceIds) expect(exported.has(id!)).toBe(true);
      await expect(fetch(stack.url)).rejects.toThrow();
    } finally {
      await stack.stop();
      await receiver.close();
    }
  }, 90_000);
});
