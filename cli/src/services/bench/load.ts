/**
 * Closed-loop load: `clients` workers each run their next operation as soon as the previous one
 * answered, until the deadline. Latencies go into a histogram and a time series; errors are
 * counted by reason. The clock is injectable so the loop is testable without waiting.
 */
import { Histogram, type LatencySummary } from './histogram.js';
import { type SeriesPoint, TimeSeries } from './series.js';

/** What one operation reports: `book` counts towards bookings/s; `other` (cancels) only towards writes/s. */
export type OpKind = 'book' | 'other';

export interface LoadOptions {
  clients: number;
  durationMs: number;
  /** Runs client `c`'s next operation. Resolves with its kind; throws with `.reason` (or a message) on error. Returning null means: no more work for this client. */
  op: (client: number) => Promise<OpKind | null>;
  now?: () => number;
  bucketMs?: number;
}

export interface LoadResult {
  seconds: number;
  bookings: number;
  otherWrites: number;
  bookingsPerSec: number;
  writesPerSec: number;
  latency: LatencySummary;
  errors: Record<string, number>;
  series: SeriesPoint[];
  /** Clients that ran out of work before the deadline. */
  exhausted: number;
}

export function errorReason(error: unknown): string {
  const e = error as { reason?: unknown; code?: unknown; message?: unknown };
  if (typeof e?.reason === 'string') return e.reason;
  if (typeof e?.code === 'string') return e.code;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return message.split('\n')[0]!.slice(0, 80);
}

export async function closedLoop(o: LoadOptions): Promise<LoadResult> {
  const now = o.now ?? (() => performance.now());
  const latency = new Histogram();
  const series = new TimeSeries(o.bucketMs ?? 1000);
  const errors: Record<string, number> = {};
  let bookings = 0;
  let otherWrites = 0;
  let exhausted = 0;
  const started = now();
  const deadline = started + o.durationMs;
  await Promise.all(
    Array.from({ length: o.clients }, async (_, client) => {
      while (now() < deadline) {
        const t0 = now();
        try {
          const kind = await o.op(client);
          if (kind === null) {
            exhausted += 1;
            return;
          }
          const t1 = now();
          if (kind === 'book') {
            bookings += 1;
            latency.record(t1 - t0);
            series.add(t1 - started, t1 - t0, true);
          } else otherWrites += 1;
        } catch (error) {
          const reason = errorReason(error);
          errors[reason] = (errors[reason] ?? 0) + 1;
          series.add(now() - started, 0, false);
        }
      }
    }),
  );
  const seconds = (now() - started) / 1000;
  return {
    seconds,
    bookings,
    otherWrites,
    bookingsPerSec: seconds > 0 ? bookings / seconds : 0,
    writesPerSec: seconds > 0 ? (bookings + otherWrites) / seconds : 0,
    latency: latency.summary(),
    errors,
    series: series.points(o.durationMs),
    exhausted,
  };
}
