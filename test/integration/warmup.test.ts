import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scrape } from '../support/prometheus.ts';
import { HOME_FEED, startStack, type Stack } from '../support/stack.ts';

// @apollo/gateway reports planning as a `gateway.plan` span: an in-memory exporter shows when it plans.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TOP_TRACKS = 'query TopTracks { topTracks(first: 3) { title artist { handle } } }';

describe('query plan warm-up', () => {
  let stack: Stack;
  let dir: string;
  const warmed = async () => (await scrape(stack.gateway.adminUrl.replace(/\/admin$/, '/metrics'))).get('crossfade_query_plans_warmed_total') ?? 0;
  const plans = async (query: string) => {
    exporter.reset();
    const response = await stack.query(query);
    expect(response.body.errors).toBeUndefined();
    return exporter.getFinishedSpans().filter((s) => s.name === 'gateway.plan').length;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-warmup-'));
    fs.writeFileSync(path.join(dir, 'known.json'), JSON.stringify([HOME_FEED, TOP_TRACKS]));
    stack = await startStack('sqlite', { WARMUP_OPERATIONS_PATH: path.join(dir, 'known.json') });
  });
  afterAll(async () => {
    await stack?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('plans the known operations at start, under the keys the gateway looks up', async () => {
    expect(await warmed()).toBe(2);
    expect(await plans(HOME_FEED)).toBe(0);
    expect(await plans(TOP_TRACKS)).toBe(0);
    // An operation nobody listed is planned on its first request, and only then.
    expect(await plans('{ tracks(first: 2) { totalCount } }')).toBe(1);
    expect(await plans('{ tracks(first: 2) { totalCount } }')).toBe(0);
  });

  it('plans them again after a supergraph reload', async () => {
    fs.appendFileSync(stack.supergraphPath, '\n# reloaded\n');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await warmed()) < 4) await sleep(100);
    expect(await warmed()).toBe(4);
    expect(await plans(HOME_FEED)).toBe(0);
  });
});
