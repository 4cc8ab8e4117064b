/**
 * OpenTelemetry bootstrap for every Crossfade service; load it before anything else:
 *   node --import @crossfade/otel/register <entry>     (sources, with tsx)
 *   node --import ./dist/otel/register.js <entry>        (built)
 *
 * Honours the standard variables: OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_ENDPOINT /
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, http/json),
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, OTEL_SDK_DISABLED, OTEL_RESOURCE_ATTRIBUTES.
 * Without an endpoint the SDK is not started at all, as with OTEL_SDK_DISABLED=true: no exporter (the
 * SDK's own default would send to localhost:4318), no instrumentation, no context manager, so nothing is
 * slowed (a started SDK costs even when nothing is sampled: AsyncLocalStorage's promise hooks on Node 20;
 * docs/PERFORMANCE.md). Requests still get trace ids then, carried by http.ts without the SDK.
 *
 * Spans are exported in batches (BatchSpanProcessor) by the SDK's OTLP exporter on a worker thread
 * (export-thread.ts), off the thread that serves requests.
 *
 * Instrumentation: graphql in the subgraphs (the only package patched; it is CommonJS, so no ESM loader hook is
 * needed). HTTP server and client spans are made by otel/src/http.ts, called from the kit's HTTP server and the
 * gateway's data source; @apollo/gateway and the kit make the rest of the spans through the API.
 */
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import { isMainThread } from 'node:worker_threads';
import otelPackage from '../package.json' with { type: 'json' };
import { routeDiagnostics } from './diagnostics.ts';
import { ThreadSpanExporter } from './export-thread.ts';
import { TELEMETRY_SHUTDOWN } from './shutdown.ts';

const env = process.env;
const SERVICES = ['gateway', 'users', 'posts', 'media'];

/** The service name: OTEL_SERVICE_NAME, else read off the entry script's path. */
function serviceName(): string {
  if (env.OTEL_SERVICE_NAME) return env.OTEL_SERVICE_NAME;
  const entry = process.argv[1] ?? '';
  return SERVICES.find((name) => new RegExp(`[/\\\\]${name}[/\\\\]`).test(entry)) ?? 'crossfade';
}

/** Exporter failures are reported once per kind of message, never thrown into a request. */
const reported = new Set<string>();
function reportOnce(kind: string, message: string) {
  const key = `${kind}:${message.slice(0, 120)}`;
  if (reported.has(key) || reported.size > 50) return;
  reported.add(key);
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), service: serviceName(), msg: `telemetry ${kind}: ${message}` })}\n`);
}

/**
 * The deployment environment: OTEL_RESOURCE_ATTRIBUTES's deployment.environment.name, or the older
 * deployment.environment, else NODE_ENV.
 */
function deploymentEnvironment(): string {
  const set = resources.envDetector.detect().attributes ?? {};
  return String(set['deployment.environment.name'] ?? set['deployment.environment'] ?? env.NODE_ENV ?? 'development');
}

const endpoint = () => env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;

function start() {
  // Worker threads inherit the --import that loaded this module: the SDK runs once per process, on its main thread.
  if (!isMainThread || env.OTEL_SDK_DISABLED === 'true' || !endpoint()) return;
  const name = serviceName();
  const environment = deploymentEnvironment();
  routeDiagnostics(reportOnce);
  const sdk = new NodeSDK({
    serviceName: name,
    // OTEL_RESOURCE_ATTRIBUTES overrides these (service.version=<image tag>, say).
    resource: resources.resourceFromAttributes({
      // Every workspace carries the release's version.
      'service.version': otelPackage.version,
      // Under both names with one value: the current convention's and the older one, which many backends and
      // dashboards still group by.
      'deployment.environment.name': environment,
      'deployment.environment': environment,
    }),
    // OTEL_BSP_* tune it; the sampler comes from OTEL_TRACES_SAMPLER (default parentbased_always_on).
    spanProcessors: [new tracing.BatchSpanProcessor(new ThreadSpanExporter(reportOnce))],
    // Traces only: the SDK would otherwise export metrics and logs over OTLP by default (metrics are
    // Prometheus text on each service's /metrics instead).
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      // The gateway has @apollo/gateway's own spans; graphql instrumentation there would double them.
      ...(name === 'gateway' ? [] : [new GraphQLInstrumentation({ ignoreResolveSpans: true, ignoreTrivialResolveSpans: true, mergeItems: true })]),
    ],
  });
  sdk.start();
  (globalThis as Record<symbol, unknown>)[TELEMETRY_SHUTDOWN] = () => sdk.shutdown();
}

try {
  start();
} catch (error) {
  reportOnce('start', (error as Error).message);
}
