/**
 * The advisor as the gateway hosts it: windows on a virtual clock, the beginOperation/beginFetch helpers,
 * never-throw recording, bounded history, the Prometheus gauges and the /admin routes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import vm from 'node:vm';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Metric } from '../src/names.ts';
import { handleAdminRequest, registerAdvisorMetrics, ScalingAdvisor, type ScalingHistory, type ScalingSnapshot, type SubgraphScaling } from '../src/advisor/index.ts';
import { cardFields, PAGE_SCRIPT } from '../src/advisor/page.ts';

function virtualAdvisor(options: ConstructorParameters<typeof ScalingAdvisor>[0] = {}) {
  const clock = { now: 0 };
  const advisor = new ScalingAdvisor({ clock: () => clock.now, startedAt: 0, ...options });
  return { clock, advisor };
}

/** `count` fetches of `latency` ms spread evenly over [from, to) seconds. */
function steady(advisor: ScalingAdvisor, clock: { now: number }, subgraph: string, from: number, to: number, perSecond: number, latency: number) {
  const step = 1000 / perSecond;
  for (let t = from * 1000; t < to * 1000; t += step) {
    clock.now = t + latency;
    advisor.recordFetch({ subgraph, start: t, end: t + latency, ok: true });
  }
}

describe('windows', () => {
  it('counts only the last 60 s, and does not dilute rates with time before observation began', () => {
    const { clock, advisor } = virtualAdvisor();
    steady(advisor, clock, 'posts', 0, 60, 10, 50);
    steady(advisor, clock, 'posts', 60, 120, 40, 50);
    clock.now = 120_000;
    const posts = advisor.snapshot().subgraphs[0];
    expect(posts.arrivalRate).toBeCloseTo(40, 0);
    expect(posts.inflight).toBeCloseTo(2, 1); // 40/s × 50 ms

    const late = virtualAdvisor({ startedAt: 100_000 });
    steady(late.advisor, late.clock, 'users', 100, 110, 20, 10);
    late.clock.now = 110_000;
    expect(late.advisor.snapshot().subgraphs[0].arrivalRate).toBeCloseTo(20, 0);
  });

  it('reports no latency and minimum replicas for a subgraph without traffic', () => {
    const { advisor } = virtualAdvisor({ subgraphs: ['media'] });
    expect(advisor.snapshot()).toEqual({
      generatedAt: '1970-01-01T00:00:00.000Z',
      subgraphs: [
        {
          subgraph: 'media',
          currentReplicas: 1,
          desiredReplicas: 1,
          arrivalRate: 0,
          latency: { mean: null, p50: null, p95: null, p99: null },
          inflight: 0,
          errorRate: 0,
          criticalPathShare: 0,
          reason: 'media: 1 -> 1 replicas; 0% of critical path; p95 n/a; 0 in flight (target 10 per replica)',
        },
      ],
    });
  });

  it('sorts by critical-path share, then desired replicas, then name', () => {
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['a', 'b', 'c', 'd'], perSubgraph: { c: { currentReplicas: 3 } } });
    steady(advisor, clock, 'c', 0, 10, 100, 500); // 50 in flight: 5 replicas, no critical path
    clock.now = 10_000;
    advisor.recordOperation({ start: 9_000, end: 9_100, fetches: [{ subgraph: 'd', start: 9_010, end: 9_090 }] });
    expect(advisor.snapshot().subgraphs.map((s) => s.subgraph)).toEqual(['d', 'c', 'a', 'b']);
  });
});

describe('gateway helpers', () => {
  it('times an operation and its fetches, counting in-flight fetches as measured', () => {
    const { clock, advisor } = virtualAdvisor();
    const operation = advisor.beginOperation();
    clock.now = 2;
    const users = advisor.beginFetch('users', operation);
    clock.now = 12;
    users(true);
    const posts = advisor.beginFetch('posts', operation);
    const media = advisor.beginFetch('media', operation);
    clock.now = 1_500; // a tick while posts and media are in flight samples the count
    advisor.tick();
    clock.now = 1_530;
    media(false);
    clock.now = 1_562;
    posts(true);
    posts(true); // settling twice records once
    clock.now = 1_570;
    operation.end('HomeFeed');
    operation.end();

    expect(operation.fetches.map((f) => f.subgraph)).toEqual(['users', 'media', 'posts']);
    expect(advisor.stats()).toMatchObject({ fetches: 3, operations: 1, rejected: 0, failures: 0 });
    const snapshot = advisor.snapshot();
    expect(snapshot.subgraphs.map((s) => [s.subgraph, s.criticalPathShare])).toEqual([
      ['posts', 0.987261], // 1550 of 1570 ms
      ['users', 0.00636943], // 10 of 1570 ms
      ['media', 0],
    ]);
    expect(snapshot.subgraphs.find((s) => s.subgraph === 'media')!.errorRate).toBe(1);
    clock.now = 5_000;
    const posts5s = advisor.history().subgraphs.find((h) => h.subgraph === 'posts')!.samples;
    expect(posts5s.at(-1)!.measuredInflight).toBeCloseTo(1 / 2, 6); // sampled 1 at 1 s, 0 at 5 s
  });

  it('reads a measured in-flight gauge when given one', () => {
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['posts'], measuredInflight: (name) => (name === 'posts' ? 7 : undefined) });
    for (let s = 1; s <= 10; s++) {
      clock.now = s * 1000;
      advisor.tick();
    }
    expect(advisor.history().subgraphs[0].samples.at(-1)!.measuredInflight).toBe(7);
  });
});

describe('never throws', () => {
  it('refuses garbage without throwing, counts it, and keeps working', () => {
    const onError = vi.fn();
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['posts'], onError });
    const garbage: unknown[] = [
      { subgraph: 'posts', start: Number.NaN, end: 5, ok: true },
      { subgraph: 'posts', start: 10, end: 5, ok: true }, // negative duration
      { subgraph: 'posts', start: 0, end: Infinity, ok: true },
      { subgraph: 'posts', start: '0', end: '5', ok: true },
      { subgraph: '', start: 0, end: 5, ok: true },
      { subgraph: 42, start: 0, end: 5, ok: true },
      { subgraph: 'has space', start: 0, end: 5, ok: true },
      null,
      undefined,
      'posts',
    ];
    for (const record of garbage) expect(() => advisor.recordFetch(record as never)).not.toThrow();
    for (const record of garbage) expect(() => advisor.recordOperation(record as never)).not.toThrow();
    expect(() => advisor.recordOperation({ start: 0, end: 10, fetches: 'nope' as never })).not.toThrow();
    expect(() => advisor.recordOperation({ start: 0, end: 10, fetches: [null, { subgraph: 'posts', start: 5, end: 1 }] as never })).not.toThrow();
    expect(() => advisor.beginFetch(undefined as never)(true)).not.toThrow();
    expect(advisor.stats().rejected).toBe(garbage.length * 2 + 2);
    expect(advisor.stats().failures).toBe(0);
    expect(onError).not.toHaveBeenCalled();

    // An unknown but well-formed subgraph is a new subgraph (the supergraph may have grown), up to a cap.
    clock.now = 100;
    advisor.recordFetch({ subgraph: 'reviews', start: 50, end: 100, ok: true });
    expect(
      advisor
        .snapshot()
        .subgraphs.map((s) => s.subgraph)
        .sort(),
    ).toEqual(['posts', 'reviews']);
  });

  it('caps the number of subgraphs and drops records too old for the window', () => {
    const { clock, advisor } = virtualAdvisor({ maxSubgraphs: 3 });
    clock.now = 200_000;
    for (let i = 0; i < 10; i++) advisor.recordFetch({ subgraph: `s${i}`, start: 199_000, end: 199_500, ok: true });
    advisor.recordFetch({ subgraph: 's0', start: 0, end: 10, ok: true }); // 200 s ago
    expect(advisor.snapshot().subgraphs).toHaveLength(3);
    expect(advisor.stats()).toMatchObject({ fetches: 3, rejected: 8 });
    expect(advisor.stats().lastRejection).toMatch(/before the stable window/);
  });

  it('refuses a record from another clock without losing the ones that follow', () => {
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['posts'] });
    clock.now = 10_000;
    advisor.recordFetch({ subgraph: 'posts', start: 1e15, end: 1e15 + 5, ok: true }); // e.g. Unix µs instead of ms
    advisor.recordOperation({ start: 1e15, end: 1e15 + 5, fetches: [] });
    advisor.recordFetch({ subgraph: 'posts', start: 9_000, end: 9_500, ok: true });
    expect(advisor.stats()).toMatchObject({ fetches: 1, operations: 0, rejected: 2 });
    expect(advisor.snapshot().subgraphs[0].arrivalRate).toBeCloseTo(0.1, 6); // 1 in 10 s
  });

  it('survives a throwing clock and a throwing gauge, reporting the first failure once', () => {
    const onError = vi.fn();
    let broken = false;
    const advisor = new ScalingAdvisor({
      startedAt: 0,
      subgraphs: ['posts'],
      clock: () => {
        if (broken) throw new Error('clock gone');
        return 1_000;
      },
      measuredInflight: () => {
        throw new Error('gauge gone');
      },
      onError,
    });
    expect(() => advisor.tick()).not.toThrow();
    broken = true;
    expect(() => advisor.recordFetch({ subgraph: 'posts', start: 0, end: 1, ok: true })).not.toThrow();
    expect(() => advisor.beginFetch('posts', advisor.beginOperation())(true)).not.toThrow();
    expect(() => advisor.beginOperation().end()).not.toThrow();
    expect(advisor.now()).toBeNaN();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(advisor.stats().failures).toBeGreaterThan(1);
  });

  it('keeps history bounded to the last 10 minutes', () => {
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['posts'] });
    for (let s = 0; s <= 3600; s++) {
      clock.now = s * 1000;
      advisor.recordFetch({ subgraph: 'posts', start: clock.now - 20, end: clock.now, ok: true });
    }
    const history = advisor.history();
    expect(history).toMatchObject({ stepSeconds: 5, windowSeconds: 600 });
    const samples = history.subgraphs[0].samples;
    expect(samples).toHaveLength(120);
    expect(samples[0].t).toBe(3_005_000);
    expect(samples.at(-1)!.t).toBe(3_600_000);
    expect(samples.at(-1)).toMatchObject({ desiredReplicas: 1, currentReplicas: 1, arrivalRate: expect.closeTo(1, 1), p95: expect.closeTo(0.02, 3) });
  });
});

describe('outputs', () => {
  const load = () => {
    const { clock, advisor } = virtualAdvisor({ subgraphs: ['users', 'posts', 'media'], perSubgraph: { posts: { currentReplicas: 2 } } });
    steady(advisor, clock, 'users', 0, 60, 200, 5);
    steady(advisor, clock, 'posts', 0, 60, 200, 240); // 48 in flight: 5 replicas
    clock.now = 60_240;
    advisor.recordOperation({
      start: 59_000,
      end: 59_300,
      fetches: [
        { subgraph: 'users', start: 59_000, end: 59_010 },
        { subgraph: 'posts', start: 59_010, end: 59_250 },
      ],
    });
    return { clock, advisor };
  };

  it('renders the gauges from one snapshot per scrape, with the names of names.ts', async () => {
    const { advisor } = load();
    const registry = new Registry();
    registerAdvisorMetrics(advisor, registry);
    const spy = vi.spyOn(advisor, 'snapshot');
    const text = await registry.metrics();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(text).toContain(`# TYPE ${Metric.DESIRED_REPLICAS} gauge`);
    expect(text).toContain(`${Metric.DESIRED_REPLICAS}{subgraph="posts"} 5`);
    expect(text).toContain(`${Metric.DESIRED_REPLICAS}{subgraph="media"} 1`);
    expect(text).toMatch(new RegExp(`${Metric.ARRIVAL_RATE}\\{subgraph="posts"\\} (19|20)\\d(\\.\\d+)?\n`));
    expect(text).toMatch(new RegExp(`${Metric.INFLIGHT}\\{subgraph="posts"\\} 4\\d`));
    expect(text).toMatch(new RegExp(`${Metric.LATENCY}\\{subgraph="posts",quantile="0.95"\\} 0\\.2[34]\\d*`));
    expect(text).not.toContain(`${Metric.LATENCY}{subgraph="media"`); // no traffic, no latency
    expect(text).toContain(`${Metric.CRITICAL_PATH_SHARE}{subgraph="posts"} 0.8`);
    await registry.metrics();
    expect(spy).toHaveBeenCalledTimes(2);

    spy.mockImplementation(() => {
      throw new Error('advisor broken');
    });
    await expect(registry.metrics()).resolves.toContain(`# TYPE ${Metric.DESIRED_REPLICAS} gauge`);
  });

  describe('admin routes', () => {
    let server: http.Server;
    let base: string;
    let advisor: ScalingAdvisor;

    beforeAll(async () => {
      ({ advisor } = load());
      server = http.createServer((req, res) => {
        if (!handleAdminRequest(advisor, req, res)) {
          res.writeHead(404);
          res.end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('serves /admin/scaling in the shape of ARCHITECTURE.md, and /admin/history', async () => {
      const scaling = (await (await fetch(`${base}/admin/scaling`)).json()) as ScalingSnapshot;
      expect(Object.keys(scaling)).toEqual(['generatedAt', 'subgraphs']);
      expect(scaling.subgraphs.map((s) => s.subgraph)).toEqual(['posts', 'users', 'media']);
      for (const sub of scaling.subgraphs) {
        expect(Object.keys(sub)).toEqual(['subgraph', 'currentReplicas', 'desiredReplicas', 'arrivalRate', 'latency', 'inflight', 'errorRate', 'criticalPathShare', 'reason']);
        expect(Object.keys(sub.latency)).toEqual(['mean', 'p50', 'p95', 'p99']);
      }
      expect(scaling.subgraphs[0]).toMatchObject({ currentReplicas: 2, desiredReplicas: 5, latency: { mean: 0.24 } });
      const response = await fetch(`${base}/admin/history`);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const history = (await response.json()) as ScalingHistory;
      expect(history.subgraphs.map((h) => h.subgraph)).toEqual(['media', 'posts', 'users']);
      expect(history.subgraphs[1].samples.length).toBeGreaterThan(3);
    });

    it('serves a self-contained page with one card per subgraph and the figures of /admin/scaling', async () => {
      const response = await fetch(`${base}/admin`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();
      const nonce = /script-src 'nonce-([^']+)'/.exec(response.headers.get('content-security-policy')!)![1];
      expect(html).toContain(`<script nonce="${nonce}">`);
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no CDN, no external asset
      const scaling = advisor.snapshot();
      const cards = html.split(/<article class="card(?: up| down)?" data-subgraph="/).slice(1, -1); // the last is the template's
      expect(html).toContain('<article class="card up" data-subgraph="posts">');
      expect(cards.map((c) => c.slice(0, c.indexOf('"')))).toEqual(['posts', 'users', 'media']);
      scaling.subgraphs.forEach((sub, i) => {
        for (const [field, text] of Object.entries(cardFields(sub))) {
          expect(cards[i]).toContain(`<span data-field="${field}">${text.replace(/&/g, '&#38;').replace(/</g, '&#60;').replace(/>/g, '&#62;')}</span>`);
        }
      });
      expect(cards[0]).toContain('<span data-field="replicas">2 → 5</span>');
      expect(cards[0]).toMatch(/<span data-field="latency">240 ms · 2[34]\d ms · 2[34]\d ms · 2[34]\d ms<\/span>/);
    });

    it('answers only its own paths and methods', async () => {
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/admin/nope`)).status).toBe(404);
      expect((await fetch(`${base}/admin/`)).status).toBe(200);
      const post = await fetch(`${base}/admin/scaling`, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  it('formats cards the same way in the page script as on the server', () => {
    const context = vm.createContext({});
    vm.runInContext(PAGE_SCRIPT, context);
    const sample = (overrides: Partial<SubgraphScaling>): SubgraphScaling => ({
      subgraph: 'posts',
      currentReplicas: 2,
      desiredReplicas: 5,
      arrivalRate: 212.345,
      latency: { mean: 0.0912, p50: 0.00345, p95: 0.2404, p99: 1.5 },
      inflight: 19.37,
      errorRate: 0.0167, // values where rounding and truncation differ
      criticalPathShare: 0.617,
      reason: 'posts: 2 -> 5 replicas; ...',
      ...overrides,
    });
    for (const sub of [sample({}), sample({ latency: { mean: null, p50: null, p95: null, p99: null }, inflight: 0, arrivalRate: 0.25 })]) {
      expect(vm.runInContext(`fieldsOf(${JSON.stringify(sub)})`, context)).toEqual(cardFields(sub));
    }
  });
});
