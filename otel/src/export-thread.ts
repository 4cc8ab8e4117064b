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
function startWorker(env: NodeJS.ProcessEnv): Worker {
  const options = { name: 'otel-export', execArgv: [], env };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./export-worker.js', import.meta.url), options);
  const entry = JSON.stringify(new URL('./export-worker.ts', import.meta.url).href);
  return new Worker(`import('tsx/esm/api').then(({ tsImport }) => tsImport(${entry}, ${JSON.stringify(import.meta.url)}))`, { ...options, eval: true });
}

/** A worker that dies again within this long of its start is restarted after a pause: 1 s, doubling up to a minute. */
const CRASH_LOOP_MS = 10_000;
const FIRST_PAUSE_MS = 1_000;
const MAX_PAUSE_MS = 60_000;

export class ThreadSpanExporter implements SpanExporter {
  readonly #report: Report;
  /** Every worker, restarts too, sees the environment as it was when the exporter was made. */
  readonly #env = { ...process.env };
  #worker!: Worker;
  #startedAt = 0;
  /** Deaths in a row, each within CRASH_LOOP_MS of its start. */
  #quickDeaths = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #pending = new Map<number, (error?: Error) => void>();
  #nextId = 0;
  /** Why exports fail at once: the worker is down until its restart, or for good after shutdown. */
  #down: Error | undefined;
  #shutDown = false;

  /** `report` gets the export thread's warnings (bad settings, failed sends), to log them once. */
  constructor(report: Report) {
    this.#report = report;
    this.#start();
  }

  #start() {
    if (this.#shutDown) return;
    // The OTLP exporter there reads the same OTEL_EXPORTER_OTLP_* settings as it would on this thread.
    const worker = startWorker(this.#env);
    this.#worker = worker;
    this.#startedAt = Date.now();
    this.#down = undefined;
    worker.unref();
    let failure: Error | undefined;
    worker.on('message', (message: FromExportThread) => {
      if (message.type === 'report') this.#report(message.kind, message.message);
      else this.#settle(message.id, message.error === undefined ? undefined : new Error(message.error));
    });
    worker.on('error', (error) => (failure = error));
    worker.on('exit', (code) => {
      if (this.#shutDown) return;
      this.#lost(new Error(`the export thread stopped (${failure ? failure.message : `exit code ${code}`})`));
    });
  }

  /**
   * The worker died (an uncaught error, a crash): the batches it held fail, and a new one is started, at once
   * unless it keeps dying soon after starting. Exports in between fail at once; the BatchSpanProcessor drops
   * failed batches, as it does while a collector is down.
   */
  #lost(error: Error) {
    this.#down = error;
    for (const id of [...this.#pending.keys()]) this.#settle(id, error);
    this.#quickDeaths = Date.now() - this.#startedAt < CRASH_LOOP_MS ? this.#quickDeaths + 1 : 0;
    const pause = this.#quickDeaths < 2 ? 0 : Math.min(FIRST_PAUSE_MS * 2 ** (this.#quickDeaths - 2), MAX_PAUSE_MS);
    this.#report('error', `${error.message}; restarting it${pause ? ` in ${pause / 1000} s` : ''}`);
    if (pause === 0) this.#start();
    else this.#restartTimer = setTimeout(() => this.#start(), pause).unref();
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
    if (this.#shutDown) return;
    try {
      if (!this.#down) await this.#call({ type: 'shutdown' });
    } finally {
      this.#shutDown = true;
      this.#down = new Error('the span exporter is shut down');
      clearTimeout(this.#restartTimer);
      await this.#worker.terminate();
    }
  }

  #call(message: Request): Promise<void> {
    if (this.#down) return Promise.reject(this.#down);
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
}
