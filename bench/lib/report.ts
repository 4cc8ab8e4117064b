/** Aggregation, the console table and docs/PERFORMANCE.md. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FailureSample } from './plan.ts';

export interface RunFigures {
  workload: string;
  target: string;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Gateway (or, for a direct target, subgraph) CPU ms per response. */
  cpuMsPerRequest: number | undefined;
  peakRssBytes: number | undefined;
  /** Subgraph HTTP requests per gateway response, from the subgraphs' /metrics; undefined when unavailable. */
  subgraphRequestsPerRequest: number | undefined;
  /** CPU ms of the three subgraphs per gateway response. */
  subgraphCpuMsPerRequest: number | undefined;
  loadCpuMsPerRequest: number | undefined;
  /** CPU (in cores) used by programs other than the benchmark during the run: noise. */
  foreignCores: number | undefined;
  responses: number;
  failures: number;
  errors: number;
  samples: FailureSample[];
}

export interface Aggregate {
  workload: string;
  target: string;
  runs: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number | undefined;
  peakRssBytes: number | undefined;
  subgraphRequestsPerRequest: number | undefined;
  subgraphCpuMsPerRequest: number | undefined;
  responses: number;
  failures: number;
  errors: number;
  samples: FailureSample[];
  /** Per-round req/s, to show the spread. */
  rounds: number[];
}

function median(values: (number | undefined)[]): number | undefined {
  const defined = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  if (!defined.length) return undefined;
  const mid = Math.floor(defined.length / 2);
  return defined.length % 2 ? defined[mid] : (defined[mid - 1] + defined[mid]) / 2;
}

export function aggregate(runs: RunFigures[]): Aggregate[] {
  const groups = new Map<string, RunFigures[]>();
  for (const run of runs) {
    const key = `${run.workload}\u0000${run.target}`;
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const peaks = group.map((r) => r.peakRssBytes).filter((v): v is number => v !== undefined);
    const samples: FailureSample[] = [];
    for (const run of group)
      for (const sample of run.samples) if (samples.length < 3 && !samples.some((s) => s.why === sample.why && s.status === sample.status)) samples.push(sample);
    return {
      workload: group[0].workload,
      target: group[0].target,
      runs: group.length,
      requestsPerSecond: median(group.map((r) => r.requestsPerSecond))!,
      p50: median(group.map((r) => r.p50))!,
      p99: median(group.map((r) => r.p99))!,
      cpuMsPerRequest: median(group.map((r) => r.cpuMsPerRequest)),
      peakRssBytes: peaks.length ? Math.max(...peaks) : undefined,
      subgraphRequestsPerRequest: median(group.map((r) => r.subgraphRequestsPerRequest)),
      subgraphCpuMsPerRequest: median(group.map((r) => r.subgraphCpuMsPerRequest)),
      responses: group.reduce((sum, r) => sum + r.responses, 0),
      failures: group.reduce((sum, r) => sum + r.failures, 0),
      errors: group.reduce((sum, r) => sum + r.errors, 0),
      samples,
      rounds: group.map((r) => r.requestsPerSecond),
    };
  });
}

const fmt = (value: number | undefined, digits = 1) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value.toFixed(digits));
const mb = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)}`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !b ? 'n/a' : `${(a / b).toFixed(2)}×`);

/** A Markdown table (also readable as plain text in a terminal). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const TARGET_LABELS: Record<string, string> = {
  crossfade: 'Crossfade',
  stock: 'stock @apollo/gateway',
  hive: 'Hive Gateway',
  direct: 'users subgraph, direct',
};

export function resultsTable(aggregates: Aggregate[]): string {
  const header = [
    'workload',
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU ms/req',
    'peak RSS MB',
    'subgraph req/req',
    'subgraph CPU ms/req',
    'failures',
    'req/s vs stock',
    'req/s vs Hive',
    'CPU vs stock',
    'CPU vs Hive',
    'p99 vs stock',
  ];
  const rows = aggregates.map((a) => {
    const stock = aggregates.find((b) => b.workload === a.workload && b.target === 'stock');
    const hive = aggregates.find((b) => b.workload === a.workload && b.target === 'hive');
    const self = a.target === 'stock' || a.target === 'hive';
    return [
      a.workload,
      TARGET_LABELS[a.target] ?? a.target,
      fmt(a.requestsPerSecond, 0),
      fmt(a.p50, 0),
      fmt(a.p99, 0),
      fmt(a.cpuMsPerRequest, 2),
      mb(a.peakRssBytes),
      fmt(a.subgraphRequestsPerRequest, 2),
      fmt(a.subgraphCpuMsPerRequest, 2),
      `${a.failures + a.errors}/${a.responses}`,
      a.target === 'stock' ? '—' : self || stock ? ratio(a.requestsPerSecond, stock?.requestsPerSecond) : 'n/a',
      a.target === 'hive' ? '—' : ratio(a.requestsPerSecond, hive?.requestsPerSecond),
      a.target === 'stock' ? '—' : ratio(a.cpuMsPerRequest, stock?.cpuMsPerRequest),
      a.target === 'hive' ? '—' : ratio(a.cpuMsPerRequest, hive?.cpuMsPerRequest),
      a.target === 'stock' ? '—' : ratio(a.p99, stock?.p99),
    ];
  });
  return table(header, rows);
}

export function goalsSummary(aggregates: Aggregate[]): string[] {
  const get = (workload: string, target: string) => aggregates.find((a) => a.workload === workload && a.target === target);
  const lines: string[] = [];
  const cf = get('HomeFeed', 'crossfade');
  const stock = get('HomeFeed', 'stock');
  const hive = get('HomeFeed', 'hive');
  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : 'NOT met');
  if (cf && stock) {
    const cpu = cf.cpuMsPerRequest !== undefined && stock.cpuMsPerRequest !== undefined ? cf.cpuMsPerRequest / stock.cpuMsPerRequest : undefined;
    lines.push(`HomeFeed gateway CPU/request ≤ ⅓ of stock: ${cpu === undefined ? 'n/a' : `${cpu.toFixed(2)}×`} — ${verdict(cpu === undefined ? undefined : cpu <= 1 / 3)}`);
    const tput = cf.requestsPerSecond / stock.requestsPerSecond;
    lines.push(`HomeFeed throughput ≥ 2× stock: ${tput.toFixed(2)}× — ${verdict(tput >= 2)}`);
    const p99 = cf.p99 / stock.p99;
    lines.push(`HomeFeed p99 ≤ ½ of stock: ${p99.toFixed(2)}× — ${verdict(p99 <= 0.5)}`);
  }
  if (cf && hive) {
    const tput = cf.requestsPerSecond / hive.requestsPerSecond;
    lines.push(`HomeFeed throughput ≥ 3× Hive Gateway: ${tput.toFixed(2)}× — ${verdict(tput >= 3)}`);
  }
  const dcf = get('HomeFeed, 50 distinct', 'crossfade');
  const dstock = get('HomeFeed, 50 distinct', 'stock');
  if (dcf && dstock) {
    const cpu = dcf.cpuMsPerRequest !== undefined && dstock.cpuMsPerRequest !== undefined ? `${(dcf.cpuMsPerRequest / dstock.cpuMsPerRequest).toFixed(2)}×` : 'n/a';
    lines.push(
      `(not a goal) HomeFeed with 50 distinct variable sets, where de-duplication cannot help: CPU/request ${cpu} of stock's, throughput ${(dcf.requestsPerSecond / dstock.requestsPerSecond).toFixed(2)}× stock's`,
    );
  }
  const wrong = ['HomeFeed', 'HomeFeed, 5 viewers', 'HomeFeed, 50 distinct'].map((w) => get(w, 'crossfade')).filter(Boolean) as Aggregate[];
  if (wrong.length) {
    const failures = wrong.reduce((sum, a) => sum + a.failures + a.errors, 0);
    lines.push(`Crossfade wrong or failed HomeFeed responses (with and without viewer tokens): ${failures} — ${verdict(failures === 0)}`);
  }
  const via = get('user(id:)', 'crossfade');
  const direct = get('user(id:)', 'direct');
  if (via && direct) {
    const share = via.requestsPerSecond / direct.requestsPerSecond;
    lines.push(`user(id:) through Crossfade ≥ 60% of straight to the subgraph: ${(share * 100).toFixed(0)}% — ${verdict(share >= 0.6)}`);
    for (const target of ['stock', 'hive']) {
      const other = get('user(id:)', target);
      if (other) lines.push(`  (${TARGET_LABELS[target]}: ${((other.requestsPerSecond / direct.requestsPerSecond) * 100).toFixed(0)}% of direct)`);
    }
  }
  return lines;
}

export function failureDetails(aggregates: Aggregate[]): string[] {
  const lines: string[] = [];
  for (const a of aggregates) {
    if (!a.failures && !a.errors) continue;
    lines.push(`- ${a.workload} / ${TARGET_LABELS[a.target] ?? a.target}: ${a.failures} wrong or non-200 of ${a.responses} responses, ${a.errors} connection errors/timeouts.`);
    for (const s of a.samples) lines.push(`  - HTTP ${s.status}, ${s.why}: \`${s.body.replace(/`/g, "'").slice(0, 300)}\``);
  }
  return lines;
}

function safe(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function packageVersion(repoRoot: string, name: string): string {
  try {
    return JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return 'not installed';
  }
}

export function machineDescription(repoRoot: string): string[] {
  const model = /Model name:\s*(.+)/.exec(safe('lscpu', []))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const commit = safe('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']);
  const dirty = safe('git', ['-C', repoRoot, 'status', '--porcelain']) ? ' (with uncommitted changes)' : '';
  const packages = ['@apollo/gateway', '@apollo/server', 'graphql', 'undici', '@graphql-hive/gateway-runtime', '@graphql-hive/gateway', 'autocannon', 'better-sqlite3'];
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${safe('nproc', []) || os.cpus().length} cores (\`nproc\`), ${model}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB memory, ${os.type()} ${os.release()}`,
    `- Node ${process.version}; ${packages.map((p) => `${p} ${packageVersion(repoRoot, p)}`).join(', ')}`,
    `- Commit ${commit || 'unknown'}${dirty}`,
  ];
}

export const SECTION = {
  results: 'results',
  soak: 'soak',
  profile: 'profile',
} as const;

const DOC_SKELETON = `# Performance

How fast Crossfade's gateway is next to stock \`@apollo/gateway\` and Hive Gateway, on the same machine,
subgraphs and queries. The sections between \`<!-- bench:... -->\` markers are written by \`npm run bench\`
(\`--soak\`, \`--profile\`); everything else is written by hand.

## Benchmark results

<!-- bench:results:begin -->
(not run yet: \`npm run bench\`)
<!-- bench:results:end -->

## Soak

<!-- bench:soak:begin -->
(not run yet: \`npm run bench -- --soak 300\`)
<!-- bench:soak:end -->

## CPU profile of the gateway under HomeFeed

<!-- bench:profile:begin -->
(not run yet: \`npm run bench -- --profile\`)
<!-- bench:profile:end -->
`;

/** Replaces one generated section of docs/PERFORMANCE.md, creating the file (or the section) when missing. */
export function writeSection(file: string, section: string, content: string): void {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : DOC_SKELETON;
  const begin = `<!-- bench:${section}:begin -->`;
  const end = `<!-- bench:${section}:end -->`;
  const from = text.indexOf(begin);
  // The end marker that follows the begin marker: a stray end marker earlier in the file is left alone.
  if (from < 0 || text.indexOf(end, from) < 0) text = `${text.trimEnd()}\n\n${begin}\n${end}\n`;
  const start = text.indexOf(begin) + begin.length;
  const stop = text.indexOf(end, start);
  text = `${text.slice(0, start)}\n${content.trim()}\n${text.slice(stop)}`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
