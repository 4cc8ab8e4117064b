import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { GraphQLError } from 'graphql';
import { createViewerVerifier, signViewerToken } from '../src/auth.ts';

describe('viewer tokens against a JWKS URL', () => {
  let server: http.Server;
  let url: string;
  let keys: JWK[] = [];
  let fetches = 0;
  let nextKey: JWK;
  const pairs: Record<string, Awaited<ReturnType<typeof generateKeyPair>>> = {};
  const sign = (kid: string, sub = '5') => new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid }).setSubject(sub).setExpirationTime('5m').sign(pairs[kid].privateKey);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: GraphQLError) => error.extensions?.code,
    );

  beforeAll(async () => {
    for (const kid of ['2026-a', '2026-b']) pairs[kid] = await generateKeyPair('RS256', { extractable: true });
    const jwk = async (kid: string) => ({ ...(await exportJWK(pairs[kid].publicKey)), kid, alg: 'RS256', use: 'sig' });
    keys = [await jwk('2026-a')];
    server = http.createServer((_, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
    nextKey = await jwk('2026-b');
  });
  afterAll(() => server?.close());

  it('accepts a token signed by a published key, and follows a rotation to a new key', async () => {
    const verify = createViewerVerifier({ jwtSecret: 'unused-when-jwks-is-set', jwksUrl: url }, { jwksCooldownMs: 0 });
    expect(await verify(await sign('2026-a'))).toEqual({ id: '5' });
    keys = [nextKey];
    expect(await verify(await sign('2026-b', '6'))).toEqual({ id: '6' });
    expect(fetches).toBeGreaterThanOrEqual(2);
    // The retired key is gone from the set.
    expect(await codeOf(verify(await sign('2026-a')))).toBe('UNAUTHENTICATED');
  });

  it('refuses shared-secret tokens and unknown keys once a key set is configured', async () => {
    const verify = createViewerVerifier({ jwtSecret: 'a-shared-secret-of-some-length', jwksUrl: url });
    expect(await codeOf(verify(await signViewerToken('5', 'a-shared-secret-of-some-length')))).toBe('UNAUTHENTICATED');
    const stranger = await generateKeyPair('RS256');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'stranger' }).setSubject('5').setExpirationTime('5m').sign(stranger.privateKey);
    expect(await codeOf(verify(token))).toBe('UNAUTHENTICATED');
  });
});
