/**
 * Offline advice: replays records (from trace files) through the same advisor the gateway hosts, on a
 * virtual clock that follows the records' end times, as if the gateway had recorded them live. The advice
 * is the advisor's at the end of the trace: figures over its last stable window, stabilisation included
 * (with `currentReplicas` from the settings).
 */
import { ScalingAdvisor, type AdvisorOptions, type FetchRecord, type OperationRecord } from './advisor.ts';
import type { TraceRecords } from './otlp.ts';

export type ReplayOptions = Omit<AdvisorOptions, 'clock' | 'startedAt'>;

type Event = { end: number; order: number; fetch?: FetchRecord; operation?: OperationRecord };

/** Feeds records in end-time order (fetches before the operation that waited for them) and returns the advisor, its clock at the last end. */
export function replayRecords(records: Pick<TraceRecords, 'fetches' | 'operations' | 'firstStart'>, options: ReplayOptions = {}): ScalingAdvisor {
  const events: Event[] = [
    ...records.fetches.map((fetch): Event => ({ end: fetch.end, order: 0, fetch })),
    ...records.operations.map((operation): Event => ({ end: operation.end, order: 1, operation })),
  ];
  events.sort((a, b) => a.end - b.end || a.order - b.order);
  const first = records.firstStart ?? events[0]?.end ?? 0;
  let now = first;
  const advisor = new ScalingAdvisor({ ...options, clock: () => now, startedAt: first });
  for (const event of events) {
    if (event.end > now) now = event.end;
    if (event.fetch) advisor.recordFetch(event.fetch);
    else if (event.operation) advisor.recordOperation(event.operation);
  }
  return advisor;
}
