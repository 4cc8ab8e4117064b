/**
 * The offline path: reading OTLP/JSON trace files (errors name file and line), reconstructing operations
 * and their fetches from spans, and `npm run advise` flags and exit codes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTraceFiles, TraceFileError } from '../src/advisor/index.ts';
import { runAdvise } from '../src/advisor/cli.ts';
import { homeFeedOperations, otlpLine, otlpSpan, runAdviseCli, toOtlpLines } from './fixtures/synthetic.ts';

let dir: string;
const write = (name: string, text: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crossfade-advise-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process, capturing its output. */
async function advise(args: string[], defaultSubgraphs = () => ['users', 'posts', 'media']) {
  let stdout = '';
  let stderr = '';
  const code = await runAdvise(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), defaultSubgraphs });
  return { code, stdout, stderr };
}

const T0 = Date.UTC(2026, 0, 1);
const good = () => otlpLine('gateway', [otlpSpan({ traceId: 'a1', spanId: 'r1', name: 'gateway.request', start: T0, end: T0 + 50 })]);

describe('reading trace files', () => {
  it('names the file and line of malformed input', async () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ['empty.jsonl', '', /empty\.jsonl:1: empty: expected one OTLP\/JSON ExportTraceServiceRequest per line$/],
      ['blank.jsonl', '\n\n  \n', /blank\.jsonl:3: empty/],
      ['not-json.jsonl', `${good()}\n${good()}\n{"resourceSpans": [\n`, /not-json\.jsonl:3: not JSON: /],
      ['not-otlp.jsonl', `${good()}\n{"hello": "world"}\n`, /not-otlp\.jsonl:2: not an ExportTraceServiceRequest: `resourceSpans` is missing/],
      ['array.jsonl', '[1, 2]\n', /array\.jsonl:1: expected an ExportTraceServiceRequest JSON object/],
      [
        'bad-time.jsonl',
        `${good()}\n${good().replace(/"startTimeUnixNano":"\d+"/, '"startTimeUnixNano":"soon"')}\n`,
        /bad-time\.jsonl:2: resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\] \(gateway\.request\): `startTimeUnixNano` is not a count of nanoseconds/,
      ],
      [
        'backwards.jsonl',
        otlpLine('gateway', [otlpSpan({ traceId: 'a', spanId: 'b', name: 'gateway.fetch', start: T0 + 5, end: T0 })]),
        /backwards\.jsonl:1: .*ends before it starts/,
      ],
      ['no-span-name.jsonl', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"a"}]}]}]}', /no-span-name\.jsonl:1: .*`name` is missing/],
      ['compressed.jsonl.gz', zlib.gzipSync(good()), /compressed\.jsonl\.gz:1: gzip-compressed/],
    ];
    for (const [name, content, message] of cases) {
      const file = write(name, content);
      const error = await readTraceFiles([file]).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(TraceFileError);
      expect((error as Error).message, name).toMatch(message);
      expect((error as Error).message.startsWith(`${file}:`), name).toBe(true);
    }
    await expect(readTraceFiles([path.join(dir, 'missing.jsonl')])).rejects.toThrow(/missing\.jsonl: cannot read: ENOENT/);
  });

  it('links fetches to their operation through parents, with a fallback to the root HTTP span', async () => {
    const at = (ms: number) => T0 + ms;
    const lines = [
      // Trace A: two operations in one trace (a client propagating its trace id); the second one's fetch
      // names its subgraph with subgraph.name only, and fails.
      otlpLine('gateway', [
        otlpSpan({ traceId: 'A', spanId: 'op1', name: 'gateway.request', start: at(0), end: at(100) }),
        otlpSpan({ traceId: 'A', spanId: 'ex1', parentSpanId: 'op1', name: 'gateway.execute', start: at(10), end: at(95) }),
        otlpSpan({ traceId: 'A', spanId: 'f1', parentSpanId: 'ex1', name: 'gateway.fetch', start: at(10), end: at(90), attributes: { service: 'posts' } }),
        otlpSpan({ traceId: 'A', spanId: 'op2', name: 'gateway.request', start: at(200), end: at(260) }),
      ]),
      // The fetch of op2 arrives in a later batch, and a subgraph's spans are ignored.
      otlpLine('gateway', [
        otlpSpan({ traceId: 'A', spanId: 'f2', parentSpanId: 'op2', name: 'gateway.fetch', start: at(210), end: at(250), attributes: { 'subgraph.name': 'media' }, error: true }),
      ]),
      otlpLine('posts', [otlpSpan({ traceId: 'A', spanId: 's1', parentSpanId: 'f1', name: 'POST /graphql', kind: 2, start: at(12), end: at(88) })]),
      // Trace B: no gateway.request; the gateway's root HTTP server span stands for the operation.
      otlpLine('gateway', [
        otlpSpan({ traceId: 'B', spanId: 'http', name: 'POST /graphql', kind: 2, start: at(300), end: at(400) }),
        otlpSpan({ traceId: 'B', spanId: 'ex', parentSpanId: 'http', name: 'gateway.execute', start: at(305), end: at(395) }),
        otlpSpan({ traceId: 'B', spanId: 'fb', parentSpanId: 'ex', name: 'gateway.fetch', start: at(310), end: at(330), attributes: { service: 'users' } }),
      ]),
      // Trace C: the fetch's parents are missing from the file; the trace's only operation takes it.
      otlpLine('gateway', [
        otlpSpan({ traceId: 'C', spanId: 'opc', name: 'gateway.request', start: at(500), end: at(540) }),
        otlpSpan({ traceId: 'C', spanId: 'fc', parentSpanId: 'gone', name: 'gateway.fetch', start: at(505), end: at(535), attributes: { service: 'users' } }),
        otlpSpan({ traceId: 'C', spanId: 'fx', parentSpanId: 'opc', name: 'gateway.fetch', start: at(505), end: at(506) }), // no subgraph: skipped
      ]),
    ];
    const records = await readTraceFiles([write('linked.jsonl', `${lines.join('\n')}\n`)]);
    expect(records.stats).toMatchObject({ files: 1, lines: 5, spans: 12, traces: 3, fetchesWithoutSubgraph: 1, fetchesWithoutOperation: 0 });
    expect(records.fetches).toEqual([
      { subgraph: 'posts', start: at(10), end: at(90), ok: true },
      { subgraph: 'media', start: at(210), end: at(250), ok: false },
      { subgraph: 'users', start: at(310), end: at(330), ok: true },
      { subgraph: 'users', start: at(505), end: at(535), ok: true },
    ]);
    expect(records.operations).toEqual([
      { start: at(0), end: at(100), fetches: [{ subgraph: 'posts', start: at(10), end: at(90), ok: true }] },
      { start: at(200), end: at(260), fetches: [{ subgraph: 'media', start: at(210), end: at(250), ok: false }] },
      { start: at(300), end: at(400), fetches: [{ subgraph: 'users', start: at(310), end: at(330), ok: true }] },
      { start: at(500), end: at(540), fetches: [{ subgraph: 'users', start: at(505), end: at(535), ok: true }] },
    ]);
    expect(records.firstStart).toBe(at(0));
  });
});

describe('npm run advise', () => {
  it('prints a table by default, hottest first, with each reason', async () => {
    const file = write('feed.jsonl', toOtlpLines(homeFeedOperations(1, 100, 20_000, { fromMs: T0 }), { seed: 2, subgraphSpans: true }));
    const { code, stdout, stderr } = await advise(['--input', file, '--replicas', 'posts=2,users=1']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^read 1 file: \d+ spans in \d+ traces; \d+ operations, \d+ subgraph fetches\n$/);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^Scaling advice at 2026-01-01T00:00:2\d\.\d{3}Z over the last 60 s of the traces$/);
    expect(lines[2]).toMatch(/^subgraph\s+replicas\s+req\/s\s+mean ms\s+p50 ms\s+p95 ms\s+p99 ms\s+in flight\s+errors\s+critical path$/);
    expect(lines[3]).toMatch(/^posts\s+2 -> 2\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d(\.\d)?\s+0%\s+\d+%$/);
    // 100/s × 88 ms ≈ 8.8 in flight: 1 replica would do, but 20 s of traces cannot justify a scale-down.
    expect(stdout).toMatch(/^posts: 2 -> 2 replicas; .*; scale-down to 1 waits for 300 s of lower advice$/m);
    expect(lines.filter((l) => / -> \d+ replicas; /.test(l)).map((l) => l.split(':')[0])).toEqual(['posts', 'media', 'users']);
  });

  it('reads several files, and uses --window and per-subgraph targets', async () => {
    const ops = homeFeedOperations(3, 200, 20_000, { fromMs: T0 });
    const first = write('part1.jsonl', toOtlpLines(ops.slice(0, 2000), { seed: 4 }));
    const second = write('part2.jsonl', toOtlpLines(ops.slice(2000), { seed: 5 }));
    const whole = JSON.parse((await advise(['--input', first, '--input', second, '--format', 'json', '--target-concurrency', '5,posts=2'])).stdout);
    const posts = whole.subgraphs.find((s: { subgraph: string }) => s.subgraph === 'posts');
    expect(posts.desiredReplicas).toBe(Math.ceil(posts.inflight / 2)); // 200/s × 88 ms = 17.6 → 9 at C* = 2
    expect(posts.reason).toContain('(target 2 per replica)');
    expect(whole.subgraphs.find((s: { subgraph: string }) => s.subgraph === 'users').reason).toContain('(target 5 per replica)');
    const last10s = JSON.parse((await advise(['--input', first, '--input', second, '--format', 'json', '--window', '10'])).stdout);
    expect(last10s.subgraphs[0].arrivalRate).not.toBe(whole.subgraphs[0].arrivalRate);
    expect(Math.abs(last10s.subgraphs[0].arrivalRate / 200 - 1)).toBeLessThan(0.1);
  });

  it('refuses bad usage with the usage text and exit code 2', async () => {
    const file = write('ok.jsonl', `${good()}\n`);
    const cases: [string[], RegExp][] = [
      [[], /--input is required/],
      [['--input', file, '--format', 'yaml'], /--format must be table, json or keda/],
      [['--input', file, '--window', '0'], /--window must be a whole number in 1\.\.3600/],
      [['--input', file, '--sample-ratio', '2'], /--sample-ratio must be in \(0, 1\]/],
      [['--input', file, '--replicas', 'posts=many'], /--replicas: "many" is not a number/],
      [['--input', file, '--replicas', '=3'], /--replicas: "=3" names no subgraph/],
      [['--input', file, '--bogus'], /Unknown option '--bogus'/],
      [['--input', file, '--out', dir], /--out applies to --format keda only/],
      [['--format', 'keda', '--input', file], /drop --input/],
      [[file], /Unexpected argument/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await advise(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(message);
      expect(stderr, args.join(' ')).toContain('usage: npm run advise');
    }
    const range = await advise(['--input', file, '--target-utilization', '1.5']);
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/targetUtilization \(ρ\*\) must be in \(0, 1\], got 1\.5/);
    expect((await advise(['--help'])).stdout).toContain('--target-concurrency');
  });

  it('exits 1 naming file and line for a bad trace file, and 2 for bad usage, as a process', async () => {
    const bad = write('bad.jsonl', `${good()}\n\nnot json\n`);
    const [badFile, badFlag] = await Promise.all([runAdviseCli(['--input', bad]), runAdviseCli(['--input', bad, '--target-concurrency'])]);
    expect(badFile.code).toBe(1);
    expect(badFile.stderr.trim()).toMatch(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: not JSON: `));
    expect(badFile.stdout).toBe('');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('usage: npm run advise');
  });
});
