/**
 * npm run bench [-- options]
 *
 * Builds Crossfade, starts the three subgraphs (production mode, compiled JavaScript, a fresh
 * SQLite data directory, SUBGRAPHS_ACCEPT_ANY_CALLER=1) and three gateways on one supergraph
 * (Crossfade as shipped, stock @apollo/gateway, Hive Gateway), then loads each from autocannon in
 * a separate process, alternating the gateways for several rounds, and reports medians.
 *
 * Options:
 *   --quick            short runs (1 s warm-up, 4 s measured), one round; results are not written to docs
 *   --soak <seconds>   mixed load against Crossfade alone for that long; RSS at 30 s and at the end
 *   --profile          Crossfade under node --cpu-prof during HomeFeed, HomeFeed as viewers and 50 distinct; summary by package
 *   --rounds <n>       rounds of A B C (default 3)
 *   --duration <s>     measured seconds per run (default 10)
 *   --warmup <s>       warm-up seconds per run (default 3)
 *   --connections <n>  concurrent connections (default 50)
 *   --gateways a,b     a subset of crossfade,stock,hive
 *   --no-build         skip `npm run build` (use the existing dist/)
 *   --write / --no-write   write the results into docs/PERFORMANCE.md (default: yes, except --quick)
 *   --keep             keep the temporary directory (databases, logs, supergraph)
 *   --no-otel          do not load dist/otel/register.js into Crossfade and the subgraphs (loaded when present)
 *   --max-wait <s>     before each run, wait up to this long for other programs to leave the CPU (default 300)
 *   --node-flags "<f>" extra node flags for Crossfade's gateway only, e.g. "--max-semi-space-size=64"
 *   --workloads a,b    a subset of homefeed,viewers,distinct,user,writes
 *
 * Everything listens on 127.0.0.1 only; every child process runs in its own process group and is
 * stopped when the benchmark ends, fails or is interrupted.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';
import { signViewerToken } from '@crossfade/kit';
import { composeSupergraph } from '../scripts/lib/compose.ts';
import { defaultConfigPath, repoRoot } from '../scripts/lib/paths.ts';
import { summariseProfile, type CallFrame, type ProfileSummary } from './lib/cpuprofile.ts';
import type { ControlMessage, LoadMessage, LoadPlan, PhaseResult, RequestSpec } from './lib/plan.ts';
import { cpuMs, currentRss, peakRss, resetPeakRss, systemBusyMs } from './lib/procfs.ts';
import * as procs from './lib/processes.ts';
import { aggregate, failureDetails, goalsSummary, machineDescription, resultsTable, SECTION, TARGET_LABELS, writeSection, type RunFigures } from './lib/report.ts';
import { sourceLookup } from './lib/sourcemap.ts';
import { bearer, body, HOME_FEED, JSON_HEADERS, LIKE, OLD_POSTS, USER_LOOKUP, writeRequests, type Viewer } from './lib/workloads.ts';

// ---- options ----------------------------------------------------------------------------------

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    soak: { type: 'string' },
    profile: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    gateways: { type: 'string' },
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-otel': { type: 'boolean', default: false },
    'max-wait': { type: 'string' },
    'node-flags': { type: 'string' },
    workloads: { type: 'string' },
  },
  strict: true,
});

function positive(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`--${name} must be a number in (0, ${max}], got ${raw}`);
  return value;
}

const quick = args.quick;
const soakSeconds = args.soak === undefined ? undefined : positive('soak', args.soak, 300, 3600);
const rounds = Math.round(positive('rounds', args.rounds, quick ? 1 : 3, 20));
const durationSeconds = positive('duration', args.duration, quick ? 4 : 10, 600);
const warmupSeconds = positive('warmup', args.warmup, quick ? 1 : 3, 120);
const connections = Math.round(positive('connections', args.connections, 50, 1000));
const ALL_GATEWAYS = ['crossfade', 'stock', 'hive'] as const;
type GatewayName = (typeof ALL_GATEWAYS)[number];
const gatewayNames = (args.gateways?.split(',').map((s) => s.trim()) ?? [...ALL_GATEWAYS]) as GatewayName[];
for (const name of gatewayNames) if (!ALL_GATEWAYS.includes(name)) throw new Error(`--gateways: unknown gateway ${name} (known: ${ALL_GATEWAYS.join(', ')})`);
const maxWaitSeconds = positive('max-wait', args['max-wait'], 300, 3600);
/** Other programs' CPU (in cores) above which a run waits, then is flagged. */
const FOREIGN_LIMIT = 0.15;
const ALL_WORKLOADS = ['homefeed', 'viewers', 'distinct', 'user', 'writes'] as const;
const workloadKeys = args.workloads?.split(',').map((s) => s.trim()) ?? [...ALL_WORKLOADS];
for (const key of workloadKeys)
  if (!(ALL_WORKLOADS as readonly string[]).includes(key)) throw new Error(`--workloads: unknown workload ${key} (known: ${ALL_WORKLOADS.join(', ')})`);
/** HomeFeed with a different `first` on every connection: nothing to de-duplicate. */
const DISTINCT_FIRSTS = Array.from({ length: 50 }, (_, i) => 1 + i);
/** Crossfade's gateway as shipped, unless --node-flags says otherwise. */
const crossfadeNodeFlags = args['node-flags']?.split(/\s+/).filter(Boolean) ?? procs.SHIPPED_GATEWAY_FLAGS;
const shouldBuild = args.build && !args['no-build'];
const shouldWrite = args['no-write'] ? false : (args.write ?? !quick);

const PORTS = { users: 5401, posts: 5402, media: 5403, crossfade: 5410, crossfadeAdmin: 5490, stock: 5411, hive: 5412 };
const SUBGRAPHS = ['users', 'posts', 'media'] as const;
type SubgraphName = (typeof SUBGRAPHS)[number];
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 120_000;
const DOC = path.join(repoRoot, 'docs/PERFORMANCE.md');
const VIEWER_IDS = [1, 2, 3, 4, 5];
const LOOKUP_IDS = Array.from({ length: 10 }, (_, i) => 1 + i * 97);

const log = (message: string) => process.stdout.write(`[bench] ${message}\n`);

// ---- set-up: build, temp dir, processes -------------------------------------------------------

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-bench-'));
const secrets = { JWT_SECRET: randomBytes(24).toString('hex'), GATEWAY_SECRET: randomBytes(24).toString('hex') };
/**
 * The services run from a private copy of dist/ (a concurrent `npm run build` wipes dist/), with the
 * benchmark's own processes compiled beside it. It lives under node_modules/.cache so that the
 * bundles' bare imports still resolve from the repository's node_modules.
 */
const runDir = path.join(repoRoot, 'node_modules/.cache/crossfade-bench', path.basename(tmp));
const distDir = path.join(runDir, 'dist');
const registerFile = path.join(distDir, 'otel/register.js');
const benchDist = path.join(runDir, 'bench');

procs.installExitHandlers();
process.on('exit', () => {
  fs.rmSync(runDir, { recursive: true, force: true });
  if (!args.keep) fs.rmSync(tmp, { recursive: true, force: true });
});

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  // A clean environment: nothing from the caller's shell (DATABASE_URL, OTEL_*, ports) leaks in.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? 'C.UTF-8', TMPDIR: os.tmpdir() };
  return { ...env, NODE_ENV: 'production', APOLLO_TELEMETRY_DISABLED: '1', ...extra };
}

async function buildAll(): Promise<void> {
  if (shouldBuild) {
    log('npm run build');
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: 'inherit' });
    if (result.status !== 0) throw new Error('npm run build failed');
  }
  for (const entry of ['dist/gateway/main.js', ...SUBGRAPHS.map((s) => `dist/subgraphs/${s}/src/main.js`)]) {
    if (!fs.existsSync(path.join(repoRoot, entry))) throw new Error(`${entry} is missing: run without --no-build`);
  }
  fs.mkdirSync(runDir, { recursive: true });
  fs.cpSync(path.join(repoRoot, 'dist'), distDir, { recursive: true, filter: (source) => !source.startsWith(path.join(repoRoot, 'dist/bench')) });
  // The benchmark's own processes, compiled the same way (packages stay external, loaded from node_modules).
  await build({
    absWorkingDir: repoRoot,
    entryPoints: { load: 'bench/load.ts', stock: 'bench/gateways/stock.ts', hive: 'bench/gateways/hive.ts' },
    outdir: benchDist,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}

const withOtel = () => !args['no-otel'] && fs.existsSync(registerFile);
const otelImport = () => (withOtel() ? ['--import', registerFile] : []);

function startSubgraph(name: SubgraphName): procs.Managed {
  return procs.start(name, process.execPath, [...otelImport(), path.join(distDir, `subgraphs/${name}/src/main.js`)], {
    cwd: repoRoot,
    logFile: path.join(tmp, `${name}.log`),
    env: baseEnv({ ...secrets, PORT: String(PORTS[name]), HOST, DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'warn', SUBGRAPHS_ACCEPT_ANY_CALLER: '1' }),
  });
}

function startGateway(name: GatewayName, supergraphFile: string, nodeFlags: string[] = []): procs.Managed {
  const logFile = path.join(tmp, `${name}.log`);
  if (name === 'crossfade') {
    return procs.start(name, process.execPath, [...crossfadeNodeFlags, ...nodeFlags, ...otelImport(), path.join(distDir, 'gateway/main.js'), '--supergraph', supergraphFile], {
      cwd: repoRoot,
      logFile,
      env: baseEnv({ ...secrets, GATEWAY_PORT: String(PORTS.crossfade), ADMIN_PORT: String(PORTS.crossfadeAdmin), HOST }),
    });
  }
  return procs.start(name, process.execPath, [...nodeFlags, path.join(benchDist, `${name}.js`), supergraphFile, String(PORTS[name])], { cwd: repoRoot, logFile, env: baseEnv({}) });
}

const urlOf = (port: number, pathname = '/graphql') => `http://${HOST}:${port}${pathname}`;

interface Answer {
  status: number;
  text: string;
}

async function post(url: string, payload: string, headers: Record<string, string> = JSON_HEADERS): Promise<Answer> {
  const response = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(10_000) });
  return { status: response.status, text: await response.text() };
}

async function waitReady(managed: procs.Managed, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    if (managed.exit) throw new Error(`${procs.describeExit(managed)} while starting:\n${procs.logTail(managed)}`);
    if (await probe().catch(() => false)) return;
    await sleep(Math.min(100 * (attempt + 1), 500));
  }
  throw new Error(`${managed.name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${procs.logTail(managed)}`);
}

const readyProbe = (port: number) => async () => (await fetch(urlOf(port, '/ready'), { signal: AbortSignal.timeout(2_000) })).status === 200;
const graphqlProbe = (port: number) => async () => (await post(urlOf(port), body('{ __typename }'))).status === 200;

// ---- subgraph request counts -----------------------------------------------------------------

/** Sum of crossfade_http_requests_total for route /graphql, or undefined when /metrics is missing. */
async function subgraphRequestCount(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(urlOf(port, '/metrics'), { signal: AbortSignal.timeout(3_000) });
    if (response.status !== 200) return undefined;
    const text = await response.text();
    // The counter exists once it is declared (# TYPE), before any /graphql request was counted.
    let total: number | undefined = text.includes('# TYPE crossfade_http_requests_total ') ? 0 : undefined;
    for (const line of text.split('\n')) {
      if (!line.startsWith('crossfade_http_requests_total{')) continue;
      if (!line.includes('route="/graphql"')) continue;
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (Number.isFinite(value)) total = (total ?? 0) + value;
    }
    return total;
  } catch {
    return undefined;
  }
}

async function allSubgraphRequests(): Promise<number | undefined> {
  const counts = await Promise.all(SUBGRAPHS.map((s) => subgraphRequestCount(PORTS[s])));
  return counts.some((c) => c === undefined) ? undefined : counts.reduce((a, b) => a! + b!, 0);
}

// ---- one load run -----------------------------------------------------------------------------

interface Snapshot {
  at: number;
  /** Whole-machine busy CPU ms, and the part used by this benchmark's processes. */
  systemBusy: number | undefined;
  ours: number | undefined;
  targetCpu: number | undefined;
  subgraphCpu: number | undefined;
  loadCpu: number | undefined;
  subgraphRequests: number | undefined;
}

let subgraphProcs: Record<SubgraphName, procs.Managed>;

function checkAlive(targets: procs.Managed[]): void {
  for (const managed of [...Object.values(subgraphProcs), ...targets]) {
    if (managed.exit) throw new Error(`${procs.describeExit(managed)} during the benchmark:\n${procs.logTail(managed)}`);
  }
}

async function snapshot(target: procs.Managed, load: procs.Managed): Promise<Snapshot> {
  const subgraphCpus = SUBGRAPHS.map((s) => cpuMs(subgraphProcs[s].pid));
  return {
    at: performance.now(),
    systemBusy: systemBusyMs(),
    ours: ourCpuMs(),
    targetCpu: cpuMs(target.pid),
    subgraphCpu: subgraphCpus.some((c) => c === undefined) ? undefined : subgraphCpus.reduce((a, b) => a! + b!, 0),
    loadCpu: cpuMs(load.pid),
    subgraphRequests: await allSubgraphRequests(),
  };
}

/** CPU ms used so far by this process and every child of the benchmark. */
function ourCpuMs(): number | undefined {
  const usage = process.cpuUsage();
  let total = (usage.user + usage.system) / 1000;
  for (const pid of procs.runningPids()) total += cpuMs(pid) ?? 0;
  return total;
}

/** CPU (in cores) that programs other than the benchmark used between two readings. */
function foreignCores(before: { systemBusy?: number; ours?: number; at: number }, after: { systemBusy?: number; ours?: number; at: number }): number | undefined {
  if (before.systemBusy === undefined || after.systemBusy === undefined || before.ours === undefined || after.ours === undefined) return undefined;
  const foreign = after.systemBusy - before.systemBusy - (after.ours - before.ours);
  return Math.max(0, foreign / (after.at - before.at));
}

/** Waits (bounded) until other programs leave the CPU alone; returns the last reading. */
async function waitQuiet(): Promise<number | undefined> {
  const deadline = Date.now() + maxWaitSeconds * 1000;
  let told = false;
  for (;;) {
    const before = { systemBusy: systemBusyMs(), ours: ourCpuMs(), at: performance.now() };
    await sleep(1000);
    const foreign = foreignCores(before, { systemBusy: systemBusyMs(), ours: ourCpuMs(), at: performance.now() });
    if (foreign === undefined || foreign <= FOREIGN_LIMIT || Date.now() > deadline) {
      if (told || (foreign !== undefined && foreign > FOREIGN_LIMIT))
        log(
          `other programs use ${foreign?.toFixed(2)} cores${foreign !== undefined && foreign > FOREIGN_LIMIT ? ` — still busy after ${maxWaitSeconds} s, measuring anyway (flagged)` : ': going on'}`,
        );
      return foreign;
    }
    if (!told) log(`other programs use ${foreign.toFixed(2)} cores of ${os.cpus().length}: waiting up to ${maxWaitSeconds} s for a quiet machine`);
    told = true;
  }
}

function waitMessage(load: procs.Managed, type: LoadMessage['type'], timeoutMs: number): Promise<LoadMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`load generator sent no ${type} within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (message: LoadMessage) => {
      if (message.type === 'error') return finish(new Error(`load generator failed: ${message.message}`));
      if (message.type === type) finish(undefined, message);
    };
    const onExit = () => finish(new Error(`load generator exited before sending ${type}:\n${procs.logTail(load)}`));
    function finish(error?: Error, message?: LoadMessage) {
      clearTimeout(timer);
      load.child.off('message', onMessage);
      load.child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    load.child.on('message', onMessage);
    load.child.once('exit', onExit);
  });
}

interface RunOutcome {
  result: PhaseResult;
  warmup: PhaseResult | null;
  before: Snapshot;
  after: Snapshot;
  peakRssBytes: number | undefined;
  /** RSS samples (seconds since measuring began, bytes), for soak. */
  rssSamples: [number, number][];
}

let loadRuns = 0;
async function runLoad(target: procs.Managed, plan: LoadPlan, options: { sampleRssEverySeconds?: number } = {}): Promise<RunOutcome> {
  checkAlive([target]);
  await waitQuiet();
  const load = procs.start(`load-${++loadRuns}`, process.execPath, [path.join(benchDist, 'load.js')], {
    cwd: repoRoot,
    logFile: path.join(tmp, 'load.log'),
    env: baseEnv({}),
    ipc: true,
  });
  try {
    const send = (message: ControlMessage) => load.child.send(message);
    const warmed = waitMessage(load, 'warmed', (plan.warmupSeconds + 60) * 1000);
    send({ type: 'run', plan });
    const { warmup } = (await warmed) as Extract<LoadMessage, { type: 'warmed' }>;
    checkAlive([target]);
    resetPeakRss(target.pid);
    const before = await snapshot(target, load);
    const rssSamples: [number, number][] = [];
    let sampler: NodeJS.Timeout | undefined;
    if (options.sampleRssEverySeconds) {
      sampler = setInterval(() => {
        const rss = currentRss(target.pid);
        if (rss !== undefined) rssSamples.push([(performance.now() - before.at) / 1000, rss]);
      }, options.sampleRssEverySeconds * 1000);
    }
    const done = waitMessage(load, 'result', (plan.durationSeconds + 60) * 1000);
    send({ type: 'go' });
    const { result } = (await done.finally(() => clearInterval(sampler))) as Extract<LoadMessage, { type: 'result' }>;
    const after = await snapshot(target, load);
    const peakRssBytes = peakRss(target.pid);
    checkAlive([target]);
    return { result, warmup, before, after, peakRssBytes, rssSamples };
  } finally {
    await procs.stop(load, 5_000);
  }
}

function figures(workload: string, targetName: string, round: number, outcome: RunOutcome): RunFigures {
  const { result, before, after } = outcome;
  const n = result.responses || NaN;
  const per = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : (b - a) / n);
  return {
    workload,
    target: targetName,
    round,
    requestsPerSecond: result.requestsPerSecond,
    p50: result.latencyMs.p50,
    p99: result.latencyMs.p99,
    cpuMsPerRequest: per(before.targetCpu, after.targetCpu),
    peakRssBytes: outcome.peakRssBytes,
    subgraphRequestsPerRequest: per(before.subgraphRequests, after.subgraphRequests),
    subgraphCpuMsPerRequest: per(before.subgraphCpu, after.subgraphCpu),
    loadCpuMsPerRequest: per(before.loadCpu, after.loadCpu),
    foreignCores: foreignCores(before, after),
    responses: result.responses,
    failures: result.wrong,
    errors: result.errors + result.timeouts,
    samples: result.samples,
  };
}

// ---- references -------------------------------------------------------------------------------

interface Fixture {
  viewers: Viewer[];
  feedIds: string[];
  oldPostIds: string[];
  /** Reference answers, by workload key: `anon`, `viewer:<id>`, `user:<id>`. */
  references: Map<string, string>;
  /** Differences between gateways found before the load, for the report. */
  notes: string[];
}

function dataOf(answer: Answer, what: string): any {
  if (answer.status !== 200) throw new Error(`${what}: HTTP ${answer.status}: ${answer.text.slice(0, 300)}`);
  const parsed = JSON.parse(answer.text);
  if (parsed.errors) throw new Error(`${what}: ${JSON.stringify(parsed.errors).slice(0, 300)}`);
  return parsed.data;
}

/** The first difference between two JSON values, as a path and the two values. */
function firstDifference(a: unknown, b: unknown, at = '$'): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${at}: ${JSON.stringify(a)?.slice(0, 120)} vs ${JSON.stringify(b)?.slice(0, 120)}`;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const key of keys) {
    const diff = firstDifference((a as any)[key], (b as any)[key], Array.isArray(a) ? `${at}[${key}]` : `${at}.${key}`);
    if (diff) return diff;
  }
  return undefined;
}

function countDifferences(a: any, b: any): number {
  if (isDeepStrictEqual(a, b)) return 0;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return 1;
  let n = 0;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) n += countDifferences(a[key], b[key]);
  return n;
}

async function prepareFixture(others: { name: string; port: number }[]): Promise<Fixture> {
  const crossfade = urlOf(PORTS.crossfade);
  const notes: string[] = [];
  const references = new Map<string, string>();

  const viewers: Viewer[] = [];
  for (const id of VIEWER_IDS) {
    const user = dataOf(await post(crossfade, body(USER_LOOKUP, { id: String(id) })), `user ${id}`).user;
    if (!user) throw new Error(`seeded user ${id} is missing`);
    viewers.push({ id, handle: user.handle, token: await signViewerToken(String(id), secrets.JWT_SECRET, 24 * 3600) });
  }
  const feed = dataOf(await post(crossfade, body(OLD_POSTS)), 'recentPosts(first: 100)').recentPosts.edges.map((e: any) => e.node.id as string);
  if (feed.length < 100) throw new Error(`expected 100 recent posts, got ${feed.length}`);
  const feedIds = feed.slice(0, 20);
  const oldPostIds = feed.slice(60, 100);

  // Each viewer likes two feed posts of its own, so viewerHasLiked differs from viewer to viewer.
  const liked = new Map<number, string[]>();
  viewers.forEach((viewer, k) => liked.set(viewer.id, [feedIds[k], feedIds[k + 5]]));
  for (const viewer of viewers) {
    for (const id of liked.get(viewer.id)!) dataOf(await post(crossfade, body(LIKE, { id }), bearer(viewer.token)), `like ${id} as ${viewer.handle}`);
  }

  // Anonymous HomeFeed: Crossfade's answer is the reference; the others are compared with it.
  const anon = await post(crossfade, body(HOME_FEED));
  const anonData = dataOf(anon, 'HomeFeed through Crossfade');
  if (anonData.recentPosts.edges.length !== 20) throw new Error('HomeFeed: expected 20 posts');
  if (anonData.recentPosts.edges.some((e: any) => e.node.viewerHasLiked)) throw new Error('HomeFeed without a token: viewerHasLiked must be false');
  references.set('anon', anon.text);

  for (const viewer of viewers) {
    const answer = await post(crossfade, body(HOME_FEED), bearer(viewer.token));
    const data = dataOf(answer, `HomeFeed as ${viewer.handle}`);
    const likedNow = data.recentPosts.edges.filter((e: any) => e.node.viewerHasLiked).map((e: any) => e.node.id);
    for (const id of liked.get(viewer.id)!) if (!likedNow.includes(id)) throw new Error(`Crossfade: HomeFeed as ${viewer.handle} does not show post ${id} as liked`);
    references.set(`viewer:${viewer.id}`, answer.text);
  }
  const distinct = new Set(viewers.map((v) => references.get(`viewer:${v.id}`))).size;
  if (distinct !== viewers.length) throw new Error(`expected ${viewers.length} different HomeFeed answers for the viewers, got ${distinct}`);

  for (const first of DISTINCT_FIRSTS) {
    const answer = await post(crossfade, body(HOME_FEED, { first }));
    if (dataOf(answer, `HomeFeed(first: ${first})`).recentPosts.edges.length !== first) throw new Error(`HomeFeed(first: ${first}): wrong number of posts`);
    references.set(`first:${first}`, answer.text);
  }
  for (const id of LOOKUP_IDS) {
    const answer = await post(crossfade, body(USER_LOOKUP, { id: String(id) }));
    if (!dataOf(answer, `user ${id}`).user) throw new Error(`user ${id} is missing`);
    references.set(`user:${id}`, answer.text);
  }

  // The same questions to the other gateways and straight to the users subgraph.
  const compare = async (name: string, url: string, key: string, payload: string, headers: Record<string, string>) => {
    const answer = await post(url, payload, headers);
    const reference = references.get(key)!;
    if (answer.status === 200 && answer.text === reference) return 'identical';
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      notes.push(`${name}, ${key}: HTTP ${answer.status}, not JSON: ${answer.text.slice(0, 200)}`);
      return 'different';
    }
    if (answer.status === 200 && isDeepStrictEqual(parsed, JSON.parse(reference))) {
      notes.push(`${name}, ${key}: the same JSON value, serialised differently (bytes differ)`);
      return 'same value';
    }
    notes.push(
      `${name}, ${key}: HTTP ${answer.status}, ${countDifferences(parsed, JSON.parse(reference))} differing value(s); first: ${firstDifference(parsed, JSON.parse(reference))}`,
    );
    return 'different';
  };
  for (const other of others) {
    const url = urlOf(other.port);
    const verdicts: string[] = [];
    // Straight to the users subgraph, only the lookup makes sense.
    if (other.name !== TARGET_LABELS.direct) {
      verdicts.push(await compare(other.name, url, 'anon', body(HOME_FEED), JSON_HEADERS));
      for (const viewer of viewers) verdicts.push(await compare(other.name, url, `viewer:${viewer.id}`, body(HOME_FEED), bearer(viewer.token)));
      for (const first of DISTINCT_FIRSTS) verdicts.push(await compare(other.name, url, `first:${first}`, body(HOME_FEED, { first }), JSON_HEADERS));
    }
    for (const id of LOOKUP_IDS) verdicts.push(await compare(other.name, url, `user:${id}`, body(USER_LOOKUP, { id: String(id) }), JSON_HEADERS));
    log(
      `${other.name}: ${verdicts.filter((v) => v === 'identical').length} identical, ${verdicts.filter((v) => v === 'same value').length} same value, ${verdicts.filter((v) => v === 'different').length} different answers before the load`,
    );
  }
  return { viewers, feedIds, oldPostIds, references, notes: compressNotes(notes) };
}

/** `X, user:1: same value...` repeated for every id becomes one line. */
function compressNotes(notes: string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const note of notes) {
    const match = /^(.*?), (user|viewer|first):(\d+): (.*)$/.exec(note);
    const key = match ? `${match[1]}\u0000${match[2]}\u0000${match[4].replace(/\[\d+\]/g, '[i]')}` : note;
    groups.set(key, [...(groups.get(key) ?? []), match ? match[3] : '']);
  }
  return [...groups].map(([key, ids]) => {
    const [who, kind, what] = key.split('\u0000');
    if (what === undefined) return key;
    return `${who}, ${kind === 'user' ? 'user(id:)' : kind === 'first' ? 'HomeFeed with first:' : 'HomeFeed as viewer'} ${ids.join(', ')}: ${what}`;
  });
}

/** How each gateway reports errors: the same faulty operations to each, bodies shown side by side. */
async function errorShapes(targets: { name: string; port: number }[]): Promise<string[]> {
  const probes = [
    { what: '`recentPosts(first: 1000)` (a subgraph refuses with BAD_USER_INPUT)', payload: body('{ recentPosts(first: 1000) { edges { node { id } } } }') },
    { what: 'a syntax error', payload: body('{ recentPosts(') },
    { what: 'an unknown field', payload: body('{ nope }') },
  ];
  const lines: string[] = [];
  for (const probe of probes) {
    lines.push(`- ${probe.what}:`);
    for (const target of targets) {
      const answer = await post(urlOf(target.port), probe.payload).catch((error: Error) => ({ status: 0, text: error.message }));
      lines.push(`  - ${target.name}: HTTP ${answer.status} \`${answer.text.trim().replace(/`/g, "'").slice(0, 400)}\``);
    }
  }
  return lines;
}

// ---- plans ------------------------------------------------------------------------------------

function plan(url: string, perConnection: RequestSpec[][], overrides: Partial<LoadPlan> = {}): LoadPlan {
  return { url, connections, warmupSeconds, durationSeconds, perConnection, timeoutSeconds: 10, ...overrides };
}

const anonFeed = (f: Fixture): RequestSpec[][] => [[{ body: body(HOME_FEED), headers: JSON_HEADERS, check: { kind: 'exact', expected: f.references.get('anon')! } }]];
const viewerFeed = (f: Fixture): RequestSpec[][] =>
  f.viewers.map((viewer) => [{ body: body(HOME_FEED), headers: bearer(viewer.token), check: { kind: 'exact', expected: f.references.get(`viewer:${viewer.id}`)! } }]);
const distinctFeeds = (f: Fixture): RequestSpec[][] =>
  DISTINCT_FIRSTS.map((first) => [{ body: body(HOME_FEED, { first }), headers: JSON_HEADERS, check: { kind: 'exact', expected: f.references.get(`first:${first}`)! } }]);
const userLookups = (f: Fixture): RequestSpec[][] =>
  LOOKUP_IDS.map((id) => [{ body: body(USER_LOOKUP, { id: String(id) }), headers: JSON_HEADERS, check: { kind: 'exact', expected: f.references.get(`user:${id}`)! } }]);
const writes = (f: Fixture): RequestSpec[][] => Array.from({ length: connections }, (_, i) => writeRequests(f.viewers[i % f.viewers.length], i, f.oldPostIds));

// ---- modes ------------------------------------------------------------------------------------

async function startSubgraphs(): Promise<void> {
  for (const port of Object.values(PORTS))
    if (!(await portFree(port))) throw new Error(`port ${port} on ${HOST} is in use (the benchmark uses ${Object.values(PORTS).join(', ')})`);
  log(`temporary directory ${tmp}`);
  subgraphProcs = Object.fromEntries(SUBGRAPHS.map((name) => [name, startSubgraph(name)])) as Record<SubgraphName, procs.Managed>;
  log('starting subgraphs (a fresh database is seeded on first start)');
  await Promise.all(SUBGRAPHS.map((name) => waitReady(subgraphProcs[name], readyProbe(PORTS[name]))));
  if ((await allSubgraphRequests()) === undefined) log('subgraphs serve no crossfade_http_requests_total on /metrics: subgraph requests per request will be n/a');
}

function writeSupergraph(): string {
  const { supergraphSdl } = composeSupergraph(defaultConfigPath, Object.fromEntries(SUBGRAPHS.map((s) => [s, urlOf(PORTS[s])])));
  const file = path.join(tmp, 'supergraph.graphql');
  fs.writeFileSync(file, supergraphSdl);
  return file;
}

async function startGateways(names: GatewayName[], supergraphFile: string, nodeFlags: string[] = []): Promise<Record<string, procs.Managed>> {
  const started: Record<string, procs.Managed> = {};
  for (const name of names) {
    started[name] = startGateway(name, supergraphFile, nodeFlags);
    // A GraphQL answer is what the benchmark needs (the same probe for every gateway).
    await waitReady(started[name], graphqlProbe(PORTS[name]));
    log(`${TARGET_LABELS[name]} ready on :${PORTS[name]} (pid ${started[name].pid})`);
  }
  return started;
}

function describeRun(target: string, workload: string, round: number, f: RunFigures): string {
  const cpu = f.cpuMsPerRequest === undefined ? 'n/a' : f.cpuMsPerRequest.toFixed(2);
  const sub = f.subgraphRequestsPerRequest === undefined ? 'n/a' : f.subgraphRequestsPerRequest.toFixed(2);
  const foreign = f.foreignCores !== undefined && f.foreignCores > FOREIGN_LIMIT ? `  (!) other programs used ${f.foreignCores.toFixed(2)} cores` : '';
  return `round ${round} ${workload.padEnd(20)} ${(TARGET_LABELS[target] ?? target).padEnd(24)} ${f.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  CPU ${cpu} ms/req  subgraph req/req ${sub}  failures ${f.failures + f.errors}/${f.responses}  load gen CPU ${f.loadCpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req${foreign}`;
}

/** Runs once; a run disturbed by other programs (over FOREIGN_LIMIT) is run again, at most twice; the least disturbed counts. */
async function measured(workload: string, target: string, round: number, run: () => Promise<RunOutcome>): Promise<RunFigures> {
  let best: RunFigures | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const f = figures(workload, target, round, await run());
    log(describeRun(target, workload, round, f));
    if (!best || (f.foreignCores ?? 0) < (best.foreignCores ?? 0)) best = f;
    if ((f.foreignCores ?? 0) <= FOREIGN_LIMIT) break;
    if (attempt < 3) log('  disturbed by other programs: running it again');
  }
  return best!;
}

async function benchmark(): Promise<void> {
  await startSubgraphs();
  const supergraphFile = writeSupergraph();
  const gateways = await startGateways(gatewayNames, supergraphFile);
  if (!gateways.crossfade) throw new Error('the benchmark needs the crossfade gateway (its answers are the references)');
  const others = [...gatewayNames.filter((n) => n !== 'crossfade').map((n) => ({ name: TARGET_LABELS[n], port: PORTS[n] })), { name: TARGET_LABELS.direct, port: PORTS.users }];
  const fixture = await prepareFixture(others);
  const shapes = await errorShapes(gatewayNames.map((n) => ({ name: TARGET_LABELS[n], port: PORTS[n] })));

  const targets = (withDirect: boolean) => [
    ...gatewayNames.map((n) => ({ name: n as string, managed: gateways[n], port: PORTS[n] })),
    ...(withDirect ? [{ name: 'direct', managed: subgraphProcs.users, port: PORTS.users }] : []),
  ];
  const workloads = [
    { key: 'homefeed', name: 'HomeFeed', specs: anonFeed(fixture), direct: false },
    { key: 'viewers', name: 'HomeFeed, 5 viewers', specs: viewerFeed(fixture), direct: false },
    { key: 'distinct', name: 'HomeFeed, 50 distinct', specs: distinctFeeds(fixture), direct: false },
    { key: 'user', name: 'user(id:)', specs: userLookups(fixture), direct: true },
  ].filter((w) => workloadKeys.includes(w.key));
  const runs: RunFigures[] = [];
  const started = Date.now();
  for (const workload of workloads) {
    for (let round = 1; round <= rounds; round++) {
      for (const target of targets(workload.direct)) {
        runs.push(await measured(workload.name, target.name, round, () => runLoad(target.managed, plan(urlOf(target.port), workload.specs))));
      }
    }
  }
  // Writes last: they cannot change the references the reads were judged by.
  for (let round = 1; round <= (workloadKeys.includes('writes') ? rounds : 0); round++) {
    runs.push(await measured('createPost / likePost', 'crossfade', round, () => runLoad(gateways.crossfade, plan(urlOf(PORTS.crossfade), writes(fixture)))));
  }

  const aggregates = aggregate(runs);
  const tableText = resultsTable(aggregates);
  const goals = goalsSummary(aggregates);
  const failures = failureDetails(aggregates);
  console.log(`\n${tableText}\n`);
  for (const line of goals) console.log(line);
  if (failures.length) console.log(`\nFailures:\n${failures.join('\n')}`);
  if (fixture.notes.length) console.log(`\nDifferences before the load (reference: Crossfade's answer):\n${fixture.notes.map((n) => `- ${n}`).join('\n')}`);
  console.log(`\nError shapes:\n${shapes.join('\n')}`);

  if (!shouldWrite) return;
  const foreign = runs.map((r) => r.foreignCores).filter((v): v is number => v !== undefined);
  const flagged = runs.filter((r) => (r.foreignCores ?? 0) > FOREIGN_LIMIT);
  const loadGen = runs.map((r) => r.loadCpuMsPerRequest).filter((v): v is number => v !== undefined);
  const noise = foreign.length
    ? `Other programs on the machine used at most ${Math.max(...foreign).toFixed(2)} cores during a measured run (median ${[...foreign].sort((a, b) => a - b)[Math.floor(foreign.length / 2)].toFixed(2)})${flagged.length ? `; ${flagged.length} run(s) above ${FOREIGN_LIMIT} cores: ${flagged.map((r) => `${r.workload}/${r.target}#${r.round}`).join(', ')}` : ''}. The load generator (autocannon, same machine) used ${Math.min(...loadGen).toFixed(2)}–${Math.max(...loadGen).toFixed(2)} ms CPU per request.`
    : '';
  if (noise) console.log(noise);
  const perRound = aggregates.map((a) => `- ${a.workload} / ${TARGET_LABELS[a.target] ?? a.target}: ${a.rounds.map((r) => r.toFixed(0)).join(', ')} req/s`);
  writeSection(
    DOC,
    SECTION.results,
    [
      `Command: \`npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` — ${connections} connections, ${warmupSeconds} s warm-up + ${durationSeconds} s measured per run, ${rounds} round(s) of ${gatewayNames.map((n) => TARGET_LABELS[n]).join(' → ')} per workload, medians (peak RSS: the highest); took ${((Date.now() - started) / 60000).toFixed(1)} min.`,
      '',
      ...machineDescription(repoRoot),
      `- Subgraphs: compiled JavaScript, NODE_ENV=production, LOG_LEVEL=warn, SQLite (fresh seeded data directory), SUBGRAPHS_ACCEPT_ANY_CALLER=1${withOtel() ? ', telemetry loaded with --import dist/otel/register.js (no exporter configured)' : ', no telemetry (dist/otel/register.js not loaded)'}. Crossfade's gateway: \`node ${crossfadeNodeFlags.length ? `${crossfadeNodeFlags.join(' ')} ` : ''}dist/gateway/main.js\` with its production defaults.`,
      '',
      'CPU ms/req: the gateway process (with any children) user+system CPU over the measured window / responses; for the direct row, the users subgraph. Subgraph req/req: the subgraphs\' `crossfade_http_requests_total{route="/graphql"}` over the window / responses (n/a when the subgraphs serve no such metric). Subgraph CPU ms/req: the three subgraphs\' CPU / responses. Failures: wrong answers (compared with the reference), non-200 answers, connection errors and time-outs / responses.',
      '',
      tableText,
      '',
      noise,
      '',
      '**Goals (issue 5):**',
      '',
      ...goals.map((g) => `- ${g}`),
      '',
      '**Requests per second in each round:**',
      '',
      ...perRound,
      '',
      '**Failures:**',
      '',
      ...(failures.length ? failures : ['- none']),
      '',
      "**Differences between gateways before the load** (reference: Crossfade's answer, checked: no errors, 20 posts, each viewer's own likes shown):",
      '',
      ...(fixture.notes.length ? fixture.notes.map((n) => `- ${n}`) : ['- none: every gateway gave byte-identical answers']),
      '',
      '**Error shapes** (the same faulty operations to each gateway):',
      '',
      ...shapes,
    ].join('\n'),
  );
  log(`wrote the results into ${path.relative(process.cwd(), DOC)}`);
}

async function soak(seconds: number): Promise<void> {
  await startSubgraphs();
  const supergraphFile = writeSupergraph();
  const gateways = await startGateways(['crossfade'], supergraphFile);
  const fixture = await prepareFixture([]);
  // Mixed: 40% anonymous HomeFeed, 30% HomeFeed as viewers, 20% user lookups, 10% writes (outside the feed).
  const mix: RequestSpec[][] = [];
  const [anon, viewers, users, writing] = [anonFeed(fixture), viewerFeed(fixture), userLookups(fixture), writes(fixture)];
  for (let i = 0; i < connections; i++) {
    const slot = i % 10;
    mix.push(slot < 4 ? anon[0] : slot < 7 ? viewers[i % viewers.length] : slot < 9 ? users[i % users.length] : writing[i]);
  }
  log(`soak: ${seconds} s of mixed load against Crossfade`);
  const outcome = await runLoad(gateways.crossfade, plan(urlOf(PORTS.crossfade), mix, { durationSeconds: seconds, warmupSeconds: 5 }), { sampleRssEverySeconds: 5 });
  const f = figures('soak', 'crossfade', 1, outcome);
  const at = (t: number) => outcome.rssSamples.find(([s]) => s >= t)?.[1];
  const rss30 = at(30);
  const rssEnd = outcome.rssSamples.at(-1)?.[1];
  const maxRss = Math.max(...outcome.rssSamples.map(([, r]) => r));
  const mbText = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / 1024 / 1024).toFixed(1)} MB`);
  const growth = rss30 && rssEnd ? rssEnd / rss30 : undefined;
  const lines = [
    `Command: \`npm run bench -- --soak ${seconds}\` — ${connections} connections against Crossfade alone: 40% anonymous HomeFeed, 30% HomeFeed as 5 viewers, 20% user(id:), 10% createPost/likePost on posts outside the feed (so every read keeps its reference).`,
    '',
    ...machineDescription(repoRoot),
    '',
    `- ${f.requestsPerSecond.toFixed(0)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms, gateway CPU ${f.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req, ${f.responses} responses`,
    `- RSS at 30 s: ${mbText(rss30)}; at the end: ${mbText(rssEnd)}; highest sample: ${mbText(maxRss)}; end / 30 s = ${growth ? growth.toFixed(2) : 'n/a'} (goal ≤ 1.2: ${growth === undefined ? 'n/a' : growth <= 1.2 ? 'met' : 'NOT met'})`,
    `- Failed requests: ${f.failures + f.errors} (goal 0: ${f.failures + f.errors === 0 ? 'met' : 'NOT met'})`,
    ...failureDetails(aggregate([f])),
    `- RSS every 5 s (MB): ${outcome.rssSamples.map(([, r]) => (r / 1024 / 1024).toFixed(0)).join(' ')}`,
  ];
  console.log(`\n${lines.join('\n')}`);
  if (shouldWrite) {
    writeSection(DOC, SECTION.soak, lines.join('\n'));
    log(`wrote the soak results into ${path.relative(process.cwd(), DOC)}`);
  }
}

function profileTable(title: string, summary: ProfileSummary): string[] {
  return [
    `**${title}** — ${(summary.busyMs / 1000).toFixed(1)} s of gateway CPU sampled (idle ${(summary.idleMs / 1000).toFixed(1)} s):`,
    '',
    '| self time by category | ms | share |',
    '|---|---:|---:|',
    ...summary.categories.slice(0, 22).map((c) => `| ${c.category} | ${c.ms.toFixed(0)} | ${(c.share * 100).toFixed(1)}% |`),
    '',
    '| top functions by self time | category | where | share |',
    '|---|---|---|---:|',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.category} | ${f.location} | ${(f.share * 100).toFixed(1)}% |`),
  ];
}

async function profile(): Promise<void> {
  await startSubgraphs();
  const supergraphFile = writeSupergraph();
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-profiles-'));
  const bundle = path.join(distDir, 'gateway/main.js');
  const lookup = sourceLookup(bundle);
  const bundleUrl = pathToFileURL(bundle).href;
  const sourceOf = (frame: CallFrame) => (frame.url === bundleUrl || frame.url === bundle ? lookup(frame.lineNumber, frame.columnNumber) : undefined);
  const ownCode = (frame: CallFrame) => {
    if (!frame.url.includes(distDir)) return undefined;
    const source = sourceOf(frame) ?? '';
    if (/gateway\/src\//.test(source)) return 'Crossfade gateway code';
    if (/subgraphs\/kit\//.test(source)) return 'Crossfade kit code';
    if (/otel\//.test(source)) return 'Crossfade otel code';
    return 'Crossfade code (bundle)';
  };
  const locate = (frame: CallFrame) => {
    const source = sourceOf(frame);
    if (source) return source.replace(/^(\.\.\/)+/, '');
    if (!frame.url.includes(distDir)) return undefined;
    return `${path.relative(distDir, frame.url.startsWith('file:') ? fileURLToPath(frame.url) : frame.url)}:${frame.lineNumber + 1}`;
  };
  const sections: string[] = [];
  let fixture: Fixture | undefined;
  const profiled = [
    { key: 'homefeed', name: 'HomeFeed', specs: (f: Fixture) => anonFeed(f) },
    { key: 'viewers', name: 'HomeFeed, 5 viewers', specs: (f: Fixture) => viewerFeed(f) },
    { key: 'distinct', name: 'HomeFeed, 50 distinct', specs: (f: Fixture) => distinctFeeds(f) },
  ].filter((w) => workloadKeys.includes(w.key));
  for (const { key, name: workload, specs } of profiled) {
    const dir = path.join(profileDir, key);
    fs.mkdirSync(dir);
    const spawnedAt = performance.now();
    const gateways = await startGateways(['crossfade'], supergraphFile, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    fixture ??= await prepareFixture([]);
    const outcome = await runLoad(gateways.crossfade, plan(urlOf(PORTS.crossfade), specs(fixture), { durationSeconds: Math.max(durationSeconds, 20) }));
    const f = figures(workload, 'crossfade', 1, outcome);
    log(describeRun('crossfade', workload, 1, f));
    // SIGTERM: the gateway closes and exits, and V8 writes the profile.
    await procs.stop(gateways.crossfade, 15_000);
    const file = fs.readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir} (${procs.describeExit(gateways.crossfade)})`);
    const summary = summariseProfile(path.join(dir, file), { fromMs: outcome.before.at - spawnedAt, toMs: outcome.after.at - spawnedAt, ownCode, locate, top: 30 });
    sections.push(
      ...profileTable(`${workload}: ${f.requestsPerSecond.toFixed(0)} req/s, gateway CPU ${f.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req under the profiler`, summary),
      '',
    );
  }
  const lines = [
    `Command: \`npm run bench -- --profile\` (Crossfade's gateway under \`node --cpu-prof\`, the measured window only; profiles kept in \`${profileDir}\`).`,
    '',
    ...machineDescription(repoRoot),
    '',
    ...sections,
  ];
  console.log(`\n${lines.join('\n')}`);
  if (shouldWrite) {
    writeSection(DOC, SECTION.profile, lines.join('\n'));
    log(`wrote the profile summary into ${path.relative(process.cwd(), DOC)}`);
  }
}

// ---- main -------------------------------------------------------------------------------------

try {
  await buildAll();
  if (soakSeconds !== undefined) await soak(soakSeconds);
  else if (args.profile) await profile();
  else await benchmark();
  await procs.stopAll();
  process.exit(0);
} catch (error) {
  console.error(`[bench] failed: ${error instanceof Error ? error.message : String(error)}`);
  await procs.stopAll();
  process.exit(1);
}
