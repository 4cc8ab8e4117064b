/** Every span, attribute and metric name Crossfade emits or reads, in one place. */

/** Spans @apollo/gateway makes itself (see its utilities/opentelemetry). */
export const GatewaySpan = {
  REQUEST: 'gateway.request',
  PLAN: 'gateway.plan',
  EXECUTE: 'gateway.execute',
  FETCH: 'gateway.fetch',
  POST_PROCESSING: 'gateway.postprocessing',
} as const;

/** Spans the kit makes in every subgraph. */
export const KitSpan = {
  /** One span per DataLoader batch: `dataloader.batch <loader name>`. */
  dataloaderBatch: (loader: string) => `dataloader.batch ${loader}`,
} as const;

export const Attr = {
  /** Set by @apollo/gateway on gateway.fetch. */
  GATEWAY_SERVICE: 'service',
  SUBGRAPH_NAME: 'subgraph.name',
  DATALOADER_NAME: 'dataloader.name',
  DATALOADER_BATCH_SIZE: 'dataloader.batch.size',
  DB_SYSTEM_NAME: 'db.system.name',
  DB_OPERATION_NAME: 'db.operation.name',
  DB_COLLECTION_NAME: 'db.collection.name',
  DB_QUERY_TEXT: 'db.query.text',
  DB_NAMESPACE: 'db.namespace',
  GRAPHQL_OPERATION_NAME: 'graphql.operation.name',
  GRAPHQL_OPERATION_TYPE: 'graphql.operation.type',
  /** HTTP server and client spans (otel/src/http.ts), stable HTTP semantic conventions. */
  HTTP_REQUEST_METHOD: 'http.request.method',
  HTTP_REQUEST_METHOD_ORIGINAL: 'http.request.method_original',
  HTTP_ROUTE: 'http.route',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  URL_SCHEME: 'url.scheme',
  URL_PATH: 'url.path',
  URL_FULL: 'url.full',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  NETWORK_PEER_ADDRESS: 'network.peer.address',
  NETWORK_PEER_PORT: 'network.peer.port',
  NETWORK_PROTOCOL_VERSION: 'network.protocol.version',
  USER_AGENT_ORIGINAL: 'user_agent.original',
  ERROR_TYPE: 'error.type',
} as const;

export const Metric = {
  SUBGRAPH_REQUESTS: 'crossfade_subgraph_requests_total',
  SUBGRAPH_DURATION: 'crossfade_subgraph_request_duration_seconds',
  SUBGRAPH_INFLIGHT: 'crossfade_subgraph_inflight',
  OPERATION_REQUESTS: 'crossfade_operation_requests_total',
  OPERATION_DURATION: 'crossfade_operation_duration_seconds',
  /** In each subgraph. */
  HTTP_REQUESTS: 'crossfade_http_requests_total',
  HTTP_DURATION: 'crossfade_http_request_duration_seconds',
  SQL_STATEMENTS: 'crossfade_sql_statements_total',
  SQL_DURATION: 'crossfade_sql_statement_duration_seconds',
  DATALOADER_BATCH_SIZE: 'crossfade_dataloader_batch_size',
  /** The scaling advisor's gauges. */
  DESIRED_REPLICAS: 'subgraph_desired_replicas',
  ARRIVAL_RATE: 'subgraph_arrival_rate',
  INFLIGHT: 'subgraph_inflight',
  LATENCY: 'subgraph_latency_seconds',
  CRITICAL_PATH_SHARE: 'subgraph_critical_path_share',
} as const;

/** The OpenTelemetry semantic-convention buckets for HTTP durations, in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
