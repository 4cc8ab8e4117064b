/**
 * Crossfade's HTTP spans: a SERVER span for each request a service answers (continuing the caller's W3C trace
 * context) and a CLIENT span for each request the gateway sends to a subgraph (carrying the trace context on).
 *
 * Each request answered also gets its trace context (`requestTrace`), which its response and log lines carry:
 * the server span's ids when the SDK runs; without an SDK, ids read off the caller's `traceparent` (a new span id
 * for this hop, the caller's sampled flag) or made up here (flag 00: nothing recorded), carried on to subgraphs
 * by `traceOutgoing`, so clients and logs have trace ids with tracing off too.
 *
 * Made here rather than by @opentelemetry/instrumentation-http and -undici: server spans named after their route,
 * no `url.query` (a GET operation's query string holds its variables), no spans for probes, nothing patching
 * node:http or binding each request's event emitters to the context. (Throughput side by side could not tell the
 * two apart: docs/PERFORMANCE.md.) With no SDK started both run against the API's no-op tracer and propagator,
 * and neither ever throws into a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  defaultTextMapGetter,
  diag,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import { Attr } from './names.ts';

const tracer = trace.getTracer('@crossfade/otel/http');

/** The trace context of each request being answered (see requestTrace). */
const requestTraces = new WeakMap<IncomingMessage, SpanContext>();
/** Without an SDK the API's propagator is a no-op: the W3C header is read and written with these instead. */
const w3c = new W3CTraceContextPropagator();
const ids = new RandomIdGenerator();

/**
 * The trace context of a request this service is answering, for its response (`traceresponse`,
 * `extensions.traceId`) and its log lines; undefined for probes and scrapes, which are never traced.
 */
export function requestTrace(req: IncomingMessage): SpanContext | undefined {
  return requestTraces.get(req);
}

/** The trace flags as W3C writes them: two hex digits, only the sampled bit kept ("00" or "01"). */
export function traceFlagsHex({ traceFlags }: SpanContext): string {
  return `0${(traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/** A W3C `traceparent` value; the same form is a `traceresponse` value. */
export function traceparentOf(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${traceFlagsHex(context)}`;
}

/**
 * Ids for a request no span was made for (no SDK): the caller's trace id, sampled flag and `tracestate`, or a new
 * trace.
 */
function unrecordedContext(req: IncomingMessage): SpanContext {
  const caller = trace.getSpanContext(w3c.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter));
  return caller
    ? { traceId: caller.traceId, spanId: ids.generateSpanId(), traceFlags: caller.traceFlags & TraceFlags.SAMPLED, traceState: caller.traceState, isRemote: false }
    : { traceId: ids.generateTraceId(), spanId: ids.generateSpanId(), traceFlags: TraceFlags.NONE, isRemote: false };
}

/** Probes and scrapes are never traced: they would bury the operations. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

function methodAttributes(method: string): Attributes {
  return KNOWN_METHODS.has(method) ? { [Attr.HTTP_REQUEST_METHOD]: method } : { [Attr.HTTP_REQUEST_METHOD]: '_OTHER', [Attr.HTTP_REQUEST_METHOD_ORIGINAL]: method };
}

/** The host of a Host header, without port or IPv6 brackets: `[::1]:4000`, `example.com:4000`, `example.com`. */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('[')) return header.slice(1, Math.max(1, header.indexOf(']')));
  const colon = header.indexOf(':');
  return colon > 0 ? header.slice(0, colon) : header;
}

/** Telemetry never breaks a request: a failure here is reported (once, by register.ts's logger) and the request goes on untraced. */
function dropped(where: string, error: unknown) {
  diag.error(`${where}: ${(error as Error)?.message ?? String(error)}`);
}

/**
 * Runs `handle` inside a SERVER span for `req`, a child of the caller's `traceparent` if it sent one. The span is
 * named `METHOD route` when the path is one of `routes` (just `METHOD` otherwise, keeping names few) and ends
 * when the response is finished or the connection closes.
 */
export function traceIncoming(req: IncomingMessage, res: ServerResponse, path: string, routes: ReadonlySet<string>, handle: () => Promise<void>): Promise<void> {
  if (UNTRACED_PATHS.has(path)) return handle();
  let span: Span;
  let active: ReturnType<typeof context.active>;
  try {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const route = routes.has(path) ? path : undefined;
    const socket = req.socket;
    span = tracer.startSpan(
      route ? `${method} ${route}` : method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          ...methodAttributes(method),
          [Attr.URL_SCHEME]: 'http',
          [Attr.URL_PATH]: path,
          ...(route && { [Attr.HTTP_ROUTE]: route }),
          [Attr.SERVER_ADDRESS]: hostOf(req.headers.host),
          [Attr.SERVER_PORT]: socket.localPort,
          [Attr.NETWORK_PEER_ADDRESS]: socket.remoteAddress,
          [Attr.NETWORK_PEER_PORT]: socket.remotePort,
          [Attr.NETWORK_PROTOCOL_VERSION]: req.httpVersion,
          [Attr.USER_AGENT_ORIGINAL]: req.headers['user-agent'],
        },
      },
      parent,
    );
    active = trace.setSpan(parent, span);
    // With no SDK running the API's tracer makes no span and has no ids of its own.
    const own = span.spanContext();
    requestTraces.set(req, isSpanContextValid(own) ? own : unrecordedContext(req));
  } catch (error) {
    dropped('HTTP server span', error);
    return handle();
  }
  if (span.isRecording()) {
    res.once('close', () => {
      const status = res.statusCode;
      span.setAttribute(Attr.HTTP_RESPONSE_STATUS_CODE, status);
      if (!res.writableFinished) {
        span.setAttribute(Attr.ERROR_TYPE, 'connection_closed');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response was sent' });
      } else if (status >= 500) {
        // Server spans count 5xx as errors, not 4xx (the client's fault).
        span.setAttribute(Attr.ERROR_TYPE, String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    });
  }
  return context.with(active, handle);
}

export interface OutgoingRequest {
  method: string;
  /** Its origin and path (never credentials or query) make `url.full`; host and port the server address. */
  url: URL;
  headers: Record<string, string>;
}

/**
 * Runs `send` inside a CLIENT span for one outgoing request, giving it the headers with `traceparent` (and
 * `tracestate`, baggage) added; `send` resolves to the response status. The caller's headers are left as they were.
 * With no SDK running no span is made and `traceparent` (and `tracestate`) carry `onBehalfOf`, the trace context
 * of the request being answered (requestTrace), when given.
 */
export async function traceOutgoing<T extends { status: number }>(
  request: OutgoingRequest,
  send: (headers: Record<string, string>) => Promise<T>,
  onBehalfOf?: SpanContext,
): Promise<T> {
  let span: Span | undefined;
  let headers = request.headers;
  try {
    const { method, url } = request;
    span = tracer.startSpan(KNOWN_METHODS.has(method) ? method : 'HTTP', {
      kind: SpanKind.CLIENT,
      attributes: {
        ...methodAttributes(method),
        [Attr.SERVER_ADDRESS]: url.hostname,
        [Attr.SERVER_PORT]: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
        [Attr.URL_FULL]: url.origin + url.pathname,
      },
    });
    if (isSpanContextValid(span.spanContext())) {
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), carrier);
      headers = { ...headers, ...carrier };
    } else if (onBehalfOf) {
      const state = onBehalfOf.traceState?.serialize();
      headers = { ...headers, traceparent: traceparentOf(onBehalfOf), ...(state && { tracestate: state }) };
    }
  } catch (error) {
    dropped('HTTP client span', error);
    span = undefined;
  }
  if (!span?.isRecording()) return send(headers);
  try {
    const answer = await send(headers);
    span.setAttribute(Attr.HTTP_RESPONSE_STATUS_CODE, answer.status);
    if (answer.status >= 400) {
      // Client spans count every 4xx and 5xx as errors.
      span.setAttribute(Attr.ERROR_TYPE, String(answer.status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    return answer;
  } catch (error) {
    span.setAttribute(Attr.ERROR_TYPE, (error as NodeJS.ErrnoException)?.code ?? (error as Error)?.name ?? '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    throw error;
  } finally {
    span.end();
  }
}
