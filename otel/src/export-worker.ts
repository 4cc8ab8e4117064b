/**
 * The export thread (export-thread.ts): rebuilds each batch's spans and sends them with the SDK's OTLP exporter,
 * http/protobuf or http/json as OTEL_EXPORTER_OTLP_TRACES_PROTOCOL / OTEL_EXPORTER_OTLP_PROTOCOL say; the
 * exporter reads its endpoint, headers and timeout from the same variables as it would on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { messageOf, routeDiagnostics, type Report } from './diagnostics.ts';
import type { FromExportThread, ToExportThread } from './export-thread.ts';
import { decodeSpans } from './span-transfer.ts';

if (!parentPort) throw new Error('export-worker runs as the worker thread of ThreadSpanExporter');
const port = parentPort;
const send = (message: FromExportThread) => port.postMessage(message);

// Logged once by the main thread.
const report: Report = (kind, message) => send({ type: 'report', kind, message });
routeDiagnostics(report);

function exporter() {
  const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf';
  if (protocol === 'http/json') return new OTLPJsonTraceExporter();
  if (protocol !== 'http/protobuf') report('configuration', `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported; using http/protobuf`);
  return new OTLPProtoTraceExporter();
}
const otlp = exporter();

port.on('message', (message: ToExportThread) => {
  const done = (error?: unknown) => send({ type: 'done', id: message.id, error: error === undefined ? undefined : messageOf(error) });
  try {
    if (message.type === 'export') {
      otlp.export(decodeSpans(message.batch), (result) => done(result.code === ExportResultCode.SUCCESS ? undefined : (result.error ?? 'export failed')));
    } else {
      (message.type === 'flush' ? otlp.forceFlush() : otlp.shutdown()).then(() => done(), done);
    }
  } catch (error) {
    done(error);
  }
});
