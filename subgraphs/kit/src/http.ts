import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext, type ContextThunk } from '@apollo/server';
import { requestTrace, traceparentOf } from '@crossfade/otel/http';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST',
  ) {
    super(message);
  }
}

/** Reads a request body up to `limit` bytes; larger bodies are refused without buffering them. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      reject(new HttpError(413, `request body over ${limit} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [type, ...params] = value
    .toLowerCase()
    .split(';')
    .map((s) => s.trim());
  if (type !== 'application/json' && !type.endsWith('+json') && type !== 'application/graphql-response+json') return false;
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (charset && charset !== 'utf-8' && charset !== 'utf8') throw new HttpError(415, `unsupported charset "${charset}"`);
  return true;
}

/** Parses a GraphQL POST body as JSON, or leaves it undefined for Apollo Server to reject by content type. */
export async function readGraphQLBody(req: IncomingMessage, limit: number): Promise<unknown> {
  if (req.method !== 'POST') return undefined;
  const raw = await readBody(req, limit);
  if (!isJsonContentType(req.headers['content-type'])) return undefined;
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new HttpError(400, 'request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HttpError(400, 'request body is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `malformed JSON body: ${(error as Error).message}`);
  }
}

export function headerMapOf(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A GraphQL-shaped error response for failures before Apollo Server sees the request. */
export function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
  const traced = requestTrace(res.req);
  sendJson(
    res,
    status,
    { errors: [{ message, extensions: { code, ...(traced && { traceId: traced.traceId }) } }] },
    { ...headers, ...(traced && { traceresponse: traceparentOf(traced) }) },
  );
}

/**
 * Puts `extensions.traceId` on every error of a GraphQL response body (one result or a batch), so a client can
 * find the trace of a failed operation. Bodies without errors are returned as they are, unparsed.
 */
export function withTraceId(body: string, traceId: string): string {
  if (!body.includes('"errors"')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  let stamped = false;
  for (const result of Array.isArray(parsed) ? parsed : [parsed]) {
    const errors = (result as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) continue;
    for (const error of errors) {
      if (error === null || typeof error !== 'object') continue;
      error.extensions = { ...error.extensions, traceId };
      stamped = true;
    }
  }
  return stamped ? `${JSON.stringify(parsed)}${body.endsWith('\n') ? '\n' : ''}` : body;
}

export interface GraphQLHandlerOptions<C extends BaseContext> {
  server: ApolloServer<C>;
  bodyLimit: number;
  context: (req: IncomingMessage) => ReturnType<ContextThunk<C>>;
  /** Headers added to every GraphQL response. */
  responseHeaders?: (req: IncomingMessage) => Record<string, string> | undefined;
  /** Operations allowed in one batched request (an array body). */
  maxBatch?: number;
}

/** Hands one HTTP request to Apollo Server and writes its answer. */
export async function handleGraphQL<C extends BaseContext>(req: IncomingMessage, res: ServerResponse, options: GraphQLHandlerOptions<C>): Promise<void> {
  let body: unknown;
  try {
    body = await readGraphQLBody(req, options.bodyLimit);
  } catch (error) {
    if (error instanceof HttpError)
      return sendGraphQLError(res, error.status, error.message, error.code, { ...options.responseHeaders?.(req), connection: error.status === 413 ? 'close' : 'keep-alive' });
    throw error;
  }
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const response = await options.server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers: headerMapOf(req), search: q >= 0 ? url.slice(q) : '', body },
    context: () => options.context(req),
  });
  const extra = options.responseHeaders?.(req);
  if (extra) for (const [key, value] of Object.entries(extra)) response.headers.set(key, value);
  const traced = requestTrace(req);
  if (traced) response.headers.set('traceresponse', traceparentOf(traced));
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(traced ? withTraceId(response.body.string, traced.traceId) : response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q >= 0 ? url.slice(0, q) : url;
}
