import { describe, expect, it } from 'vitest';
import { withTraceId } from '../src/http.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('withTraceId: extensions.traceId on every error of a response body', () => {
  it('adds it to each error, keeping the other extensions and the trailing newline', () => {
    const body = `${JSON.stringify({ data: { a: null }, errors: [{ message: 'x', extensions: { code: 'NOT_FOUND', serviceName: 'posts' } }, { message: 'y' }] })}\n`;
    const stamped = withTraceId(body, TRACE);
    expect(stamped.endsWith('}\n')).toBe(true);
    expect(JSON.parse(stamped)).toEqual({
      data: { a: null },
      errors: [
        { message: 'x', extensions: { code: 'NOT_FOUND', serviceName: 'posts', traceId: TRACE } },
        { message: 'y', extensions: { traceId: TRACE } },
      ],
    });
  });

  it('stamps every result of a batch and replaces a traceId already there', () => {
    const body = JSON.stringify([{ errors: [{ message: 'a', extensions: { traceId: 'f'.repeat(32) } }] }, { data: { ok: true } }, { errors: [{ message: 'b' }] }]);
    const results = JSON.parse(withTraceId(body, TRACE));
    expect(results[0].errors[0].extensions.traceId).toBe(TRACE);
    expect(results[1]).toEqual({ data: { ok: true } });
    expect(results[2].errors[0].extensions.traceId).toBe(TRACE);
  });

  it('leaves bodies without top-level errors as they are', () => {
    const clean = '{"data":{"recentPosts":{"totalCount":3}}}\n';
    expect(withTraceId(clean, TRACE)).toBe(clean);
    // A field aliased "errors", or "errors" inside a string, is data: untouched.
    const aliased = '{"data":{"errors":[{"message":"not an error"}],"body":"\\"errors\\""}}';
    expect(withTraceId(aliased, TRACE)).toBe(aliased);
    expect(withTraceId('not json "errors"', TRACE)).toBe('not json "errors"');
  });
});
