/**
 * The critical path of one operation: for each stretch of the operation, what it was waiting for.
 *
 * Definition (also in docs/scaling.md). Start a cursor at the operation's end and walk back:
 *   1. among the fetches that ended at or before the cursor, take the one that ended last (on a tie, the one
 *      that started first: the operation was waiting for it longest);
 *   2. the stretch from its end to the cursor is gateway time (planning, merging, serialising); the stretch
 *      from its start (or the operation's start, if earlier) to its end is that subgraph's critical time;
 *   3. move the cursor to that start and repeat, until no fetch ends after the operation's start;
 *   4. what remains before the cursor is gateway time.
 * So for a plan "users, then posts and media in parallel", users gets its whole duration and only the later
 * of posts and media gets any: the earlier one overlapped a fetch the operation was waiting for anyway.
 * Fetches that end after the operation (clock skew) are ignored. The subgraph times plus gateway time sum to
 * the operation's duration exactly, so shares over a window sum to at most 1.
 */

export interface TimedFetch {
  subgraph: string;
  /** Milliseconds, on the same clock as the operation. */
  start: number;
  end: number;
}

export interface OperationSpan {
  start: number;
  end: number;
}

/** Critical-path milliseconds per subgraph; subgraphs that were never waited for are absent. */
export function criticalPath(operation: OperationSpan, fetches: readonly TimedFetch[]): Map<string, number> {
  const shares = new Map<string, number>();
  const byEnd = [...fetches].sort((a, b) => b.end - a.end || a.start - b.start);
  let cursor = operation.end;
  for (const fetch of byEnd) {
    if (cursor <= operation.start) break;
    // Ended after the cursor: it overlaps a fetch already on the path (or the operation's end).
    if (fetch.end > cursor) continue;
    const start = Math.max(fetch.start, operation.start);
    if (fetch.end <= start) continue;
    shares.set(fetch.subgraph, (shares.get(fetch.subgraph) ?? 0) + (fetch.end - start));
    cursor = start;
  }
  return shares;
}
