/**
 * `npm run advise`: advice from trace files (table or JSON), or KEDA ScaledObjects from settings alone.
 * The logic lives here, behind injected I/O, so tests can run it in-process; scripts/advise.ts wires it to
 * the process. Exit codes: 0 done, 1 unreadable input (a trace file, supergraph.yaml, --out), 2 bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ScalingSnapshot } from './advisor.ts';
import { DEFAULT_PROMETHEUS_URL, joinYamlDocuments, renderScaledObjects } from './keda.ts';
import { readTraceFiles, TraceFileError } from './otlp.ts';
import { formatFigure, formatPercent } from './reason.ts';
import { replayRecords } from './replay.ts';
import { DEFAULT_MODEL_SETTINGS, DEFAULT_SUBGRAPH_SETTINGS, SettingsError, type SettingsInput, type SubgraphSettings } from './settings.ts';

export const USAGE = `usage: npm run advise -- --input <file>... [options]      advice from OTLP/JSON trace files
       npm run advise -- --format keda [--out DIR] [options]  KEDA ScaledObjects from the settings alone

  --input FILE               an OTLP/JSON trace file (the Collector's file exporter: one
                             ExportTraceServiceRequest per line); repeat for several files
  --format table|json|keda   table (default); json: the shape of GET /admin/scaling; keda: ScaledObjects
  --out DIR                  with --format keda: write DIR/<subgraph>-scaledobject.yaml instead of stdout
  --window S                 stable window in seconds (default ${DEFAULT_MODEL_SETTINGS.stableWindowSeconds}); also the KEDA queries' rate window
  --sample-ratio R           the traces' sampling ratio, 0 < R <= 1 (default 1): counts are divided by R
  --subgraphs a,b,c          subgraph names (keda: default from supergraph.yaml; table/json: those traced)
  --prometheus-url URL       KEDA triggers' Prometheus (default ${DEFAULT_PROMETHEUS_URL})
 Per-subgraph settings: N for every subgraph, name=N for one, comma-separated, repeatable:
  --replicas users=2,posts=3      current replicas (default ${DEFAULT_SUBGRAPH_SETTINGS.currentReplicas})
  --target-concurrency N          C*, target in-flight requests per replica (default ${DEFAULT_SUBGRAPH_SETTINGS.targetConcurrency})
  --target-utilization R          ρ*, target CPU utilisation per replica (default ${DEFAULT_SUBGRAPH_SETTINGS.targetUtilization})
  --cpu-time posts=0.004          S, CPU seconds per request (default unknown: no CPU formula)
  --min N, --max N                replica bounds (default ${DEFAULT_SUBGRAPH_SETTINGS.minReplicas} and ${DEFAULT_SUBGRAPH_SETTINGS.maxReplicas})
`;

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Subgraph names when --subgraphs is absent (supergraph.yaml); may throw or reject, which exits 1. */
  defaultSubgraphs: () => string[] | Promise<string[]>;
}

export class UsageError extends Error {}

export const PER_SUBGRAPH_FLAGS = {
  replicas: 'currentReplicas',
  'target-concurrency': 'targetConcurrency',
  'target-utilization': 'targetUtilization',
  'cpu-time': 'cpuSecondsPerRequest',
  min: 'minReplicas',
  max: 'maxReplicas',
} as const satisfies Record<string, keyof SubgraphSettings>;

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag}: "${text}" is not a number`);
  return value;
}

/** `10`, `posts=5,users=3`, or both, from every occurrence of each per-subgraph flag. */
export function settingsFrom(values: Record<string, unknown>): SettingsInput {
  const defaults: Partial<SubgraphSettings> = {};
  const perSubgraph: Record<string, Partial<SubgraphSettings>> = {};
  for (const [flag, key] of Object.entries(PER_SUBGRAPH_FLAGS)) {
    for (const occurrence of (values[flag] as string[] | undefined) ?? []) {
      for (const item of occurrence.split(',')) {
        const at = item.indexOf('=');
        if (at < 0) {
          defaults[key] = number(flag, item);
          continue;
        }
        const name = item.slice(0, at).trim();
        if (!name) throw new UsageError(`--${flag}: "${item}" names no subgraph (expected name=value)`);
        (perSubgraph[name] ??= {})[key] = number(flag, item.slice(at + 1));
      }
    }
  }
  return { defaults, perSubgraph };
}

function wholeNumber(flag: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = number(flag, text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${flag} must be a whole number in ${min}..${max}, got ${text}`);
  return value;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: 'string', multiple: true },
        format: { type: 'string' },
        out: { type: 'string' },
        window: { type: 'string' },
        'sample-ratio': { type: 'string' },
        subgraphs: { type: 'string' },
        'prometheus-url': { type: 'string' },
        replicas: { type: 'string', multiple: true },
        'target-concurrency': { type: 'string', multiple: true },
        'target-utilization': { type: 'string', multiple: true },
        'cpu-time': { type: 'string', multiple: true },
        min: { type: 'string', multiple: true },
        max: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const pad = (cells: string[][]) => {
  const widths = cells[0].map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

const ms = (seconds: number | null) => (seconds === null ? '-' : formatFigure(seconds * 1000));

/** The table format: one row per subgraph, hottest first, then each reason. */
export function formatTable(snapshot: ScalingSnapshot, windowSeconds: number): string {
  const header = ['subgraph', 'replicas', 'req/s', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms', 'in flight', 'errors', 'critical path'];
  const rows = snapshot.subgraphs.map((s) => [
    s.subgraph,
    `${s.currentReplicas} -> ${s.desiredReplicas}`,
    formatFigure(s.arrivalRate),
    ms(s.latency.mean),
    ms(s.latency.p50),
    ms(s.latency.p95),
    ms(s.latency.p99),
    formatFigure(s.inflight),
    formatPercent(s.errorRate),
    formatPercent(s.criticalPathShare),
  ]);
  return [
    `Scaling advice at ${snapshot.generatedAt} over the last ${windowSeconds} s of the traces`,
    '',
    pad([header, ...rows]),
    '',
    ...snapshot.subgraphs.map((s) => s.reason),
    '',
  ].join('\n');
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const values = parse(argv);
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'keda') throw new UsageError(`--format must be table, json or keda, got "${format}"`);
  const window = wholeNumber('window', values.window, DEFAULT_MODEL_SETTINGS.stableWindowSeconds, 1, 3600);
  const settings = settingsFrom(values);
  const named = values.subgraphs
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (values.subgraphs !== undefined && !named?.length) throw new UsageError('--subgraphs names no subgraph');

  if (format === 'keda') {
    if (values.input) throw new UsageError('--format keda is generated from the settings alone: drop --input');
    if (values['sample-ratio'] !== undefined) throw new UsageError('--sample-ratio applies to trace files, not to --format keda');
    let subgraphs: string[];
    try {
      subgraphs = named ?? (await io.defaultSubgraphs());
    } catch (error) {
      io.stderr(`${(error as Error).message}\n`);
      return 1;
    }
    const files = renderScaledObjects({ ...settings, subgraphs, windowSeconds: window, prometheusUrl: values['prometheus-url'] });
    if (values.out === undefined) {
      io.stdout(joinYamlDocuments(files));
      return 0;
    }
    try {
      fs.mkdirSync(values.out, { recursive: true });
      for (const file of files) fs.writeFileSync(path.join(values.out, file.fileName), file.yaml);
    } catch (error) {
      io.stderr(`cannot write to ${values.out}: ${(error as Error).message}\n`);
      return 1;
    }
    io.stderr(`wrote ${files.map((file) => path.join(values.out!, file.fileName)).join(', ')}\n`);
    return 0;
  }

  if (values.out !== undefined) throw new UsageError('--out applies to --format keda only');
  if (values['prometheus-url'] !== undefined) throw new UsageError('--prometheus-url applies to --format keda only');
  if (!values.input?.length) throw new UsageError('--input is required: an OTLP/JSON trace file (or --format keda)');
  let sampleRatio = 1;
  if (values['sample-ratio'] !== undefined) {
    sampleRatio = number('sample-ratio', values['sample-ratio']);
    if (!(sampleRatio > 0 && sampleRatio <= 1)) throw new UsageError(`--sample-ratio must be in (0, 1], got ${values['sample-ratio']}`);
  }
  let records;
  try {
    records = await readTraceFiles(values.input);
  } catch (error) {
    if (error instanceof TraceFileError) {
      io.stderr(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const { stats } = records;
  io.stderr(
    `read ${stats.files} file${stats.files === 1 ? '' : 's'}: ${stats.spans} spans in ${stats.traces} traces; ${records.operations.length} operations, ${records.fetches.length} subgraph fetches` +
      (sampleRatio < 1 ? ` (sampled at ${sampleRatio}: counts scaled by ${formatFigure(1 / sampleRatio)})` : '') +
      '\n',
  );
  if (records.fetches.length === 0) io.stderr(`warning: no ${'gateway.fetch'} spans with a subgraph name: are these the gateway's traces?\n`);
  if (stats.fetchesWithoutSubgraph) io.stderr(`warning: ${stats.fetchesWithoutSubgraph} gateway.fetch spans name no subgraph (attribute service or subgraph.name); skipped\n`);
  if (stats.fetchesWithoutOperation) io.stderr(`warning: ${stats.fetchesWithoutOperation} fetches belong to no operation span; they count, but not in critical-path shares\n`);

  const advisor = replayRecords(records, { ...settings, subgraphs: named, model: { stableWindowSeconds: window }, sampleRatio });
  const snapshot = advisor.snapshot();
  io.stdout(format === 'json' ? `${JSON.stringify(snapshot, null, 2)}\n` : formatTable(snapshot, window));
  return 0;
}

/** Runs the CLI and returns its exit code; never throws for bad input or usage. */
export async function runAdvise(argv: string[], io: CliIO): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof SettingsError) {
      // Every setting comes from a flag here, so a bad one is a usage error.
      io.stderr(`${error.message}\n(see npm run advise -- --help)\n`);
      return 2;
    }
    throw error;
  }
}
