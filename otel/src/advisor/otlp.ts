/**
 * Reads OTLP/JSON trace files as the OpenTelemetry Collector's file exporter writes them (one
 * ExportTraceServiceRequest JSON object per line) and reconstructs, per trace, each operation and the
 * subgraph fetches of its plan: the records the gateway would have given the live advisor.
 *
 * - An operation is a `gateway.request` span. Traces without one fall back to the gateway's root HTTP server
 *   span (the topmost ancestor of the fetches within the gateway's service).
 * - A fetch is a `gateway.fetch` span; its subgraph is the attribute `service` (set by @apollo/gateway) or
 *   `subgraph.name`; it failed if its status code is ERROR.
 * - A fetch belongs to the operation among its ancestors (one trace may hold several operations when a
 *   client propagates one trace id across requests); with its parents missing from the file, to the trace's
 *   only operation, if it has exactly one.
 * Only the gateway's spans are kept in memory (compactly), so subgraph and SQL spans cost nothing.
 * Times keep microsecond resolution (nanoseconds as strings are converted exactly down to microseconds).
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { Attr, GatewaySpan } from '../names.ts';
import type { FetchRecord, OperationRecord } from './advisor.ts';
import type { TimedFetch } from './critical-path.ts';

/** A trace file that cannot be read as OTLP/JSON; the message starts with `file:line:`. */
export class TraceFileError extends Error {
  override name = 'TraceFileError';
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    // Line 0: the file as a whole (it cannot be opened).
    super(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
  }
}

export interface TraceRecords {
  fetches: FetchRecord[];
  operations: OperationRecord[];
  /** The earliest span start seen, in ms: observation began there. */
  firstStart: number | null;
  lastEnd: number | null;
  stats: { files: number; lines: number; spans: number; traces: number; fetchesWithoutOperation: number; fetchesWithoutSubgraph: number };
}

const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;
const GATEWAY_SERVICE = 'gateway';

interface CompactSpan {
  spanId: string;
  parentSpanId: string;
  name: string;
  service: string;
  kind: number;
  start: number;
  end: number;
  subgraph: string | null;
  error: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An OTLP AnyValue as a string, for the attributes we read (strings, or numbers some SDKs write). */
function anyValueString(value: unknown): string | null {
  if (!isObject(value)) return null;
  for (const key of ['stringValue', 'intValue', 'doubleValue', 'boolValue'] as const) {
    if (value[key] !== undefined && value[key] !== null) return String(value[key]);
  }
  return null;
}

function attribute(attributes: unknown, key: string): string | null {
  if (!Array.isArray(attributes)) return null;
  for (const attr of attributes) if (isObject(attr) && attr.key === key) return anyValueString(attr.value);
  return null;
}

/** Unix nanoseconds (a decimal string, or a number from some writers) to milliseconds at microsecond resolution. */
function nanosToMs(value: unknown): number | null {
  let nanos: bigint;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) nanos = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) nanos = BigInt(value);
  else return null;
  // Integer microseconds fit a double exactly; dividing once more keeps the result the closest double.
  return Number(nanos / 1000n) / 1000;
}

function enumCode(value: unknown, names: Record<string, number>): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return 0;
  const number = names[value] ?? Number(value);
  return Number.isFinite(number) ? number : 0;
}

const STATUS_CODES = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const SPAN_KINDS = { SPAN_KIND_UNSPECIFIED: 0, SPAN_KIND_INTERNAL: 1, SPAN_KIND_SERVER: 2, SPAN_KIND_CLIENT: 3, SPAN_KIND_PRODUCER: 4, SPAN_KIND_CONSUMER: 5 };

class TraceCollector {
  readonly traces = new Map<string, CompactSpan[]>();
  /** Services that emitted gateway.* spans: their other spans (the root HTTP server span) are the gateway's too. */
  readonly gatewayServices = new Set([GATEWAY_SERVICE]);
  spans = 0;

  /** Adds the spans of one line; throws a plain Error whose message the caller locates. */
  addRequest(request: unknown): void {
    if (!isObject(request)) throw new Error('expected an ExportTraceServiceRequest JSON object');
    const resourceSpans = request.resourceSpans ?? request.resource_spans;
    if (!Array.isArray(resourceSpans)) throw new Error('not an ExportTraceServiceRequest: `resourceSpans` is missing or not an array');
    resourceSpans.forEach((rs, i) => {
      if (!isObject(rs)) throw new Error(`resourceSpans[${i}] is not an object`);
      const service = attribute(isObject(rs.resource) ? rs.resource.attributes : undefined, 'service.name') ?? 'unknown_service';
      const scopes = rs.scopeSpans ?? rs.scope_spans ?? rs.instrumentationLibrarySpans ?? [];
      if (!Array.isArray(scopes)) throw new Error(`resourceSpans[${i}].scopeSpans is not an array`);
      scopes.forEach((scope, j) => {
        const spans = isObject(scope) ? scope.spans : undefined;
        if (spans === undefined) return;
        if (!Array.isArray(spans)) throw new Error(`resourceSpans[${i}].scopeSpans[${j}].spans is not an array`);
        spans.forEach((span, k) => this.#addSpan(span, service, `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`));
      });
    });
  }

  #addSpan(span: unknown, service: string, where: string): void {
    if (!isObject(span)) throw new Error(`${where} is not an object`);
    this.spans += 1;
    const name = span.name;
    if (typeof name !== 'string') throw new Error(`${where}: \`name\` is missing`);
    if (name.startsWith('gateway.')) this.gatewayServices.add(service);
    else if (!this.gatewayServices.has(service)) return;
    const traceId = span.traceId ?? span.trace_id;
    const spanId = span.spanId ?? span.span_id;
    if (typeof traceId !== 'string' || traceId === '') throw new Error(`${where} (${name}): \`traceId\` is missing`);
    if (typeof spanId !== 'string' || spanId === '') throw new Error(`${where} (${name}): \`spanId\` is missing`);
    const start = nanosToMs(span.startTimeUnixNano ?? span.start_time_unix_nano);
    const end = nanosToMs(span.endTimeUnixNano ?? span.end_time_unix_nano);
    if (start === null) throw new Error(`${where} (${name}): \`startTimeUnixNano\` is not a count of nanoseconds`);
    if (end === null) throw new Error(`${where} (${name}): \`endTimeUnixNano\` is not a count of nanoseconds`);
    if (end < start) throw new Error(`${where} (${name}): ends before it starts`);
    const parent = span.parentSpanId ?? span.parent_span_id;
    const compact: CompactSpan = {
      spanId,
      parentSpanId: typeof parent === 'string' ? parent : '',
      name,
      service,
      kind: enumCode(span.kind, SPAN_KINDS),
      start,
      end,
      subgraph: name === GatewaySpan.FETCH ? (attribute(span.attributes, Attr.GATEWAY_SERVICE) ?? attribute(span.attributes, Attr.SUBGRAPH_NAME)) : null,
      error: isObject(span.status) && enumCode(span.status.code, STATUS_CODES) === STATUS_ERROR,
    };
    const trace = this.traces.get(traceId);
    if (trace) trace.push(compact);
    else this.traces.set(traceId, [compact]);
  }
}

/** The operation span a fetch belongs to, by walking up its parents. */
function operationOf(fetch: CompactSpan, byId: Map<string, CompactSpan>, operations: CompactSpan[]): CompactSpan | null {
  let topmost: CompactSpan | null = null;
  let current = byId.get(fetch.parentSpanId);
  // Bounded: a malformed file could hold a parent cycle.
  for (let depth = 0; current && depth < 64; depth++) {
    if (current.name === GatewaySpan.REQUEST) return current;
    if (current.service === fetch.service) topmost = current;
    current = byId.get(current.parentSpanId);
  }
  // The chain is broken (parents missing from the file): the trace's only operation, if it has one.
  if (operations.length === 1) return operations[0];
  // No gateway.request in the trace: the gateway's root HTTP server span stands for the operation.
  if (operations.length === 0 && topmost?.kind === SPAN_KIND_SERVER) return topmost;
  return null;
}

function reconstruct(collector: TraceCollector, into: TraceRecords): void {
  for (const spans of collector.traces.values()) {
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const operations = spans.filter((span) => span.name === GatewaySpan.REQUEST);
    const plans = new Map<CompactSpan, TimedFetch[]>(operations.map((op) => [op, []]));
    for (const span of spans) {
      into.firstStart = into.firstStart === null ? span.start : Math.min(into.firstStart, span.start);
      into.lastEnd = into.lastEnd === null ? span.end : Math.max(into.lastEnd, span.end);
      if (span.name !== GatewaySpan.FETCH) continue;
      if (!span.subgraph) {
        into.stats.fetchesWithoutSubgraph += 1;
        continue;
      }
      const fetch = { subgraph: span.subgraph, start: span.start, end: span.end, ok: !span.error };
      into.fetches.push(fetch);
      const operation = operationOf(span, byId, operations);
      if (!operation) {
        into.stats.fetchesWithoutOperation += 1;
        continue;
      }
      const plan = plans.get(operation);
      if (plan) plan.push(fetch);
      else plans.set(operation, [fetch]);
    }
    for (const [operation, fetches] of plans) into.operations.push({ start: operation.start, end: operation.end, fetches });
  }
}

/** Reads OTLP/JSON trace files line by line. Throws TraceFileError naming the file and line of the first problem. */
export async function readTraceFiles(files: readonly string[]): Promise<TraceRecords> {
  const records: TraceRecords = {
    fetches: [],
    operations: [],
    firstStart: null,
    lastEnd: null,
    stats: { files: files.length, lines: 0, spans: 0, traces: 0, fetchesWithoutOperation: 0, fetchesWithoutSubgraph: 0 },
  };
  const collector = new TraceCollector();
  for (const file of files) {
    const name = file;
    let stream: fs.ReadStream;
    try {
      const fd = fs.openSync(file, 'r');
      const head = Buffer.alloc(4);
      const read = fs.readSync(fd, head, 0, 4, 0);
      fs.closeSync(fd);
      if (read >= 2 && head[0] === 0x1f && head[1] === 0x8b) throw new TraceFileError(name, 1, 'gzip-compressed; decompress it first (expected OTLP/JSON lines)');
      if (read >= 4 && head.readUInt32LE(0) === 0xfd2fb528) throw new TraceFileError(name, 1, 'zstd-compressed; decompress it first (expected OTLP/JSON lines)');
      stream = fs.createReadStream(file, { encoding: 'utf8' });
    } catch (error) {
      if (error instanceof TraceFileError) throw error;
      throw new TraceFileError(name, 0, `cannot read: ${(error as Error).message}`);
    }
    let line = 0;
    let requests = 0;
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const text of lines) {
        line += 1;
        if (text.trim() === '') continue;
        let request: unknown;
        try {
          request = JSON.parse(text);
        } catch (error) {
          throw new TraceFileError(name, line, `not JSON: ${(error as Error).message}`);
        }
        try {
          collector.addRequest(request);
        } catch (error) {
          throw new TraceFileError(name, line, (error as Error).message);
        }
        requests += 1;
      }
    } finally {
      lines.close();
      stream.destroy();
    }
    records.stats.lines += line;
    if (requests === 0) throw new TraceFileError(name, Math.max(1, line), 'empty: expected one OTLP/JSON ExportTraceServiceRequest per line');
  }
  records.stats.spans = collector.spans;
  records.stats.traces = collector.traces.size;
  reconstruct(collector, records);
  return records;
}
