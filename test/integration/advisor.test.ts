import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape } from '../support/prometheus.ts';
import { HOME_FEED, postJson, startStack, type Stack } from '../support/stack.ts';

interface Scaling {
  subgraph: string;
  desiredReplicas: number;
  currentReplicas: number;
  criticalPathShare: number;
  arrivalRate: number;
  inflight: number;
  latency: { mean: number | null; p95: number | null };
  reason: string;
}

describe('scaling advice from real load on the local stack, posts slowed', () => {
  let stack: Stack;
  let scaling: { generatedAt: string; subgraphs: Scaling[] };
  const base = () => stack.gateway.adminUrl.replace(/\/admin$/, '');

  beforeAll(async () => {
    // The whole stack shares this process: a long delay keeps posts the slow one whatever else runs on the machine.
    stack = await startStack('sqlite', { SCALING_TARGET_CONCURRENCY: '5' }, { posts: 400 });
    const until = Date.now() + 5000;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (Date.now() < until) {
          const response = await postJson(stack.gateway.url, { query: HOME_FEED, variables: { first: 5 } });
          expect(response.body.errors).toBeUndefined();
        }
      }),
    );
    scaling = await (await fetch(`${base()}/admin/scaling`)).json();
  }, 60_000);
  afterAll(() => stack?.close());

  it('names posts first, with the largest share of the critical path', () => {
    const [first, ...rest] = scaling.subgraphs;
    expect(first.subgraph).toBe('posts');
    for (const other of rest) expect(first.criticalPathShare).toBeGreaterThan(other.criticalPathShare);
    expect(first.criticalPathShare).toBeGreaterThan(0.5);
    expect(first.latency.p95).toBeGreaterThanOrEqual(0.15);
  });

  it('advises more replicas for posts than for users and media, and says why', () => {
    const bySubgraph = Object.fromEntries(scaling.subgraphs.map((s) => [s.subgraph, s]));
    expect(bySubgraph.posts.desiredReplicas).toBeGreaterThan(bySubgraph.users.desiredReplicas);
    expect(bySubgraph.posts.desiredReplicas).toBeGreaterThan(bySubgraph.media.desiredReplicas);
    // Little's law on the gateway's own timings: 16 clients mostly waiting on posts.
    expect(bySubgraph.posts.inflight).toBeGreaterThan(8);
    // At least the concurrency formula on the stable window; the 6 s panic window may only raise it under a surge.
    expect(bySubgraph.posts.desiredReplicas).toBeGreaterThanOrEqual(Math.ceil((bySubgraph.posts.arrivalRate * bySubgraph.posts.latency.mean!) / 5 - 0.01));
    expect(bySubgraph.posts.reason).toMatch(/^posts: 1 -> \d+ replicas; \d+% of critical path; p95 \d+ ms; [\d.]+ in flight \(target 5 per replica\)/);
  });

  it('publishes the same advice as gauges on /metrics and serves the page', async () => {
    const samples = await scrape(`${base()}/metrics`);
    for (const s of scaling.subgraphs) expect(samples.get(`subgraph_desired_replicas{subgraph="${s.subgraph}"}`)).toBe(s.desiredReplicas);
    const page = await fetch(`${base()}/admin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('posts');
  });
});
