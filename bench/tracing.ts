/**
 * npm run bench:tracing [-- --rounds 3 --duration 10 --connections 50 --no-build]
 *
 * What tracing costs: the same stack twice, side by side on one machine — one with OpenTelemetry off
 * (OTEL_SDK_DISABLED=true everywhere), one tracing every request (100% sampling) and exporting OTLP
 * (http/protobuf) to a local receiver — each loaded in turn with HomeFeed from autocannon in a separate
 * process, alternating for several rounds. Writes the medians into docs/PERFORMANCE.md.
 */
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { composeSupergraph } from '../scripts/lib/compose.ts';
import { defaultConfigPath, repoRoot } from '../scripts/lib/paths.ts';
import * as procs from './lib/processes.ts';
import { cpuMs } from './lib/procfs.ts';
import { machineDescription, writeSection } from './lib/report.ts';
import { HOME_FEED } from './lib/workloads.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    'no-build': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
});
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const connections = Number(args.connections);
if (![rounds, duration, connections].every((n) => Number.isInteger(n) && n > 0 && n <= 1000))
  throw new Error('--rounds, --duration and --connections take whole numbers from 1 to 1000');

const HOST = '127.0.0.1';
const SUBGRAPHS = ['users', 'posts', 'media'] as const;
const STACKS = { off: 5600, traced: 5700 } as const;
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

function telemetryEnv(stack: StackName, role: 'gateway' | 'subgraph'): Record<string, string> {
  if (stack === 'off') return { OTEL_SDK_DISABLED: 'true' };
  // Every operation traced at the gateway; subgraphs record what the gateway sampled (all of it).
  return { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER: role === 'gateway' ? 'parentbased_always_on' : 'parentbased_always_off' };
}

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', LOG_LEVEL: 'warn', APOLLO_TELEMETRY_DISABLED: '1', ...secrets, ...extra };
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

async function startStack(stack: StackName): Promise<procs.Managed> {
  const base = STACKS[stack];
  const register = ['--import', path.join(repoRoot, 'dist/otel/register.js')];
  const ports = { users: base + 1, posts: base + 2, media: base + 3 };
  for (const name of SUBGRAPHS) {
    procs.start(`${stack}-${name}`, process.execPath, [...register, path.join(repoRoot, `dist/subgraphs/${name}/src/main.js`)], {
      cwd: repoRoot,
      logFile: path.join(tmp, `${stack}-${name}.log`),
      env: env({ ...telemetryEnv(stack, 'subgraph'), OTEL_SERVICE_NAME: name, PORT: String(ports[name]), HOST, DATA_DIR: path.join(tmp, `${stack}-data`) }),
    });
  }
  await Promise.all(SUBGRAPHS.map((name) => waitFor(`http://${HOST}:${ports[name]}/ready`)));
  const supergraph = path.join(tmp, `${stack}-supergraph.graphql`);
  fs.writeFileSync(supergraph, composeSupergraph(defaultConfigPath, Object.fromEntries(SUBGRAPHS.map((s) => [s, `http://${HOST}:${ports[s]}/graphql`]))).supergraphSdl);
  const gateway = procs.start(`${stack}-gateway`, process.execPath, [...register, path.join(repoRoot, 'dist/gateway/main.js'), '--supergraph', supergraph], {
    cwd: repoRoot,
    logFile: path.join(tmp, `${stack}-gateway.log`),
    env: env({ ...telemetryEnv(stack, 'gateway'), OTEL_SERVICE_NAME: 'gateway', GATEWAY_PORT: String(base), ADMIN_PORT: String(base + 90), HOST }),
  });
  await waitFor(`http://${HOST}:${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
  return gateway;
}

interface Run {
  stack: StackName;
  requestsPerSecond: number;
  p99: number;
  cpuMsPerRequest: number | undefined;
  failures: number;
}

async function run(stack: StackName, gateway: procs.Managed, seconds: number): Promise<Run> {
  const cpuBefore = cpuMs(gateway.pid);
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
  const responses = result.requests.total;
  return {
    stack,
    requestsPerSecond: result.requests.average,
    p99: result.latency.p99,
    cpuMsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && responses ? (cpuAfter - cpuBefore) / responses : undefined,
    failures: result.errors + result.non2xx,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

try {
  log(`starting both stacks (tracing off on :${STACKS.off}, traced on :${STACKS.traced}; OTLP receiver ${endpoint})`);
  const gateways = { off: await startStack('off'), traced: await startStack('traced') };
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const stack of ['off', 'traced'] as const) {
      await run(stack, gateways[stack], 3);
      const result = await run(stack, gateways[stack], duration);
      log(
        `round ${round} ${stack.padEnd(6)} ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.p99} ms, CPU ${result.cpuMsPerRequest?.toFixed(2) ?? 'n/a'} ms/req, ${result.failures} failed`,
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
      failures: mine.reduce((n, r) => n + r.failures, 0),
      perRound: mine.map((r) => r.requestsPerSecond.toFixed(0)).join(', '),
    };
  };
  const off = figure('off');
  const traced = figure('traced');
  const drop = 1 - traced.rps / off.rps;
  const lines = [
    `Command: \`npm run bench:tracing\` — HomeFeed, ${connections} connections, 3 s warm-up + ${duration} s measured per run, ${rounds} rounds alternating the two stacks, medians.`,
    '',
    ...machineDescription(repoRoot),
    '',
    '| stack | req/s | p99 ms | gateway CPU ms/req | failures | req/s per round |',
    '|---|---:|---:|---:|---:|---|',
    `| tracing off (\`OTEL_SDK_DISABLED=true\`) | ${off.rps.toFixed(0)} | ${off.p99} | ${off.cpu.toFixed(2)} | ${off.failures} | ${off.perRound} |`,
    `| 100% sampling, OTLP http/protobuf to a local receiver | ${traced.rps.toFixed(0)} | ${traced.p99} | ${traced.cpu.toFixed(2)} | ${traced.failures} | ${traced.perRound} |`,
    '',
    `Throughput with full tracing: ${(100 * (traced.rps / off.rps)).toFixed(0)}% of tracing off (${drop >= 0 ? `${(100 * drop).toFixed(1)}% lower` : `${(-100 * drop).toFixed(1)}% higher`}; goal: at most 10% lower — ${drop <= 0.1 ? 'met' : 'NOT met'}). The receiver took ${received.exports} exports (${(received.bytes / 1e6).toFixed(1)} MB).`,
  ];
  console.log(`\n${lines.join('\n')}\n`);
  if (!args['no-write']) writeSection(path.join(repoRoot, 'docs/PERFORMANCE.md'), 'tracing', lines.join('\n'));
} finally {
  await procs.stopAll();
  receiver.close();
}
