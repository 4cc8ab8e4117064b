import { parseArgs } from 'node:util';
import { parseEnv, port, secretsSchema, type Secrets } from '@crossfade/kit';
import { z } from 'zod';

export interface GatewayConfig {
  port: number;
  adminPort: number;
  host?: string;
  supergraphPath: string;
  /** Routing URL overrides by subgraph name, from SUBGRAPH_<NAME>_URL. */
  subgraphUrls: (name: string) => string | undefined;
  secrets: Secrets;
  bodyLimit: number;
  subgraphTimeoutMs: number;
  introspection: boolean;
  landingPage: boolean;
}

/** SUBGRAPH_<NAME>_URL: the subgraph name upper-cased, every other character turned into `_`. */
export const subgraphUrlVariable = (name: string) => `SUBGRAPH_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_URL`;

const flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

const schema = z
  .object({
    GATEWAY_PORT: port(4000),
    ADMIN_PORT: port(4090),
    HOST: z.string().optional(),
    SUPERGRAPH_PATH: z.string().default('supergraph.graphql'),
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(1024 * 1024),
    SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
    INTROSPECTION: flag.optional(),
    LANDING_PAGE: flag.optional(),
  })
  .and(secretsSchema);

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const { values } = parseArgs({ args: argv, options: { supergraph: { type: 'string' } }, strict: true });
  const parsed = parseEnv(schema, env);
  const overrides = new Map<string, string>();
  for (const [key, value = ''] of Object.entries(env)) {
    if (!/^SUBGRAPH_.+_URL$/.test(key)) continue;
    const check = z.url({ protocol: /^https?$/ }).safeParse(value);
    if (!check.success) throw new Error(`invalid configuration:\n  ${key}: must be an http(s) URL, got ${JSON.stringify(value)}`);
    overrides.set(key, value);
  }
  return {
    port: parsed.GATEWAY_PORT,
    adminPort: parsed.ADMIN_PORT,
    host: parsed.HOST,
    supergraphPath: values.supergraph ?? parsed.SUPERGRAPH_PATH,
    subgraphUrls: (name) => overrides.get(subgraphUrlVariable(name)),
    secrets: parsed,
    bodyLimit: parsed.BODY_LIMIT_BYTES,
    subgraphTimeoutMs: parsed.SUBGRAPH_TIMEOUT_MS,
    introspection: parsed.INTROSPECTION ?? !parsed.production,
    landingPage: parsed.LANDING_PAGE ?? !parsed.production,
  };
}
