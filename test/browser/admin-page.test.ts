/**
 * The scaling advisor's page for people (`GET /admin`), opened in a real browser: headless Debian
 * Chromium (/usr/bin/chromium, apt package `chromium`) driven by playwright-core. The stack runs
 * in-process with posts slowed; a short load gives the advisor figures; the page must show one card per
 * subgraph with the numbers `/admin/scaling` serves, the hot subgraph first, and its charts.
 *
 * The figures in a reason (λ·W over a window that still grows, p95, shares) move by the millisecond, so
 * two fetches of /admin/scaling a moment apart rarely agree on every digit. The exact comparison is
 * therefore made against the /admin/scaling response the page itself fetched on its last refresh (read
 * off the browser's network), which the status line names by its generatedAt; the test's own fetches
 * right before and after must bracket it in time and agree on the advice itself (replicas and order).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { HOME_FEED, startStack, type Stack } from '../support/stack.ts';

const CHROMIUM = '/usr/bin/chromium';
// As root on a closed network: no sandbox, and nothing that phones home at start.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = fileURLToPath(new URL('../../test-results/admin-page.png', import.meta.url));
const SUBGRAPHS = ['users', 'posts', 'media'];

interface SubgraphScaling {
  subgraph: string;
  currentReplicas: number;
  desiredReplicas: number;
  reason: string;
  criticalPathShare: number;
}
interface ScalingSnapshot {
  generatedAt: string;
  subgraphs: SubgraphScaling[];
}
interface CardText {
  subgraph: string | null;
  fields: Record<string, string>;
  charts: { chart: string | null; polylines: number; points: string }[];
}

describe('the /admin page in headless Chromium', () => {
  let stack: Stack | undefined;
  let launching: Promise<BrowserContext> | undefined;
  let userDataDir: string | undefined;
  let page: Page;
  const scalingUrl = () => `${stack!.gateway.adminUrl}/scaling`;
  const fetchScaling = async (): Promise<ScalingSnapshot> => {
    const response = await fetch(scalingUrl());
    expect(response.status).toBe(200);
    return (await response.json()) as ScalingSnapshot;
  };

  beforeAll(async () => {
    // Without the browser, the test itself fails (below) with what to install; nothing is started.
    if (!fs.existsSync(CHROMIUM)) return;
    stack = await startStack('sqlite', { SCALING_TARGET_CONCURRENCY: '1' }, { posts: 300 });
    const s = stack;
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-chromium-'));
    // The browser starts (on a new, empty profile) while the load runs: 8 clients for about 3 s.
    launching = chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 900 } });
    const until = Date.now() + 3000;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < until) {
          const response = await s.query(HOME_FEED, { first: 5 });
          expect(response.status).toBe(200);
          expect(response.body.errors).toBeUndefined();
        }
      }),
    );
    const context = await launching;
    page = context.pages()[0] ?? (await context.newPage());
  }, 45_000);

  afterAll(async () => {
    // Also when the load failed before the launch was awaited: no browser outlives the test.
    await launching?.then(
      (context) => context.close(),
      () => undefined,
    );
    await stack?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('shows a card per subgraph with the advice /admin/scaling serves, the hot subgraph first, and its charts', async () => {
    expect(
      fs.existsSync(CHROMIUM),
      `${CHROMIUM} is missing: this browser test needs Debian's chromium package ` +
        `(as root: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; .ci/run installs it). ` +
        `'npx playwright install' does not work on this machine.`,
    ).toBe(true);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    const landed = await page.goto(stack!.gateway.adminUrl);
    expect(landed?.status()).toBe(200);
    await page
      .locator('#cards article.card[data-subgraph]')
      .nth(SUBGRAPHS.length - 1)
      .waitFor();

    // The page refreshes itself every few seconds: take the advice from its next refresh, as the browser got
    // it. Waiting for a request issued after the test's own fetch keeps that fetch strictly before it.
    const before = await fetchScaling();
    const request = await page.waitForRequest((r) => new URL(r.url()).pathname === '/admin/scaling' && r.method() === 'GET', { timeout: 10_000 });
    const refresh = await request.response();
    expect(refresh?.status()).toBe(200);
    const shown = (await refresh!.json()) as ScalingSnapshot;
    // The status line names the snapshot the cards were last drawn from: wait until it names this one.
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 5000 }).toContain(`advice at ${shown.generatedAt}`);

    // Status and cards in one read, so that both are of the same rendering.
    const { status, cards } = await page.evaluate(() => ({
      status: document.getElementById('status')?.textContent ?? '',
      cards: [...document.querySelectorAll('#cards article.card')].map((node): CardText => ({
        subgraph: node.getAttribute('data-subgraph'),
        fields: Object.fromEntries([...node.querySelectorAll('[data-field]')].map((f) => [f.getAttribute('data-field') ?? '', f.textContent ?? ''])),
        charts: [...node.querySelectorAll('svg[data-chart]')].map((svg) => ({
          chart: svg.getAttribute('data-chart'),
          polylines: svg.querySelectorAll('polyline').length,
          points: svg.querySelector('polyline')?.getAttribute('points') ?? '',
        })),
      })),
    }));
    const after = await fetchScaling();

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    expect(status).toContain(`advice at ${shown.generatedAt}`);
    // One card per subgraph, in the snapshot's order: the slowed posts is the hot one, first.
    expect(cards.map((c) => c.subgraph).sort()).toEqual([...SUBGRAPHS].sort());
    expect(cards.map((c) => c.subgraph)).toEqual(shown.subgraphs.map((s) => s.subgraph));
    expect(cards[0].subgraph).toBe('posts');
    expect(after.subgraphs[0].subgraph).toBe('posts');

    // Each card shows exactly the advice of the /admin/scaling response it was drawn from (page.ts's cardFields rules).
    for (const card of cards) {
      const sub = shown.subgraphs.find((s) => s.subgraph === card.subgraph)!;
      expect(card.fields.subgraph).toBe(sub.subgraph);
      expect(card.fields.replicas).toBe(`${sub.currentReplicas} \u2192 ${sub.desiredReplicas}`);
      expect(card.fields.reason).toBe(sub.reason);
      expect(card.fields.reason.startsWith(`${sub.subgraph}: ${sub.currentReplicas} -> ${sub.desiredReplicas} replicas; `)).toBe(true);
      expect(card.fields.criticalPathShare).toBe(`${Math.round(sub.criticalPathShare * 100)}%`);
      expect(card.fields.arrivalRate).toMatch(/^[\d.]+ \/s$/);
      expect(card.fields.latency).toMatch(/^[\d.]+ ms · [\d.]+ ms · [\d.]+ ms · [\d.]+ ms$/);
      // Both charts are there, drawn by the page's script as SVG.
      expect(card.charts.map((c) => c.chart)).toEqual(['desiredReplicas', 'arrivalRate']);
      for (const chart of card.charts) expect(chart.polylines).toBe(1);
    }
    // The load has been measured: posts' request-rate chart has at least one point.
    expect(cards[0].charts.find((c) => c.chart === 'arrivalRate')!.points).toMatch(/^[\d.]+,[\d.]+/);

    // ...and that response is /admin/scaling of that moment: the test's own fetches bracket it in time.
    expect(Date.parse(before.generatedAt)).toBeLessThanOrEqual(Date.parse(shown.generatedAt));
    expect(Date.parse(shown.generatedAt)).toBeLessThanOrEqual(Date.parse(after.generatedAt));
    // With a target of 1 in flight per replica, the slowed posts needs more than one: the card shows desired, not current.
    const posts = shown.subgraphs.find((s) => s.subgraph === 'posts')!;
    expect(posts.desiredReplicas).toBeGreaterThan(posts.currentReplicas);
    expect(cards[0].fields.replicas).toBe(`1 \u2192 ${posts.desiredReplicas}`);

    expect(errors).toEqual([]);
  });
});
