/**
 * What the load process is told to do (plain data, sent over IPC) and how it judges each response.
 * Shared by the orchestrator (bench/run.ts) and the load process (bench/load.ts).
 */
import { isDeepStrictEqual } from 'node:util';

/** How one response is judged. */
export type Check =
  /** Status 200 and a body equal to the reference: byte-identical, or the same JSON value. */
  | { kind: 'exact'; expected: string }
  /** createPost: the post comes back with the body, parent and author handle that were sent. */
  | { kind: 'createPost'; body: string; replyToId: string; handle: string }
  /** likePost: the post comes back liked by the viewer. */
  | { kind: 'likePost'; id: string };

export interface RequestSpec {
  /** JSON request body. */
  body: string;
  headers: Record<string, string>;
  check: Check;
}

export interface LoadPlan {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Connection i sends perConnection[i % perConnection.length], its requests in turn. */
  perConnection: RequestSpec[][];
  /** Per-request timeout, seconds. */
  timeoutSeconds: number;
}

export interface FailureSample {
  status: number;
  body: string;
  why: string;
}

export interface PhaseResult {
  durationSeconds: number;
  /** Responses received (any status). */
  responses: number;
  ok: number;
  wrong: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  timeouts: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  samples: FailureSample[];
}

export type LoadMessage = { type: 'warmed'; warmup: PhaseResult | null } | { type: 'result'; result: PhaseResult } | { type: 'error'; message: string };

export type ControlMessage = { type: 'run'; plan: LoadPlan } | { type: 'go' };

type ResponseBody = { data?: any; errors?: unknown };

/** Returns null when the response is right, else why it is not. Memoises verdicts of unexpected bodies. */
export function makeJudge(check: Check): (status: number, body: string) => string | null {
  if (check.kind === 'exact') {
    const reference = JSON.parse(check.expected);
    const seen = new Map<string, string | null>();
    return (status, body) => {
      if (status !== 200) return `HTTP ${status}`;
      if (body === check.expected) return null;
      const known = seen.get(body);
      if (known !== undefined) return known;
      let verdict: string | null;
      try {
        verdict = isDeepStrictEqual(JSON.parse(body), reference) ? null : 'differs from the reference';
      } catch {
        verdict = 'not JSON';
      }
      if (seen.size < 256) seen.set(body, verdict);
      return verdict;
    };
  }
  return (status, body) => {
    if (status !== 200) return `HTTP ${status}`;
    let parsed: ResponseBody;
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'not JSON';
    }
    if (parsed.errors) return 'has errors';
    if (check.kind === 'createPost') {
      const post = parsed.data?.createPost;
      if (!post || post.body !== check.body || post.replyTo?.id !== check.replyToId || post.author?.handle !== check.handle)
        return 'createPost answer does not match what was sent';
      return null;
    }
    const post = parsed.data?.likePost;
    if (!post || post.id !== check.id || post.viewerHasLiked !== true || !(post.likeCount >= 1)) return 'likePost answer is not the liked post';
    return null;
  };
}
