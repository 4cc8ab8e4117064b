/**
 * npm run bench:tracing [-- --rounds 3 --duration 10 --connections 50 --no-build --profile --traced-env K=V,... --gateway-node PATH]
 *
 * What tracing costs: the same stack three times, side by side on one machine — OpenTelemetry off
 * (OTEL_SDK_DISABLED=true everywhere), tracing every request (100% sampling), and tracing one operation
 * in ten (parentbased_traceidratio 0.1, the production setting docs/observability.md recommends), the
 * last two exporting OTLP (http/protobuf) to a local receiver — each loaded in turn with HomeFeed from
 * autocannon after a first warm-up of every stack, for several rounds, each starting with the next stack.
 * Writes the medians into docs/PERFORMANCE.md.
 *
 * --profile: off and 100% only, one round with every service under node --cpu-prof; prints each
 * service's CPU per gateway response by category (OpenTelemetry broken down by package), side by side,
 * and writes nothing. --traced-env adds variables to the traced stacks, --gateway-node runs the gateways
 * on another Node.js binary; NODE_OPTIONS, if set, reaches every service of all three stacks. With any of
 * these, nothing is written.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { composeSupergraph } from '../scripts/lib/compose.ts';
import { defaultConfigPath, repoRoot } from '../scripts/lib/paths.ts';
import * as procs from './lib/processes.ts';
import { summariseProfile, type CallFrame } from './lib/cpuprofile.ts';
import { cpuMs, mainThreadCpuMs } from './lib/procfs.ts';
import { sourceLookup } from './lib/sourcemap.ts';
import { machineDescription, writeSection } from './lib/report.ts';
import { HOME_FEED } from './lib/workloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Another Node.js binary for the gateways (both stacks), to compare Node versions; writes nothing. */
    'gateway-node': { type: 'string' },
    /** Extra environment for every service of the traced stack, e.g. "OTEL_BSP_MAX_EXPORT_BATCH_SIZE=1024,OTEL_TRACES_SAMPLER_ARG=0.1". */
    'traced-env': { type: 'string', default: '' },
  },
});
const profiling = args.profile;
const rounds = profiling ? 1 : Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);
if (![rounds, duration, connections].every((n) => Number.isInteger(n) && n > 0 && n <= 1000))
  throw new Error('--rounds, --duration and --connections take whole numbers from 1 to 1000');

const HOST = '127.0.0.1';
const SUBGRAPHS = ['users', 'posts', 'media'] as const;
const STACKS = { off: 5600, traced: 5700, sampled: 5800 } as const;
type StackName = keyof typeof STACKS;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-tracing-'));
const secrets = { JWT_SECRET: randomBytes(24).toString('hex'), GATEWAY_SECRET: randomBytes(24).toString('hex') };
const log = (message: string) => process.stdout.write(`[bench:tracing] ${message}\n`);
procs.installExitHandlers();
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

// A real OTLP/HTTP endpoint that accepts every export and counts it.
const received = { exports: 0, bytes: 0 };
const receiver = http.createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
  req.on('end', () => {
    received.exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, HOST, resolve));
const endpoint = `http://${HOST}:${(receiver.address() as AddressInfo).port}`;

if (!args['no-build']) {
  log('npm run build');
  if (spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: 'inherit' }).status !== 0) throw new Error('npm run build failed');
}

const tracedEnv = Object.fromEntries(
  args['traced-env']
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--traced-env: expected NAME=value, got "${pair}"`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
);

function telemetryEnv(stack: StackName, role: 'gateway' | 'subgraph'): Record<string, string> {
  if (stack === 'off') return { OTEL_SDK_DISABLED: 'true' };
  // The gateway decides (every operation, or one in ten); subgraphs record what the gateway sampled.
  const sampler: Record<string, string> =
    role === 'subgraph'
      ? { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }
      : stack === 'traced'
        ? { OTEL_TRACES_SAMPLER: 'parentbased_always_on' }
        : { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
  return { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...sampler, ...tracedEnv };
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_OPTIONS: process.env.NODE_OPTIONS,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    APOLLO_TELEMETRY_DISABLED: '1',
    ...secrets,
    ...extra,
  };
}

async function waitFor(url: string, init?: RequestInit): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url, init)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${url} did not answer within 120 s`);
}

const SERVICES = ['gateway', ...SUBGRAPHS] as const;
type Service = (typeof SERVICES)[number];
// Kept after the run, for a closer look (e.g. in Chrome DevTools).
const profilesRoot = profiling ? fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-tracing-profiles-')) : tmp;
const profileDir = (stack: StackName, service: Service) => path.join(profilesRoot, `${stack}-${service}`);
const profiler = (stack: StackName, service: Service) => (profiling ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(stack, service)}`] : []);

interface Stack {
  gateway: procs.Managed;
  /** Every service, with when it was spawned (performance.now()). */
  services: { service: Service; managed: procs.Managed; spawnedAt: number }[];
}

async function startStack(stack: StackName): Promise<Stack> {
  const base = STACKS[stack];
  const register = ['--import', path.join(repoRoot, 'dist/otel/register.js')];
  const ports = { users: base + 1, posts: base + 2, media: base + 3 };
  const services: Stack['services'] = SUBGRAPHS.map((name) => ({
    service: name,
    spawnedAt: performance.now(),
    managed: procs.start(`${stack}-${name}`, process.execPath, [...profiler(stack, name), ...register, path.join(repoRoot, `dist/subgraphs/${name}/src/main.js`)], {
      cwd: repoRoot,
      logFile: path.join(tmp, `${stack}-${name}.log`),
      env: env({ ...telemetryEnv(stack, 'subgraph'), OTEL_SERVICE_NAME: name, PORT: String(ports[name]), HOST, DATA_DIR: path.join(tmp, `${stack}-data`) }),
    }),
  }));
  await Promise.all(SUBGRAPHS.map((name) => waitFor(`http://${HOST}:${ports[name]}/ready`)));
  const supergraph = path.join(tmp, `${stack}-supergraph.graphql`);
  fs.writeFileSync(supergraph, composeSupergraph(defaultConfigPath, Object.fromEntries(SUBGRAPHS.map((s) => [s, `http://${HOST}:${ports[s]}/graphql`]))).supergraphSdl);
  const spawnedAt = performance.now();
  const gateway = procs.start(
    `${stack}-gateway`,
    args['gateway-node'] ?? process.execPath,
    [...procs.SHIPPED_GATEWAY_FLAGS, ...profiler(stack, 'gateway'), ...register, path.join(repoRoot, 'dist/gateway/main.js'), '--supergraph', supergraph],
    {
      cwd: repoRoot,
      logFile: path.join(tmp, `${stack}-gateway.log`),
      env: env({ ...telemetryEnv(stack, 'gateway'), OTEL_SERVICE_NAME: 'gateway', GATEWAY_PORT: String(base), ADMIN_PORT: String(base + 90), HOST }),
    },
  );
  await waitFor(`http://${HOST}:${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
  return { gateway, services: [{ service: 'gateway', managed: gateway, spawnedAt }, ...services] };
}

interface Run {
  stack: StackName;
  /** The measured window (performance.now()). */
  window: { from: number; to: number };
  responses: number;
  requestsPerSecond: number;
  p99: number;
  cpuMsPerRequest: number | undefined;
  /** The part of it on the gateway's main thread (JavaScript), without the export thread and V8's helper threads. */
  mainCpuMsPerRequest: number | undefined;
  /** CPU of the gateway and the three subgraphs together. */
  stackCpuMsPerRequest: number | undefined;
  failures: number;
}

const sum = (values: (number | undefined)[]) => (values.every((v) => v !== undefined) ? values.reduce((a, b) => a! + b!, 0) : undefined);

async function run(stack: StackName, { gateway, services }: Stack, seconds: number): Promise<Run> {
  const cpuBefore = cpuMs(gateway.pid);
  const mainBefore = mainThreadCpuMs(gateway.pid);
  const stackBefore = sum(services.map((s) => cpuMs(s.managed.pid)));
  const from = performance.now();
  const result = await autocannon({
    url: `http://${HOST}:${STACKS[stack]}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: HOME_FEED }),
    connections,
    duration: seconds,
    workers: 1,
  });
  const cpuAfter = cpuMs(gateway.pid);
  const mainAfter = mainThreadCpuMs(gateway.pid);
  const stackAfter = sum(services.map((s) => cpuMs(s.managed.pid)));
  const window = { from, to: performance.now() };
  const responses = result.requests.total;
  const perResponse = (before: number | undefined, after: number | undefined) =>
    before !== undefined && after !== undefined && responses ? (after - before) / responses : undefined;
  return {
    stack,
    window,
    responses,
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    cpuMsPerRequest: perResponse(cpuBefore, cpuAfter),
    mainCpuMsPerRequest: perResponse(mainBefore, mainAfter),
    stackCpuMsPerRequest: perResponse(stackBefore, stackAfter),
    failures: result.errors + result.non2xx,
  };
}

/** Where each service's CPU went, per request, with tracing off and on (--profile). */
function profileReport(stacks: Record<StackName, Stack>, runs: Run[]): string[] {
  const lookups = new Map<string, (line: number, column: number) => string | undefined>();
  const sourceOf = (frame: CallFrame) => {
    const file = frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url;
    if (!file.startsWith(path.join(repoRoot, 'dist'))) return undefined;
    if (!lookups.has(file)) lookups.set(file, sourceLookup(file));
    return lookups.get(file)!(frame.lineNumber, frame.columnNumber) ?? file;
  };
  const otelPackage = (where: string) => /node_modules\/(@opentelemetry\/[^/]+|protobufjs|@protobufjs\/[^/]+)/.exec(where)?.[1];
  const ownCode = (frame: CallFrame) => {
    const where = sourceOf(frame) ?? frame.url;
    const pkg = otelPackage(where);
    if (pkg) return `OpenTelemetry: ${pkg}`;
    if (/(^|\/)otel\/src\//.test(where)) return 'Crossfade otel code';
    if (/(^|\/)gateway\/src\//.test(where)) return 'Crossfade gateway code';
    if (/(^|\/)subgraphs\/kit\//.test(where)) return 'Crossfade kit code';
    if (/(^|\/)subgraphs\/(users|posts|media)\//.test(where)) return 'Crossfade subgraph code';
    return undefined;
  };
  const summarise = (stack: StackName, service: Service) => {
    const run = runs.find((r) => r.stack === stack)!;
    const { spawnedAt } = stacks[stack].services.find((s) => s.service === service)!;
    const dir = profileDir(stack, service);
    const file = fs.readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written for ${service} (${stack})`);
    const summary = summariseProfile(path.join(dir, file), {
      fromMs: run.window.from - spawnedAt,
      toMs: run.window.to - spawnedAt,
      ownCode,
      locate: (frame) => sourceOf(frame)?.replace(/^(\.\.\/)+/, ''),
      top: 20,
    });
    const perRequest = (category: string) => (summary.categories.find((c) => c.category === category)?.ms ?? 0) / run.responses;
    return { summary, perRequest, total: summary.busyMs / run.responses };
  };
  return SERVICES.flatMap((service) => {
    const off = summarise('off', service);
    const traced = summarise('traced', service);
    const categories = [...new Set([...off.summary.categories, ...traced.summary.categories].map((c) => c.category))]
      .map((category) => ({ category, off: off.perRequest(category), traced: traced.perRequest(category) }))
      .sort((a, b) => b.traced - b.off - (a.traced - a.off));
    const us = (ms: number) => (ms * 1000).toFixed(0);
    return [
      `**${service}** — CPU under the profiler per gateway response: tracing off ${us(off.total)} µs, traced ${us(traced.total)} µs.`,
      '',
      '| self time by category (µs per gateway response) | off | traced | traced − off |',
      '|---|---:|---:|---:|',
      ...categories.slice(0, 20).map((c) => `| ${c.category} | ${us(c.off)} | ${us(c.traced)} | ${us(c.traced - c.off)} |`),
      '',
      '| traced: top functions by self time | category | where | share |',
      '|---|---|---|---:|',
      ...traced.summary.functions.map((f) => `| \`${f.name}\` | ${f.category} | ${f.location} | ${(f.share * 100).toFixed(1)}% |`),
      '',
    ];
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  const names: StackName[] = profiling ? ['off', 'traced'] : ['off', 'traced', 'sampled'];
  log(`starting ${names.map((name) => `${name} on :${STACKS[name]}`).join(', ')} (OTLP receiver ${endpoint})`);
  const gateways = {} as Record<StackName, Stack>;
  for (const name of names) gateways[name] = await startStack(name);
  // Every code path compiled and every cache filled before anything is measured.
  for (const name of names) await run(name, gateways[name], 10);
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Each round starts one stack further on, so none is always measured right after the same other one (the
    // traced stack's last spans are still being exported while the next stack warms up).
    for (const stack of names.map((_, i) => names[(i + round - 1) % names.length])) {
      await run(stack, gateways[stack], 3);
      const result = await run(stack, gateways[stack], duration);
      log(
        `round ${round} ${stack.padEnd(7)} ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms, gateway CPU ${result.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req (main thread ${result.mainCpuMsPerRequest?.toFixed(2) ?? 'n/a'}), all four ${result.stackCpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req, ${result.failures} failed`,
      );
      runs.push(result);
    }
  }
  const figure = (stack: StackName) => {
    const mine = runs.filter((r) => r.stack === stack);
    return {
      rps: median(mine.map((r) => r.requestsPerSecond)),
      p99: median(mine.map((r) => r.p99)),
      cpu: median(mine.map((r) => r.cpuMsPerRequest ?? NaN)),
      mainCpu: median(mine.map((r) => r.mainCpuMsPerRequest ?? NaN)),
      stackCpu: median(mine.map((r) => r.stackCpuMsPerRequest ?? NaN)),
      failures: mine.reduce((n, r) => n + r.failures, 0),
      perRound: mine.map((r) => r.requestsPerSecond.toFixed(0)).join(', '),
    };
  };
  if (profiling) {
    // SIGTERM: each gateway exits and V8 writes its profile.
    await Promise.all(Object.values(gateways).flatMap(({ services }) => services.map((s) => procs.stop(s.managed, 15_000))));
    console.log(`\n${profileReport(gateways, runs).join('\n')}\nProfiles kept in ${profilesRoot}.`);
  } else {
    const off = figure('off');
    const traced = figure('traced');
    const sampled = figure('sampled');
    const drop = 1 - traced.rps / off.rps;
    const sampledDrop = 1 - sampled.rps / off.rps;
    const change = (d: number) => (d >= 0 ? `${(100 * d).toFixed(1)}% lower` : `${(-100 * d).toFixed(1)}% higher`);
    // Against tracing off in the same round: steadier than the ratio of medians when the machine's speed drifts.
    const offRuns = runs.filter((r) => r.stack === 'off');
    const roundDrops = (stack: StackName) => runs.filter((r) => r.stack === stack).map((r, i) => 1 - r.requestsPerSecond / offRuns[i].requestsPerSecond);
    const tracedDrops = roundDrops('traced');
    const perRound = (drops: number[]) => `median ${change(median(drops))} (rounds from ${change(Math.min(...drops))} to ${change(Math.max(...drops))})`;
    // On a shared machine the two statistics can fall on either side of the goal in one run: it is met only if both are within it.
    const met = drop <= 0.1 && median(tracedDrops) <= 0.1;
    const row = (label: string, f: ReturnType<typeof figure>) =>
      `| ${label} | ${f.rps.toFixed(0)} | ${f.p99} | ${f.cpu.toFixed(2)} | ${f.mainCpu.toFixed(2)} | ${f.stackCpu.toFixed(2)} | ${f.failures} | ${f.perRound} |`;
    const lines = [
      `Command: \`npm run bench:tracing\` — HomeFeed, ${connections} connections; each stack warmed for 10 s, then ${rounds} rounds of the three stacks in turn (each round starting with the next one), each run 3 s warm-up + ${duration} s measured; medians.`,
      '',
      ...machineDescription(repoRoot),
      '',
      '| stack | req/s | p99 ms | gateway CPU ms/req | of which its main thread | all four services CPU ms/req | failures | req/s per round |',
      '|---|---:|---:|---:|---:|---:|---:|---|',
      row('tracing off (`OTEL_SDK_DISABLED=true`)', off),
      row('100% sampling, OTLP http/protobuf to a local receiver', traced),
      row('10% sampling (`parentbased_traceidratio`, 0.1), same exporter', sampled),
      '',
      "CPU per response from /proc: the gateway's counts all its threads, its main thread only the one running JavaScript (not the span export thread, nor V8's garbage-collection and compiler threads).",
      '',
      `Throughput with full tracing: ${(100 * (traced.rps / off.rps)).toFixed(0)}% of tracing off (${change(drop)}; goal: at most 10% lower, by this ratio and by the median of the per-round ratios below — ${met ? 'met' : 'NOT met'}). With 10% sampling: ${(100 * (sampled.rps / off.rps)).toFixed(0)}% (${change(sampledDrop)}). The receiver took ${received.exports} exports (${(received.bytes / 1e6).toFixed(1)} MB).`,
      '',
      `Each round against tracing off in the same round — full tracing: ${perRound(tracedDrops)}; 10% sampling: ${perRound(roundDrops('sampled'))}.`,
    ];
    console.log(`\n${lines.join('\n')}\n`);
    // Only the configuration as shipped is written down.
    if (!args['no-write'] && !args['traced-env'] && !args['gateway-node'] && !process.env.NODE_OPTIONS)
      writeSection(path.join(repoRoot, 'docs/PERFORMANCE.md'), 'tracing', lines.join('\n'));
  }
} finally {
  await procs.stopAll();
  receiver.close();
}
