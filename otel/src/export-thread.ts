/**
 * A span exporter that hands each batch to a worker thread running the SDK's own OTLP exporter. Serialising
 * spans to protobuf (or JSON) and sending them cost the thread that serves requests about 5 µs per span; handing
 * a batch over (span-transfer.ts, then postMessage's structured clone) 1–2.
 */
import { Worker } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Report } from './diagnostics.ts';
import { encodeSpans, type SpanBatch } from './span-transfer.ts';

type Request = { type: 'export'; batch: SpanBatch } | { type: 'flush' } | { type: 'shutdown' };
export type ToExportThread = Request & { id: number };
export type FromExportThread = { type: 'done'; id: number; error?: string } | { type: 'report'; kind: Parameters<Report>[0]; message: string };

/**
 * The worker runs export-worker.js next to this module once built. It gets none of this process's node options:
 * they hold the --import of register.ts. From the sources (tsx) it registers tsx itself, since Node 20 applies
 * no module hooks to worker threads.
 */
function startWorker(): Worker {
  const options = { name: 'otel-export', execArgv: [] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./export-worker.js', import.meta.url), options);
  const entry = JSON.stringify(new URL('./export-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${entry}, ${JSON.stringify(import.meta.url)}))`, { ...options, eval: true });
}

export class ThreadSpanExporter implements SpanExporter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (error?: Error) => void>();
  #nextId = 0;
  #stopped: Error | undefined;

  /** `report` gets the export thread's warnings (bad settings, failed sends), to log them once. */
  constructor(report: Report) {
    // The worker sees the same environment, so the OTLP exporter there reads the same OTEL_EXPORTER_OTLP_* settings.
    this.#worker = startWorker();
    this.#worker.unref();
    this.#worker.on('message', (message: FromExportThread) => {
      if (message.type === 'report') report(message.kind, message.message);
      else this.#settle(message.id, message.error === undefined ? undefined : new Error(message.error));
    });
    this.#worker.on('error', (error) => this.#stop(new Error(`the export thread failed: ${error.message}`)));
    this.#worker.on('exit', (code) => this.#stop(new Error(`the export thread stopped (exit code ${code})`)));
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.#call({ type: 'export', batch: encodeSpans(spans) }).then(
      () => done({ code: ExportResultCode.SUCCESS }),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  forceFlush(): Promise<void> {
    return this.#call({ type: 'flush' });
  }

  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#call({ type: 'shutdown' });
    } finally {
      this.#stopped = new Error('the span exporter is shut down');
      await this.#worker.terminate();
    }
  }

  #call(message: Request): Promise<void> {
    if (this.#stopped) return Promise.reject(this.#stopped);
    const id = this.#nextId++;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, (error) => (error ? reject(error) : resolve()));
      // While a batch is on its way the process stays up, as it would for the in-thread exporter's request.
      if (this.#pending.size === 1) this.#worker.ref();
      try {
        this.#worker.postMessage({ ...message, id } satisfies ToExportThread);
      } catch (error) {
        this.#settle(id, error as Error);
      }
    });
  }

  #settle(id: number, error?: Error) {
    const settle = this.#pending.get(id);
    if (!settle) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    settle(error);
  }

  #stop(error: Error) {
    if (this.#stopped) return;
    this.#stopped = error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, error);
  }
}
