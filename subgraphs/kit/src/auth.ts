import { createRemoteJWKSet, SignJWT, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { unauthenticated } from './errors.ts';

export interface Viewer {
  id: string;
}

const VIEWER_ISSUER = 'crossfade';
const SERVICE_AUDIENCE = 'crossfade-subgraph';
const SERVICE_SUBJECT = 'gateway';
/** Header that carries the gateway's service credential to subgraphs. */
export const SERVICE_TOKEN_HEADER = 'x-crossfade-gateway-token';
const SERVICE_TOKEN_TTL_S = 60;

const keyCache = new Map<string, Uint8Array>();
function hmacKey(secret: string): Uint8Array {
  let key = keyCache.get(secret);
  if (!key) keyCache.set(secret, (key = new TextEncoder().encode(secret)));
  return key;
}

export async function signViewerToken(userId: string, secret: string, ttlSeconds = 3600): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuer(VIEWER_ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(hmacKey(secret));
}

/** The bearer token of an Authorization header, undefined when there is none. */
export function bearerToken(header: string | null | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthenticated('Authorization header must be "Bearer <token>"');
  return match[1];
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

async function verifyWith(token: string, key: Uint8Array | JWTVerifyGetKey, algorithms: string[]): Promise<Viewer> {
  try {
    const { payload } = await jwtVerify(token, key as Uint8Array, { algorithms, requiredClaims: ['exp', 'sub'] });
    if (typeof payload.sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(payload.sub)) throw unauthenticated('token subject is not a user id');
    return { id: payload.sub };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('token expired');
    if (error instanceof joseErrors.JOSEError) throw unauthenticated(`invalid token (${error.code})`);
    throw error;
  }
}

/**
 * Verifies a viewer token signed with the shared secret (HS256 only, so `alg: none` and algorithm
 * confusion fail; `exp` and a numeric `sub` required). Throws UNAUTHENTICATED saying why, never the token.
 */
export function verifyViewerToken(token: string, secret: string): Promise<Viewer> {
  return verifyWith(token, hmacKey(secret), ['HS256']);
}

/**
 * The viewer-token check a service uses: against a JWKS URL when one is configured (keys are fetched
 * and refreshed by kid, so rotation needs no restart), else against the shared secret.
 */
export function createViewerVerifier(options: { jwtSecret: string; jwksUrl?: string }, tuning: { jwksCooldownMs?: number } = {}): (token: string) => Promise<Viewer> {
  if (!options.jwksUrl) return (token) => verifyViewerToken(token, options.jwtSecret);
  // An unknown kid refetches the set, at most once per cooldown: rotation needs no restart, a flood of bad kids no refetch storm.
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: tuning.jwksCooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 });
  return (token) => verifyWith(token, keys, ASYMMETRIC);
}

/** Signs and caches the gateway's short-lived service token, renewing it at half its lifetime. */
export class ServiceTokenSigner {
  #token: string | undefined;
  #renewAt = 0;
  #pending: Promise<string> | undefined;
  constructor(private readonly secret: string) {}

  /** The cached token while it is fresh: no promise on the path of every subgraph request. */
  current(): string | undefined {
    return this.#token && Date.now() < this.#renewAt ? this.#token : undefined;
  }

  async token(): Promise<string> {
    const current = this.current();
    if (current) return current;
    this.#pending ??= new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(SERVICE_SUBJECT)
      .setAudience(SERVICE_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${SERVICE_TOKEN_TTL_S}s`)
      .sign(hmacKey(this.secret))
      .then((token) => {
        this.#token = token;
        this.#renewAt = Date.now() + (SERVICE_TOKEN_TTL_S * 1000) / 2;
        return token;
      })
      .finally(() => (this.#pending = undefined));
    return this.#pending;
  }
}

/** Verifies a service token; the result is cached per token string until it expires. */
export class ServiceTokenVerifier {
  #valid = new Map<string, number>();
  constructor(private readonly secret: string) {}

  async verify(token: string | undefined): Promise<boolean> {
    if (!token) return false;
    const expiresAt = this.#valid.get(token);
    if (expiresAt !== undefined && Date.now() < expiresAt) return true;
    try {
      const { payload } = await jwtVerify(token, hmacKey(this.secret), {
        algorithms: ['HS256'],
        audience: SERVICE_AUDIENCE,
        subject: SERVICE_SUBJECT,
        requiredClaims: ['exp'],
      });
      if (this.#valid.size > 100) this.#valid.clear();
      this.#valid.set(token, (payload.exp as number) * 1000);
      return true;
    } catch {
      return false;
    }
  }
}

/** The viewer's user id for a write, or UNAUTHENTICATED. */
export function requireViewer(viewer: Viewer | null): number {
  if (!viewer) throw unauthenticated('this operation needs a viewer token (Authorization: Bearer <token>)');
  return Number(viewer.id);
}
