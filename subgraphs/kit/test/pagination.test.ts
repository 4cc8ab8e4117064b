import { describe, expect, it } from 'vitest';
import type { GraphQLError } from 'graphql';
import { decodeCursor, encodeCursor, pageOf, parseId, requireId, toConnection } from '../src/pagination.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as GraphQLError).extensions?.code;
  }
  return undefined;
};

describe('pagination', () => {
  it('round-trips cursors of one kind and refuses those of another', () => {
    const cursor = encodeCursor('post', 42);
    expect(cursor).not.toContain('42');
    expect(decodeCursor('post', cursor)).toBe(42);
    expect(codeOf(() => decodeCursor('user', cursor))).toBe('BAD_USER_INPUT');
    for (const bad of ['', 'garbage', '!!!!', 'x'.repeat(200), Buffer.from('post:abc').toString('base64url'), encodeCursor('post', 2 ** 31), encodeCursor('post', -1)]) {
      expect(codeOf(() => decodeCursor('post', bad))).toBe('BAD_USER_INPUT');
    }
  });

  it('defaults first to 20 and accepts 0..100 only', () => {
    expect(pageOf({}, 'post')).toEqual({ limit: 20, afterKey: null });
    expect(pageOf({ first: 0 }, 'post').limit).toBe(0);
    expect(pageOf({ first: 100 }, 'post').limit).toBe(100);
    for (const first of [-1, 101, 1_000_000_000]) expect(codeOf(() => pageOf({ first }, 'post'))).toBe('BAD_USER_INPUT');
  });

  it('builds a connection from limit + 1 rows', () => {
    const page = { limit: 2, afterKey: null };
    const full = toConnection(
      [{ id: 9 }, { id: 8 }, { id: 7 }],
      page,
      'post',
      (r) => r.id,
      async () => 3,
    );
    expect(full.edges.map((e) => e.node.id)).toEqual([9, 8]);
    expect(full.pageInfo).toEqual({ hasNextPage: true, endCursor: encodeCursor('post', 8) });
    const last = toConnection(
      [{ id: 1 }],
      page,
      'post',
      (r) => r.id,
      async () => 1,
    );
    expect(last.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeCursor('post', 1) });
    expect(
      toConnection(
        [],
        page,
        'post',
        (r: { id: number }) => r.id,
        async () => 0,
      ).pageInfo.endCursor,
    ).toBeNull();
  });

  it('parses ids strictly', () => {
    expect(parseId('17')).toBe(17);
    expect(parseId('2147483647')).toBe(2147483647);
    for (const bad of ['0', '-1', '1.5', '1e3', ' 1', 'abc', '', '2147483648', '9'.repeat(20), null, 2 ** 31, 1.5]) expect(parseId(bad)).toBeNull();
    expect(codeOf(() => requireId("1' OR 1=1 --", 'id'))).toBe('BAD_USER_INPUT');
  });
});
