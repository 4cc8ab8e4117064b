import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { Attr, HTTP_DURATION_BUCKETS, KitSpan, Metric } from '@crossfade/otel/names';
import type { CompiledQuery, QueryResult, RootOperationNode } from 'kysely';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DialectName } from './db.ts';

const tracer = trace.getTracer('@crossfade/kit');

/** This process's Prometheus registry: served on the subgraph's own /metrics. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const metrics = {
  httpRequests: new Counter({ name: Metric.HTTP_REQUESTS, help: 'HTTP requests answered, by route and status class', labelNames: ['route', 'status'], registers: [registry] }),
  httpDuration: new Histogram({
    name: Metric.HTTP_DURATION,
    help: 'HTTP request duration in seconds, by route',
    labelNames: ['route'],
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  }),
  sqlStatements: new Counter({ name: Metric.SQL_STATEMENTS, help: 'SQL statements executed, by operation', labelNames: ['operation', 'outcome'], registers: [registry] }),
  sqlDuration: new Histogram({
    name: Metric.SQL_DURATION,
    help: 'SQL statement duration in seconds',
    labelNames: ['operation'],
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  }),
  batchSize: new Histogram({
    name: Metric.DATALOADER_BATCH_SIZE,
    help: 'Keys per DataLoader batch, by loader',
    labelNames: ['loader'],
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [registry],
  }),
};

const OPERATIONS: Record<string, string> = {
  SelectQueryNode: 'SELECT',
  InsertQueryNode: 'INSERT',
  UpdateQueryNode: 'UPDATE',
  DeleteQueryNode: 'DELETE',
};

function tableOf(node: RootOperationNode): string | undefined {
  const name = (table: any) => table?.table?.identifier?.name ?? table?.identifier?.name;
  switch (node.kind) {
    case 'SelectQueryNode':
    case 'DeleteQueryNode': {
      const from = node.from?.froms[0] as any;
      return from?.kind === 'AliasNode' ? (name(from.node) ?? (from.node?.kind === 'SelectQueryNode' ? tableOf(from.node) : undefined)) : name(from);
    }
    case 'InsertQueryNode':
      return name(node.into);
    case 'UpdateQueryNode':
      return name(node.table);
    default:
      return undefined;
  }
}

/** The db.* attributes of a statement: its text keeps placeholders, never the values. */
function describe(query: CompiledQuery, dialect: DialectName) {
  const operation = OPERATIONS[query.query.kind] ?? query.sql.trimStart().split(/\s/, 1)[0].toUpperCase();
  const table = tableOf(query.query);
  return { operation, table };
}

function endWithError(span: Span, error: unknown) {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
  span.end();
}

/** One client span and one metric sample per SQL statement, the same for both engines. */
export function observeStatement<R>(query: CompiledQuery, dialect: DialectName, namespace: string, run: () => Promise<QueryResult<R>>): Promise<QueryResult<R>> {
  const { operation, table } = describe(query, dialect);
  const started = performance.now();
  const done = (outcome: string) => {
    metrics.sqlStatements.inc({ operation, outcome });
    metrics.sqlDuration.observe({ operation }, (performance.now() - started) / 1000);
  };
  // Statements outside a request (migrations, seeding) would each be a trace of their own: count them only.
  if (!trace.getActiveSpan()) {
    return run().then(
      (result) => (done('ok'), result),
      (error) => {
        done('error');
        throw error;
      },
    );
  }
  const span = tracer.startSpan(table ? `${operation} ${table}` : operation, {
    kind: SpanKind.CLIENT,
    attributes: {
      [Attr.DB_SYSTEM_NAME]: dialect === 'postgres' ? 'postgresql' : 'sqlite',
      [Attr.DB_OPERATION_NAME]: operation,
      ...(table ? { [Attr.DB_COLLECTION_NAME]: table } : {}),
      [Attr.DB_QUERY_TEXT]: query.sql,
      [Attr.DB_NAMESPACE]: namespace,
    },
  });
  return context.with(trace.setSpan(context.active(), span), run).then(
    (result) => {
      done('ok');
      span.end();
      return result;
    },
    (error) => {
      done('error');
      endWithError(span, error);
      throw error;
    },
  );
}

/** One span per DataLoader batch (not per load()), with its size. */
export function observeBatch<T>(loader: string, size: number, run: () => Promise<T>): Promise<T> {
  metrics.batchSize.observe({ loader }, size);
  if (!trace.getActiveSpan()) return run();
  return tracer.startActiveSpan(KitSpan.dataloaderBatch(loader), { attributes: { [Attr.DATALOADER_NAME]: loader, [Attr.DATALOADER_BATCH_SIZE]: size } }, (span) =>
    run().then(
      (result) => {
        span.end();
        return result;
      },
      (error) => {
        endWithError(span, error);
        throw error;
      },
    ),
  );
}
