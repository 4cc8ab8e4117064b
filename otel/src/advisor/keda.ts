/**
 * KEDA ScaledObjects that apply the advisor's model inside a cluster, from the per-subgraph settings
 * alone. Their Prometheus triggers query the gateway's own unsampled counters, so scaling goes on when the
 * advisor (or trace export) is down:
 *   concurrency  sum(rate(<duration>_sum{subgraph="x"}[window]))       = λ·W, in flight by Little's law; target C*
 *   CPU (S set)  sum(rate(<duration>_count{subgraph="x"}[window])) * S  = λ·S, busy CPUs;                target ρ*
 * KEDA's metric type AverageValue divides by the replica count, so the HPA computes ceil(λ·W / C*) and
 * ceil(λ·S / ρ*) and takes the larger: the advisor's formulas. The HPA behaviour carries the stabilisation
 * (scale-down after a 300 s window, scale-up at once); its tolerance is the cluster's (0.1 by default,
 * the advisor's), as `behavior.*.tolerance` is still alpha in Kubernetes 1.33. The panic window has no
 * equivalent at Prometheus scrape intervals; immediate scale-up with a Pods policy stands in for it.
 *
 * Output is deterministic (no timestamps, fixed key order) so a check can regenerate and diff it.
 */
import { Metric } from '../names.ts';
import { DEFAULT_MODEL_SETTINGS, resolveSubgraphSettings, SettingsError, type SettingsInput } from './settings.ts';

export const DEFAULT_PROMETHEUS_URL = 'http://prometheus.crossfade.svc:9090';

/** Kubernetes object names (RFC 1123 labels): the Deployment of a subgraph is named after it. */
const KUBERNETES_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export interface KedaOptions extends SettingsInput {
  subgraphs: readonly string[];
  prometheusUrl?: string;
  /** The rate window of the queries (the advisor's stable window), in seconds. */
  windowSeconds?: number;
  scaleDownStabilizationSeconds?: number;
}

export interface ScaledObjectFile {
  subgraph: string;
  fileName: string;
  /** The ScaledObject as a plain object, for validators. */
  object: Record<string, unknown>;
  yaml: string;
}

/** `1m` for 60, `90s` for 90: PromQL durations. */
function promDuration(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${seconds}s`;
}

/** A number as KEDA wants thresholds: a string, without float noise. */
const thresholdString = (value: number) => String(Number(value.toPrecision(12)));

export function scaledObjectFor(subgraph: string, options: KedaOptions): Record<string, unknown> {
  if (!KUBERNETES_NAME.test(subgraph)) {
    throw new SettingsError(`subgraph "${subgraph}" cannot name a Kubernetes Deployment (lower-case letters, digits and dashes, at most 63)`);
  }
  const settings = resolveSubgraphSettings(options, subgraph);
  const window = options.windowSeconds ?? DEFAULT_MODEL_SETTINGS.stableWindowSeconds;
  if (!(Number.isInteger(window) && window >= 1)) throw new SettingsError(`window must be a whole number of seconds >= 1, got ${window}`);
  const downWindow = options.scaleDownStabilizationSeconds ?? DEFAULT_MODEL_SETTINGS.scaleDownStabilizationSeconds;
  const serverAddress = options.prometheusUrl ?? DEFAULT_PROMETHEUS_URL;
  if (!URL.canParse(serverAddress)) throw new SettingsError(`Prometheus URL is not a URL: ${serverAddress}`);
  const selector = `{subgraph="${subgraph}"}`;
  const range = `[${promDuration(window)}]`;

  const triggers: Record<string, unknown>[] = [
    {
      type: 'prometheus',
      name: 'inflight',
      metricType: 'AverageValue',
      metadata: {
        serverAddress,
        query: `sum(rate(${Metric.SUBGRAPH_DURATION}_sum${selector}${range}))`,
        threshold: thresholdString(settings.targetConcurrency),
      },
    },
  ];
  if (settings.cpuSecondsPerRequest !== null) {
    triggers.push({
      type: 'prometheus',
      name: 'cpu',
      metricType: 'AverageValue',
      metadata: {
        serverAddress,
        query: `sum(rate(${Metric.SUBGRAPH_DURATION}_count${selector}${range})) * ${thresholdString(settings.cpuSecondsPerRequest)}`,
        threshold: thresholdString(settings.targetUtilization),
      },
    });
  }

  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: {
      name: subgraph,
      labels: { 'app.kubernetes.io/name': subgraph, 'app.kubernetes.io/part-of': 'crossfade', 'app.kubernetes.io/managed-by': 'crossfade-advisor' },
    },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: subgraph },
      pollingInterval: 15,
      minReplicaCount: settings.minReplicas,
      maxReplicaCount: settings.maxReplicas,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: {
            scaleDown: {
              stabilizationWindowSeconds: downWindow,
              policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
            },
            scaleUp: {
              stabilizationWindowSeconds: 0,
              policies: [
                { type: 'Percent', value: 100, periodSeconds: 15 },
                { type: 'Pods', value: 4, periodSeconds: 15 },
              ],
              selectPolicy: 'Max',
            },
          },
        },
      },
      triggers,
    },
  };
}

const HEADER = '# Generated by `npm run advise -- --format keda` from the per-subgraph settings (docs/scaling.md). Regenerate; do not edit.\n';

/** One ScaledObject per subgraph, in the order given. Throws SettingsError for bad settings or names. */
export function renderScaledObjects(options: KedaOptions): ScaledObjectFile[] {
  if (options.subgraphs.length === 0) throw new SettingsError('no subgraphs to generate ScaledObjects for');
  for (const name of Object.keys(options.perSubgraph ?? {})) {
    if (!options.subgraphs.includes(name)) throw new SettingsError(`settings name subgraph "${name}", which is not one of ${options.subgraphs.join(', ')}`);
  }
  return options.subgraphs.map((subgraph) => {
    const object = scaledObjectFor(subgraph, options);
    return { subgraph, fileName: `${subgraph}-scaledobject.yaml`, object, yaml: HEADER + toYaml(object) };
  });
}

/** All ScaledObjects as one multi-document YAML stream. */
export function joinYamlDocuments(files: readonly ScaledObjectFile[]): string {
  return files.map((file) => file.yaml).join('---\n');
}

const PLAIN_STRING = /^[A-Za-z_/][\w./:-]*$/;
const YAML_WORDS = /^(true|false|yes|no|on|off|null|y|n|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} to YAML`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new Error(`cannot write a ${typeof value} to YAML`);
  if (PLAIN_STRING.test(value) && !YAML_WORDS.test(value)) return value;
  // Single quotes need no escapes but doubled quotes; PromQL's double quotes stay readable.
  if (!/[\n\r\t']/.test(value)) return `'${value}'`;
  return JSON.stringify(value); // a valid YAML double-quoted scalar
}

/** A small YAML writer for plain data (objects, arrays, strings, numbers, booleans): block style, keys in insertion order. */
export function toYaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `${indent}[]\n`;
    return value
      .map((item) => {
        const body = toYaml(item, `${indent}  `);
        return `${indent}- ${body.slice(indent.length + 2)}`;
      })
      .join('');
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return `${indent}{}\n`;
    return entries
      .map(([key, child]) => {
        const name = scalar(key);
        if (typeof child === 'object' && child !== null && (Array.isArray(child) ? child.length > 0 : Object.keys(child).length > 0)) {
          return `${indent}${name}:\n${toYaml(child, `${indent}  `)}`;
        }
        return `${indent}${name}: ${typeof child === 'object' && child !== null ? (Array.isArray(child) ? '[]' : '{}') : scalar(child)}\n`;
      })
      .join('');
  }
  return `${indent}${scalar(value)}\n`;
}
