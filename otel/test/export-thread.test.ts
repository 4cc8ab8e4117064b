/**
 * Spans exported from a worker thread: what crosses to it rebuilds spans that the SDK's own OTLP serialisers
 * turn into the very same bytes, and the exporter sends, reports failures and stops without hanging.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { ExportResultCode, TraceState, type ExportResult } from '@opentelemetry/core';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../../test/support/otlp-receiver.ts';
import { ThreadSpanExporter } from '../src/export-thread.ts';
import { decodeSpans, encodeSpans } from '../src/span-transfer.ts';

/** Spans with every field a ReadableSpan has set to something other than its default. */
function sampleSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'gateway', 'service.version': '1.2.3', 'host.cores': 2 }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const gateway = provider.getTracer('@apollo/gateway', '2.14.4');
  const kit = provider.getTracer('crossfade-kit', undefined, { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' });
  const remoteParent = {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=a1,other=b2'),
  };
  const root: Span = gateway.startSpan(
    'gateway.request',
    {
      kind: SpanKind.SERVER,
      attributes: { 'graphql.operation.name': 'HomeFeed', 'http.response.status_code': 200, ratio: 0.25, cached: false, 'subgraph.names': ['posts', 'users'], counts: [1, 2, 3] },
      links: [{ context: remoteParent, attributes: { 'link.reason': 'retry' } }],
    },
    // A remote parent, as when a client sends traceparent.
    trace.setSpanContext(ROOT_CONTEXT, remoteParent),
  );
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'subgraph "posts" did not answer' }, [1_700_000_000, 5]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'GATEWAY_TIMEOUT' });
  const child = kit.startSpan('dataloader.batch user', { kind: SpanKind.INTERNAL, attributes: { 'dataloader.batch.size': 17 } });
  child.end();
  const client = gateway.startSpan('POST', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 123_456_789] });
  client.end([1_700_000_001, 987_654_321]);
  root.end();
  return memory.getFinishedSpans();
}

describe('span-transfer', () => {
  it('rebuilds spans that serialise to the same OTLP protobuf and JSON bytes as the originals', () => {
    const spans = sampleSpans();
    // What postMessage does to the batch on its way to the worker.
    const rebuilt = decodeSpans(structuredClone(encodeSpans(spans)));
    expect(rebuilt).toHaveLength(spans.length);
    const protobuf = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(Buffer.from(ProtobufTraceSerializer.serializeRequest(rebuilt)!).equals(Buffer.from(protobuf))).toBe(true);
    expect(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(rebuilt))).toBe(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)));
    // The fields that ought to differ from one span to the next do.
    const json = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(rebuilt)));
    expect(json.resourceSpans).toHaveLength(1);
    expect(json.resourceSpans[0].scopeSpans.map((s: { scope: { name: string } }) => s.scope.name).sort()).toEqual(['@apollo/gateway', 'crossfade-kit']);
    const request = json.resourceSpans[0].scopeSpans.flatMap((s: { spans: unknown[] }) => s.spans).find((s: { name: string }) => s.name === 'gateway.request');
    expect(request.links[0].traceState).toBe('vendor=a1,other=b2');
    expect(request.events[0].name).toBe('exception');
    expect(request.status).toEqual({ code: SpanStatusCode.ERROR, message: 'GATEWAY_TIMEOUT' });
  });
});

describe('ThreadSpanExporter', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  /** The exporter copies the environment when it is made; its worker's OTLP exporter reads the settings there. */
  function exporterFor(env: Record<string, string>) {
    const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
    Object.assign(process.env, env);
    const reports: string[] = [];
    try {
      return { exporter: new ThreadSpanExporter((kind, message) => reports.push(`${kind}: ${message}`)), reports };
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }
  const exportOnce = (exporter: ThreadSpanExporter, spans: ReadableSpan[]) => new Promise<ExportResult>((resolve) => exporter.export(spans, resolve));

  it('sends each batch from the worker with the protocol and endpoint of the environment', async () => {
    const { exporter, reports } = exporterFor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    try {
      const spans = sampleSpans();
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      const received = receiver.spans.filter((s) => spans.some((span) => span.spanContext().spanId === s.spanId));
      expect(received.map((s) => s.name).sort()).toEqual(spans.map((s) => s.name).sort());
      const request = received.find((s) => s.name === 'gateway.request')!;
      expect(request.parentSpanId).toBe('00f067aa0ba902b7');
      expect(request.resource).toMatchObject({ 'service.name': 'gateway', 'service.version': '1.2.3' });
      expect(request.attributes).toMatchObject({ 'graphql.operation.name': 'HomeFeed', 'http.response.status_code': 200, ratio: 0.25, cached: false });
      expect(reports).toEqual([]);
    } finally {
      await exporter.shutdown();
    }
  });

  it('reports a refused endpoint as a failed export, and an unsupported protocol once', async () => {
    const { exporter, reports } = exporterFor({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
    try {
      const result = await exportOnce(exporter, sampleSpans());
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(result.error?.message).toMatch(/ECONNREFUSED|connect|timeout/i);
      expect(reports.filter((r) => r.startsWith('configuration'))).toEqual(['configuration: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported; using http/protobuf']);
    } finally {
      await exporter.shutdown();
    }
  }, 20_000);

  it('fails a batch that cannot be handed over without losing the exporter, and fails fast once shut down', async () => {
    const { exporter } = exporterFor({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const [span] = sampleSpans();
    // Not something the SDK lets through, but a hand-made span could carry it.
    const unclonable = { ...span, spanContext: () => span.spanContext(), attributes: { callback: () => {} } } as unknown as ReadableSpan;
    const failed = await exportOnce(exporter, [unclonable]);
    expect(failed.code).toBe(ExportResultCode.FAILED);
    expect((await exportOnce(exporter, [span])).code).toBe(ExportResultCode.SUCCESS);
    await exporter.shutdown();
    const afterShutdown = await exportOnce(exporter, [span]);
    expect(afterShutdown.code).toBe(ExportResultCode.FAILED);
    expect(afterShutdown.error?.message).toMatch(/shut down/);
  });

  it('restarts a worker that dies: the batch it held fails, later ones are sent, and a worker that keeps dying is restarted after a pause', async () => {
    // An OTLP endpoint that holds requests while `hold` is set, so that a batch is still in the worker when it dies.
    let hold = false;
    const held: http.ServerResponse[] = [];
    const endpoint = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => (hold ? held.push(res) : res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
    // Node announces every worker it starts: the test's handle on the exporter's.
    const workers: Worker[] = [];
    const onWorker = (worker: Worker) => workers.push(worker);
    process.on('worker', onWorker);
    const { exporter, reports } = exporterFor({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    });
    try {
      const spans = sampleSpans();
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect(workers).toHaveLength(1);

      hold = true;
      const inFlight = exportOnce(exporter, spans);
      while (held.length === 0) await sleep(10);
      await workers[0].terminate();
      const lost = await inFlight;
      expect(lost.code).toBe(ExportResultCode.FAILED);
      expect(lost.error?.message).toBe('the export thread stopped (exit code 1)');
      hold = false;
      // Restarted at once the first time.
      expect((await exportOnce(exporter, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect(workers).toHaveLength(2);

      // Dying again soon after its start: the next one starts after a pause, and exports fail at once until then.
      await workers[1].terminate();
      const pausedAt = Date.now();
      const meanwhile = await exportOnce(exporter, spans);
      expect(meanwhile.code).toBe(ExportResultCode.FAILED);
      expect(meanwhile.error?.message).toMatch(/export thread stopped/);
      let result = meanwhile;
      while (result.code !== ExportResultCode.SUCCESS && Date.now() - pausedAt < 5_000) {
        await sleep(50);
        result = await exportOnce(exporter, spans);
      }
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(900);
      expect(workers).toHaveLength(3);
      expect(reports).toEqual(['error: the export thread stopped (exit code 1); restarting it', 'error: the export thread stopped (exit code 1); restarting it in 1 s']);
    } finally {
      await exporter.shutdown();
      process.off('worker', onWorker);
      for (const res of held) res.destroy();
      endpoint.close();
    }
    // Shut down for good: no worker is started after it.
    await sleep(100);
    expect(workers).toHaveLength(3);
    expect((await exportOnce(exporter, sampleSpans())).error?.message).toMatch(/shut down/);
  }, 20_000);
});
