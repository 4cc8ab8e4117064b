import { z } from 'zod';

/** Development defaults; production refuses to start without real secrets. */
export const DEV_JWT_SECRET = 'crossfade-dev-jwt-secret-change-me';
export const DEV_GATEWAY_SECRET = 'crossfade-dev-gateway-secret-change-me';

const blankIsUnset = (value: unknown) => (value === '' ? undefined : value);
const portNumber = z.coerce.number().int().min(0).max(65535);
export const port = (fallback: number) => z.preprocess(blankIsUnset, portNumber.default(fallback));
export const optionalPort = z.preprocess(blankIsUnset, portNumber.optional());

export const secretsSchema = z
  .object({
    NODE_ENV: z.string().default('development'),
    JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    JWT_JWKS_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
    GATEWAY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (!env.JWT_SECRET && !env.JWT_JWKS_URL) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'is required when NODE_ENV=production (or set JWT_JWKS_URL)' });
    if (!env.GATEWAY_SECRET) ctx.addIssue({ code: 'custom', path: ['GATEWAY_SECRET'], message: 'is required when NODE_ENV=production' });
  })
  .transform((env) => ({
    production: env.NODE_ENV === 'production',
    jwtSecret: env.JWT_SECRET ?? DEV_JWT_SECRET,
    /** Viewer tokens are verified against this key set instead of the shared secret when set. */
    jwksUrl: env.JWT_JWKS_URL,
    gatewaySecret: env.GATEWAY_SECRET ?? DEV_GATEWAY_SECRET,
  }));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment with a zod schema; one message naming every bad variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  // `NAME=` (as in .env.example) means unset.
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, value]) => value !== '')));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
