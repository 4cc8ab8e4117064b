/**
 * Finished spans in a form that crosses to the export thread cheaply: each span one flat array of plain values
 * (structured-cloned by postMessage), resources and instrumentation scopes listed once per batch. The export
 * thread rebuilds objects with everything the OTLP serialisers read from a ReadableSpan.
 */
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import { TraceState, type InstrumentationScope } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

interface PlainContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: string;
}
interface PlainLink {
  context: PlainContext;
  attributes?: Attributes;
  droppedAttributesCount?: number;
}

type PlainSpan = [
  name: string,
  kind: SpanKind,
  context: PlainContext,
  parentSpanId: string | undefined,
  parentIsRemote: boolean | undefined,
  startTime: HrTime,
  endTime: HrTime,
  duration: HrTime,
  attributes: Attributes,
  droppedAttributesCount: number,
  events: TimedEvent[],
  droppedEventsCount: number,
  status: SpanStatus,
  links: PlainLink[],
  droppedLinksCount: number,
  resource: number,
  scope: number,
];

export interface SpanBatch {
  resources: { attributes: Attributes; schemaUrl?: string }[];
  scopes: InstrumentationScope[];
  spans: PlainSpan[];
}

const plainContext = (context: SpanContext): PlainContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  isRemote: context.isRemote,
  traceState: context.traceState?.serialize(),
});

/** On the application thread: only reads, no serialising. */
export function encodeSpans(spans: readonly ReadableSpan[]): SpanBatch {
  const batch: SpanBatch = { resources: [], scopes: [], spans: [] };
  const resources = new Map<Resource, number>();
  const scopes = new Map<InstrumentationScope, number>();
  for (const span of spans) {
    let resource = resources.get(span.resource);
    if (resource === undefined) {
      resources.set(span.resource, (resource = batch.resources.length));
      batch.resources.push({ attributes: span.resource.attributes, schemaUrl: span.resource.schemaUrl });
    }
    let scope = scopes.get(span.instrumentationScope);
    if (scope === undefined) {
      scopes.set(span.instrumentationScope, (scope = batch.scopes.length));
      const { name, version, schemaUrl } = span.instrumentationScope;
      batch.scopes.push({ name, version, schemaUrl });
    }
    batch.spans.push([
      span.name,
      span.kind,
      plainContext(span.spanContext()),
      span.parentSpanContext?.spanId,
      span.parentSpanContext?.isRemote,
      span.startTime,
      span.endTime,
      span.duration,
      span.attributes,
      span.droppedAttributesCount,
      span.events,
      span.droppedEventsCount,
      span.status,
      span.links.map((link) => ({ context: plainContext(link.context), attributes: link.attributes, droppedAttributesCount: link.droppedAttributesCount })),
      span.droppedLinksCount,
      resource,
      scope,
    ]);
  }
  return batch;
}

const spanContext = ({ traceState, ...context }: PlainContext): SpanContext => ({
  ...context,
  ...(traceState === undefined ? {} : { traceState: new TraceState(traceState) }),
});

/** On the export thread: ReadableSpans for the SDK's own OTLP exporter. */
export function decodeSpans(batch: SpanBatch): ReadableSpan[] {
  const resources = batch.resources.map(({ attributes, schemaUrl }) => resourceFromAttributes(attributes, { schemaUrl }));
  return batch.spans.map(
    ([
      name,
      kind,
      context,
      parentSpanId,
      parentIsRemote,
      startTime,
      endTime,
      duration,
      attributes,
      droppedAttributesCount,
      events,
      droppedEventsCount,
      status,
      links,
      droppedLinksCount,
      resource,
      scope,
    ]) => {
      const ownContext = spanContext(context);
      return {
        name,
        kind,
        spanContext: () => ownContext,
        parentSpanContext:
          parentSpanId === undefined ? undefined : { traceId: ownContext.traceId, spanId: parentSpanId, traceFlags: ownContext.traceFlags, isRemote: parentIsRemote },
        startTime,
        endTime,
        duration,
        ended: true,
        attributes,
        droppedAttributesCount,
        events,
        droppedEventsCount,
        status,
        links: links.map((link): Link => ({ ...link, context: spanContext(link.context) })),
        droppedLinksCount,
        resource: resources[resource],
        instrumentationScope: batch.scopes[scope],
      };
    },
  );
}
