import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignJWT } from 'jose';
import type { GraphQLError } from 'graphql';
import { bearerToken, ServiceTokenSigner, ServiceTokenVerifier, signViewerToken, verifyViewerToken } from '../src/auth.ts';

const SECRET = 'a-test-secret-that-is-long-enough';
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: GraphQLError) => error.extensions?.code,
  );

describe('viewer tokens', () => {
  it('verifies a token it signed and names the user', async () => {
    expect(await verifyViewerToken(await signViewerToken('12', SECRET), SECRET)).toEqual({ id: '12' });
  });

  it('refuses expired, foreign, unsigned and subject-less tokens as UNAUTHENTICATED', async () => {
    const key = new TextEncoder().encode(SECRET);
    const tokens = [
      await signViewerToken('12', SECRET, -60),
      await signViewerToken('12', 'another-secret-that-is-long-enough'),
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"1","exp":4102444800}').toString('base64url')}.`,
      await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key),
      await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('not-a-number').setExpirationTime('1h').sign(key),
      await new SignJWT({})
        .setProtectedHeader({ alg: 'HS512' })
        .setSubject('1')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET.repeat(3))),
    ];
    for (const token of tokens) expect(await codeOf(verifyViewerToken(token, SECRET))).toBe('UNAUTHENTICATED');
  });

  it('reads only Bearer authorization headers', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(() => bearerToken('Basic abc')).toThrow(/Bearer/);
  });
});

describe('service tokens', () => {
  it('are accepted with the shared secret only, and are not viewer tokens', async () => {
    const token = await new ServiceTokenSigner(SECRET).token();
    expect(await new ServiceTokenVerifier(SECRET).verify(token)).toBe(true);
    expect(await new ServiceTokenVerifier('another-secret-that-is-long-enough').verify(token)).toBe(false);
    expect(await new ServiceTokenVerifier(SECRET).verify(await signViewerToken('1', SECRET))).toBe(false);
    expect(await new ServiceTokenVerifier(SECRET).verify(undefined)).toBe(false);
  });

  it('reuses one signed token until half its lifetime', async () => {
    const signer = new ServiceTokenSigner(SECRET);
    const [a, b] = await Promise.all([signer.token(), signer.token()]);
    expect(a).toBe(b);
    expect(await signer.token()).toBe(a);
  });

  describe('without a promise while fresh', () => {
    afterEach(() => vi.useRealTimers());

    it('hands out the cached token synchronously, and none once it is due for renewal', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const signer = new ServiceTokenSigner(SECRET);
      expect(signer.current()).toBeUndefined();
      const first = await signer.token();
      expect(signer.current()).toBe(first);
      vi.setSystemTime(Date.now() + 29_000);
      expect(signer.current()).toBe(first);
      // Half of the 60 s lifetime: renewed, so a subgraph never sees a token about to expire.
      vi.setSystemTime(Date.now() + 2_000);
      expect(signer.current()).toBeUndefined();
      const second = await signer.token();
      expect(second).not.toBe(first);
      expect(signer.current()).toBe(second);
      expect(await new ServiceTokenVerifier(SECRET).verify(second)).toBe(true);
    });
  });
});
