import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../scripts/lib/compose.ts';
import { defaultConfigPath } from '../../scripts/lib/paths.ts';
import { scrape } from '../support/prometheus.ts';
import { HOME_FEED, postJson, startStack, startSubgraphCopy, type StartedCopy, type Stack } from '../support/stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('supergraph hot reload', () => {
  let stack: Stack;
  let spare: StartedCopy;
  const ready = async () => (await fetch(stack.gateway.url.replace(/\/graphql$/, '/ready'))).json();
  const reloads = async (outcome: string) =>
    (await scrape(stack.gateway.adminUrl.replace(/\/admin$/, '/metrics'))).get(`crossfade_supergraph_reloads_total{outcome="${outcome}"}`) ?? 0;

  beforeAll(async () => {
    stack = await startStack('sqlite');
    spare = await startSubgraphCopy('posts', 'sqlite');
  });
  afterAll(async () => {
    await stack?.close();
    await spare?.close();
  });

  it('swaps in a valid new supergraph under load without failing a request', async () => {
    const before = await ready();
    const postsBefore = spare.database.stats.statements;
    let stop = false;
    const results: { status: number; errors?: unknown }[] = [];
    const load = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) {
          const response = await postJson(stack.gateway.url, { query: HOME_FEED, variables: { first: 3 } });
          results.push({ status: response.status, errors: response.body.errors });
        }
      }),
    );
    await sleep(300);
    // The same graph, with posts served by another instance.
    const urls = Object.fromEntries(Object.values(stack.subgraphs).map((s) => [s.name, s.url]));
    fs.writeFileSync(stack.supergraphPath, composeSupergraph(defaultConfigPath, { ...urls, posts: spare.url }).supergraphSdl);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await ready()).supergraph.hash === before.supergraph.hash) await sleep(100);
    await sleep(300);
    stop = true;
    await load;

    const after = await ready();
    expect(after.supergraph.hash).not.toBe(before.supergraph.hash);
    expect(after.subgraphs.find((s: { name: string }) => s.name === 'posts').url).toBe(spare.url);
    expect(spare.database.stats.statements).toBeGreaterThan(postsBefore);
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => r.status !== 200 || r.errors)).toEqual([]);
    expect(await reloads('applied')).toBe(1);
  }, 30_000);

  it('rejects an unreadable or invalid file, keeps serving the old one, and says so', async () => {
    const hash = (await ready()).supergraph.hash;
    const good = fs.readFileSync(stack.supergraphPath, 'utf8');
    fs.writeFileSync(stack.supergraphPath, 'this is { not GraphQL');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await reloads('unreadable')) < 1) await sleep(100);
    expect(await reloads('unreadable')).toBe(1);
    // Parses, names its subgraphs, but is no valid supergraph.
    fs.writeFileSync(stack.supergraphPath, good.replace(/type Query[\s\S]*?\n}\n/, ''));
    while (Date.now() < deadline + 5000 && (await reloads('invalid')) < 1) await sleep(100);
    expect(await reloads('invalid')).toBe(1);
    expect((await ready()).supergraph.hash).toBe(hash);
    const response = await stack.query(HOME_FEED, { first: 2 });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.recentPosts.edges).toHaveLength(2);
  }, 30_000);
});
