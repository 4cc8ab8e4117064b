/** The scaling advisor: live (hosted by the gateway) and offline (trace files, KEDA manifests). See docs/scaling.md. */
export {
  createAdvisor,
  OperationTimer,
  ScalingAdvisor,
  type AdvisorOptions,
  type AdvisorStats,
  type FetchRecord,
  type HistorySample,
  type OperationRecord,
  type ScalingHistory,
  type ScalingSnapshot,
  type SubgraphScaling,
} from './advisor.ts';
export { ADMIN_PATHS, handleAdminRequest } from './admin.ts';
export { criticalPath, type OperationSpan, type TimedFetch } from './critical-path.ts';
export { DEFAULT_PROMETHEUS_URL, joinYamlDocuments, renderScaledObjects, scaledObjectFor, toYaml, type KedaOptions, type ScaledObjectFile } from './keda.ts';
export { registerAdvisorMetrics } from './metrics.ts';
export { adviseReplicas, ceilReplicas, isPanic, replicaNeed, stabilize, type ReplicaNeed, type WindowLoad } from './model.ts';
export { readTraceFiles, TraceFileError, type TraceRecords } from './otlp.ts';
export { renderAdminPage } from './page.ts';
export { formatReason } from './reason.ts';
export { replayRecords, type ReplayOptions } from './replay.ts';
export {
  DEFAULT_MODEL_SETTINGS,
  DEFAULT_SUBGRAPH_SETTINGS,
  resolveSubgraphSettings,
  SettingsError,
  type ModelSettings,
  type SettingsInput,
  type SubgraphSettings,
} from './settings.ts';
export { PER_SUBGRAPH_FLAGS, settingsFrom, UsageError } from './cli.ts';
