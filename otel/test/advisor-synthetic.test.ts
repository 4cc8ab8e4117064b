/**
 * The advisor against synthetic load whose truth is known: Poisson arrivals of a HomeFeed-like plan (users,
 * then posts and media in parallel) with known service times, fed to the advisor in-process on a virtual
 * clock, and the same load written as an OTLP/JSON file and fed to `npm run advise` as a child process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdvise } from '../src/advisor/cli.ts';
import { ScalingAdvisor, type ScalingSnapshot, type SubgraphScaling } from '../src/advisor/index.ts';
import { formatFigure } from '../src/advisor/reason.ts';
import { feed, homeFeedOperations, planMeanMs, prng, runAdviseCli, sampleQuantile, toOtlpLines, type SyntheticOperation } from './fixtures/synthetic.ts';

/** 2026-01-01T00:00:00Z: trace files carry Unix times. */
const EPOCH = Date.UTC(2026, 0, 1);
const RATE = 500;
const DURATION_MS = 50_000; // shorter than the 60 s window: every operation counts
const ERROR_EVERY = 50; // every 50th posts fetch fails
const MEDIA_CPU_SECONDS = 0.0055; // S for media: λ·S/ρ* = 500 × 0.0055 / 0.6 = 4.58, above its concurrency need of 1.75

const ops = homeFeedOperations(42, RATE, DURATION_MS, { fromMs: EPOCH, errorEvery: ERROR_EVERY });
const firstStart = ops[0].start;
const lastEnd = Math.max(...ops.map((op) => op.end));
const spanSeconds = (lastEnd - firstStart) / 1000;

let dir: string;
let snapshot: ScalingSnapshot;
const bySubgraph = (s: ScalingSnapshot, name: string) => s.subgraphs.find((sub) => sub.subgraph === name) as SubgraphScaling;
const relative = (actual: number, expected: number) => Math.abs(actual - expected) / expected;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-advisor-'));
  fs.writeFileSync(path.join(dir, 'traces.jsonl'), toOtlpLines(ops, { seed: 7 }));
  // A 50% sample of the traces, as a head sampler at ratio 0.5 would export them.
  const coin = prng(99);
  fs.writeFileSync(
    path.join(dir, 'sampled.jsonl'),
    toOtlpLines(
      ops.filter(() => coin() < 0.5),
      { seed: 8 },
    ),
  );

  const clock = { now: firstStart };
  const advisor = new ScalingAdvisor({ clock: () => clock.now, startedAt: firstStart, perSubgraph: { media: { cpuSecondsPerRequest: MEDIA_CPU_SECONDS } } });
  feed(advisor, clock, ops);
  snapshot = advisor.snapshot();
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The critical path of this plan, computed directly: users, then whichever of posts and media ended last. */
function truthShares(operations: readonly SyntheticOperation[]) {
  let total = 0;
  const ms = { users: 0, posts: 0, media: 0 };
  for (const op of operations) {
    total += op.end - op.start;
    ms.users += op.users.end - op.users.start;
    if (op.posts.end >= op.media.end) ms.posts += op.posts.end - op.posts.start;
    else ms.media += op.media.end - op.media.start;
  }
  return { users: ms.users / total, posts: ms.posts / total, media: ms.media / total };
}

describe('advisor on synthetic Poisson load', () => {
  it('measures the arrival rate within 2% of the generating rate, and counts exactly', () => {
    for (const name of ['users', 'posts', 'media']) {
      const sub = bySubgraph(snapshot, name);
      expect(relative(sub.arrivalRate, RATE)).toBeLessThan(0.02);
      expect(sub.arrivalRate).toBeCloseTo(ops.length / spanSeconds, 3);
    }
  });

  it('measures latency mean and quantiles within 2% of the truth', () => {
    for (const name of ['users', 'posts', 'media'] as const) {
      const latencies = ops.map((op) => op[name].end - op[name].start);
      const { latency } = bySubgraph(snapshot, name);
      const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
      expect(latency.mean! * 1000).toBeCloseTo(mean, 3);
      expect(relative(latency.mean! * 1000, planMeanMs(name))).toBeLessThan(0.02);
      // The sketch's bound is 0.5% of the sample quantile; the test allows the 2%.
      expect(relative(latency.p50! * 1000, sampleQuantile(latencies, 0.5))).toBeLessThan(0.02);
      expect(relative(latency.p95! * 1000, sampleQuantile(latencies, 0.95))).toBeLessThan(0.02);
      expect(relative(latency.p99! * 1000, sampleQuantile(latencies, 0.99))).toBeLessThan(0.02);
    }
    // And against the distribution itself: a shifted exponential's p95 is fixed + mean·ln(20).
    expect(relative(bySubgraph(snapshot, 'posts').latency.p95! * 1000, 20 + 68 * Math.log(20))).toBeLessThan(0.02);
  });

  it('recommends exactly ceil(λ·W / C*), or ceil(λ·S / ρ*) where S is known and larger', () => {
    const posts = bySubgraph(snapshot, 'posts');
    const users = bySubgraph(snapshot, 'users');
    const media = bySubgraph(snapshot, 'media');
    // Truth: posts 500/s × 88 ms = 44 in flight → 4.4 → 5; users 500/s × 10 ms → 0.5 → 1; media by CPU 4.58 → 5 (by concurrency 1.75 → 2).
    expect(posts.desiredReplicas).toBe(Math.ceil((RATE * planMeanMs('posts')) / 1000 / 10));
    expect(posts.desiredReplicas).toBe(5);
    expect(posts.desiredReplicas).toBe(Math.ceil((posts.arrivalRate * posts.latency.mean!) / 10));
    expect(users.desiredReplicas).toBe(1);
    expect(Math.ceil((media.arrivalRate * media.latency.mean!) / 10)).toBe(2);
    expect(media.desiredReplicas).toBe(Math.ceil((RATE * MEDIA_CPU_SECONDS) / 0.6));
    expect(media.desiredReplicas).toBe(Math.ceil((media.arrivalRate * MEDIA_CPU_SECONDS) / 0.6));
    expect(posts.inflight).toBeCloseTo(posts.arrivalRate * posts.latency.mean!, 3);
  });

  it('computes critical-path shares exactly for users then (posts ‖ media)', () => {
    const truth = truthShares(ops);
    for (const name of ['users', 'posts', 'media'] as const) expect(bySubgraph(snapshot, name).criticalPathShare).toBeCloseTo(truth[name], 5);
    // The plan makes media sometimes, but rarely, the one waited for.
    expect(truth.media).toBeGreaterThan(0);
    expect(truth.posts).toBeGreaterThan(truth.users + truth.media);
  });

  it('names the hottest subgraph first and says why, in the one reason format', () => {
    const truth = truthShares(ops);
    expect(truth.media).toBeGreaterThan(truth.users);
    expect(snapshot.subgraphs.map((s) => s.subgraph)).toEqual(['posts', 'media', 'users']);
    const posts = bySubgraph(snapshot, 'posts');
    expect(posts.reason).toBe(
      `posts: 1 -> 5 replicas; ${Math.round(posts.criticalPathShare * 100)}% of critical path; p95 ${formatFigure(posts.latency.p95! * 1000)} ms; ` +
        `${formatFigure(posts.inflight)} in flight (target 10 per replica)`,
    );
    expect(bySubgraph(snapshot, 'media').reason).toMatch(
      /^media: 1 -> 5 replicas; \d+% of critical path; p95 \d+ ms; \d+(\.\d)? in flight \(target 10 per replica\); CPU 2\.\d cores \(target 60% per replica\)$/,
    );
  });

  it('counts failed fetches in the error rate', () => {
    const failures = ops.filter((op) => !op.posts.ok).length;
    expect(failures).toBe(Math.floor(ops.length / ERROR_EVERY));
    expect(bySubgraph(snapshot, 'posts').errorRate).toBeCloseTo(failures / ops.length, 6);
    expect(bySubgraph(snapshot, 'users').errorRate).toBe(0);
  });

  it('gives the same advice from the OTLP/JSON export through the CLI, and scales sampled counts back up', async () => {
    // The process once, as users run it; the sampled variants in-process, which is the same code and faster.
    const inProcess = async (args: string[]) => {
      let stdout = '';
      const code = await runAdvise(args, { stdout: (t) => (stdout += t), stderr: () => {}, defaultSubgraphs: () => [] });
      return { code, stdout };
    };
    const [full, sampled, sampledRaw] = await Promise.all([
      runAdviseCli(['--input', path.join(dir, 'traces.jsonl'), '--format', 'json', '--cpu-time', `media=${MEDIA_CPU_SECONDS}`]),
      inProcess(['--input', path.join(dir, 'sampled.jsonl'), '--format', 'json', '--sample-ratio', '0.5']),
      inProcess(['--input', path.join(dir, 'sampled.jsonl'), '--format', 'json']),
    ]);
    expect(full.stderr).toContain(`${ops.length} operations, ${ops.length * 3} subgraph fetches`);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.stdout)).toEqual(snapshot);

    expect(sampled.code).toBe(0);
    const scaled = JSON.parse(sampled.stdout) as ScalingSnapshot;
    const raw = JSON.parse(sampledRaw.stdout) as ScalingSnapshot;
    for (const name of ['users', 'posts', 'media']) {
      expect(bySubgraph(scaled, name).arrivalRate).toBeCloseTo(bySubgraph(raw, name).arrivalRate * 2, 2);
      expect(bySubgraph(scaled, name).inflight).toBeCloseTo(bySubgraph(raw, name).inflight * 2, 2);
      expect(bySubgraph(scaled, name).latency).toEqual(bySubgraph(raw, name).latency);
      expect(relative(bySubgraph(scaled, name).arrivalRate, RATE)).toBeLessThan(0.03);
    }
    expect(bySubgraph(scaled, 'posts').desiredReplicas).toBe(5);
    expect(bySubgraph(raw, 'posts').desiredReplicas).toBe(3); // 250/s × 88 ms / 10 = 2.2 → 3: unscaled, sampling would under-provision
  });
});
