import { parseArgs } from 'node:util';
import { ConfigError, parseEnv, port, secretsSchema, type Secrets } from '@crossfade/kit';
import { PER_SUBGRAPH_FLAGS, settingsFrom, type SettingsInput } from '@crossfade/otel/advisor';
import { z } from 'zod';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** Operations in one batched HTTP request; 0 turns batching off. */
  maxBatch: number;
}

export interface SubgraphSettings {
  /** SUBGRAPH_<NAME>_URL, overriding the supergraph's routing URL. */
  url?: string;
  timeoutMs: number;
}

export interface GatewayConfig {
  port: number;
  adminPort: number;
  host?: string;
  supergraphPath: string;
  watchSupergraph: boolean;
  subgraph: (name: string) => SubgraphSettings;
  secrets: Secrets;
  bodyLimit: number;
  limits: OperationLimits;
  /** Requests per minute per client (token subject, else address); 0 is off. */
  rateLimitPerMinute: number;
  /** Operations in flight beyond which the gateway answers 503 at once; 0 is off. */
  maxInflight: number;
  circuit: { consecutiveFailures: number; halfOpenAfterMs: number };
  /** Extra attempts for queries whose connection failed; never for mutations. */
  retries: number;
  forwardHeaders: string[];
  /** `*` allows any origin. */
  corsOrigins: string[];
  introspection: boolean;
  landingPage: boolean;
  /** Subgraph error messages and extensions reach clients as they are. */
  exposeSubgraphErrors: boolean;
  /** Automatic persisted queries. */
  apq: boolean;
  /** A manifest of allowed operations: anything else is OPERATION_NOT_ALLOWED. */
  safelistPath?: string;
  /** Operations whose query plans are computed at start and after every supergraph reload. */
  warmupPath?: string;
  shutdownTimeoutMs: number;
  /** The scaling advisor's per-subgraph settings (SCALING_*), in its own terms. */
  scaling: SettingsInput;
}

/** SUBGRAPH_<NAME>_URL: the subgraph name upper-cased, every other character turned into `_`. */
export const subgraphVariable = (name: string, setting: string) => `SUBGRAPH_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${setting}`;
export const subgraphUrlVariable = (name: string) => subgraphVariable(name, 'URL');

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');
const count = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const schema = z
  .object({
    GATEWAY_PORT: port(4000),
    ADMIN_PORT: port(4090),
    HOST: z.string().optional(),
    SUPERGRAPH_PATH: z.string().default('supergraph.graphql'),
    SUPERGRAPH_WATCH: flag.default(true),
    BODY_LIMIT_BYTES: positive(1024 * 1024),
    MAX_DEPTH: positive(15),
    MAX_ALIASES: positive(30),
    MAX_DIRECTIVES: positive(20),
    MAX_TOKENS: positive(5000),
    MAX_COST: positive(20_000),
    MAX_BATCH_OPERATIONS: count(0),
    RATE_LIMIT_PER_MINUTE: count(0),
    MAX_INFLIGHT_OPERATIONS: count(0),
    SUBGRAPH_TIMEOUT_MS: positive(5000),
    CIRCUIT_CONSECUTIVE_FAILURES: positive(5),
    CIRCUIT_HALF_OPEN_AFTER_MS: positive(10_000),
    SUBGRAPH_RETRIES: count(1),
    FORWARD_HEADERS: list.default(['authorization', 'accept-language', 'x-request-id']),
    CORS_ORIGINS: list.optional(),
    INTROSPECTION: flag.optional(),
    LANDING_PAGE: flag.optional(),
    EXPOSE_SUBGRAPH_ERRORS: flag.optional(),
    APQ: flag.default(true),
    PERSISTED_OPERATIONS_PATH: z.string().optional(),
    WARMUP_OPERATIONS_PATH: z.string().optional(),
    SHUTDOWN_TIMEOUT_MS: positive(10_000),
  })
  .and(secretsSchema);

function subgraphSettings(env: NodeJS.ProcessEnv, defaultTimeoutMs: number) {
  const settings = new Map<string, string>();
  for (const [key, value = ''] of Object.entries(env)) {
    if (/^SUBGRAPH_.+_URL$/.test(key)) {
      if (!z.url({ protocol: /^https?$/ }).safeParse(value).success)
        throw new ConfigError(`invalid configuration:\n  ${key}: must be an http(s) URL, got ${JSON.stringify(value)}`);
      settings.set(key, value);
    } else if (/^SUBGRAPH_.+_TIMEOUT_MS$/.test(key) && key !== 'SUBGRAPH_TIMEOUT_MS') {
      if (!/^[1-9][0-9]*$/.test(value)) throw new ConfigError(`invalid configuration:\n  ${key}: must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
      settings.set(key, value);
    }
  }
  return (name: string): SubgraphSettings => ({
    url: settings.get(subgraphVariable(name, 'URL')),
    timeoutMs: Number(settings.get(subgraphVariable(name, 'TIMEOUT_MS')) ?? defaultTimeoutMs),
  });
}

/** SCALING_REPLICAS=users=2,posts=3, SCALING_TARGET_CONCURRENCY=10, ...: the advisor CLI's flags as variables. */
function scalingSettings(env: NodeJS.ProcessEnv): SettingsInput {
  const values: Record<string, string[]> = {};
  for (const flag of Object.keys(PER_SUBGRAPH_FLAGS)) {
    const variable = `SCALING_${flag.toUpperCase().replace(/-/g, '_')}`;
    if (env[variable]) values[flag] = [env[variable]!];
  }
  try {
    return settingsFrom(values);
  } catch (error) {
    throw new ConfigError(
      `invalid configuration:\n  SCALING_*: ${(error as Error).message.replace(/--([a-z-]+)/, (_, flag: string) => `SCALING_${flag.toUpperCase().replace(/-/g, '_')}`)}`,
    );
  }
}

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let values: { supergraph?: string };
  try {
    values = parseArgs({ args: argv, options: { supergraph: { type: 'string' } }, strict: true }).values;
  } catch (error) {
    throw new ConfigError(`invalid arguments: ${(error as Error).message}`);
  }
  const parsed = parseEnv(schema, env);
  const production = parsed.production;
  return {
    port: parsed.GATEWAY_PORT,
    adminPort: parsed.ADMIN_PORT,
    host: parsed.HOST,
    supergraphPath: values.supergraph ?? parsed.SUPERGRAPH_PATH,
    watchSupergraph: parsed.SUPERGRAPH_WATCH,
    subgraph: subgraphSettings(env, parsed.SUBGRAPH_TIMEOUT_MS),
    secrets: parsed,
    bodyLimit: parsed.BODY_LIMIT_BYTES,
    limits: {
      maxDepth: parsed.MAX_DEPTH,
      maxAliases: parsed.MAX_ALIASES,
      maxDirectives: parsed.MAX_DIRECTIVES,
      maxTokens: parsed.MAX_TOKENS,
      maxCost: parsed.MAX_COST,
      maxBatch: parsed.MAX_BATCH_OPERATIONS,
    },
    rateLimitPerMinute: parsed.RATE_LIMIT_PER_MINUTE,
    maxInflight: parsed.MAX_INFLIGHT_OPERATIONS,
    circuit: { consecutiveFailures: parsed.CIRCUIT_CONSECUTIVE_FAILURES, halfOpenAfterMs: parsed.CIRCUIT_HALF_OPEN_AFTER_MS },
    retries: parsed.SUBGRAPH_RETRIES,
    forwardHeaders: parsed.FORWARD_HEADERS.map((h) => h.toLowerCase()),
    // Outside production any origin may call (Apollo Sandbox runs on its own origin); in production only the listed ones.
    corsOrigins: parsed.CORS_ORIGINS ?? (production ? [] : ['*']),
    introspection: parsed.INTROSPECTION ?? !production,
    landingPage: parsed.LANDING_PAGE ?? !production,
    exposeSubgraphErrors: parsed.EXPOSE_SUBGRAPH_ERRORS ?? !production,
    apq: parsed.APQ,
    safelistPath: parsed.PERSISTED_OPERATIONS_PATH || undefined,
    warmupPath: parsed.WARMUP_OPERATIONS_PATH || undefined,
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    scaling: scalingSettings(env),
  };
}
