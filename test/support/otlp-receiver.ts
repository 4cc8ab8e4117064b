import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  /** The exporting service's resource attributes. */
  resource: Record<string, unknown>;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  startNs: bigint;
  endNs: bigint;
}

function attributeValue(value: Record<string, unknown>): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  return value;
}

const attributeMap = (attributes: { key: string; value: Record<string, unknown> }[] | undefined) =>
  Object.fromEntries((attributes ?? []).map((a) => [a.key, attributeValue(a.value)]));

/** JSON OTLP ids are hex strings; some encoders send base64. */
const hex = (id: string | undefined) => (!id ? undefined : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));

/** A real OTLP/HTTP receiver on port 0: decodes http/json exports and counts the protobuf ones. */
export async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const protobufExports: number[] = [];
  /** Requests to anything but /v1/traces (metrics, logs): there should be none. */
  const otherExports: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.url !== '/v1/traces') {
        otherExports.push(req.url ?? '');
        res.writeHead(404).end();
        return;
      }
      if ((req.headers['content-type'] ?? '').includes('protobuf')) {
        protobufExports.push(body.length);
      } else {
        const payload = JSON.parse(body.toString());
        for (const resourceSpans of payload.resourceSpans ?? []) {
          const resource = attributeMap(resourceSpans.resource?.attributes);
          const service = resource['service.name'] as string;
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              spans.push({
                service,
                resource,
                traceId: hex(span.traceId)!,
                spanId: hex(span.spanId)!,
                parentSpanId: hex(span.parentSpanId) || undefined,
                name: span.name,
                kind: span.kind,
                attributes: attributeMap(span.attributes),
                startNs: BigInt(span.startTimeUnixNano),
                endNs: BigInt(span.endTimeUnixNano),
              });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    protobufExports,
    otherExports,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
