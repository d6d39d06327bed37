/**
 * Throughput and latency over time: one bucket per `bucketMs` of run time, each with its own
 * histogram. Feeds the report's charts and the bench's per-second figures.
 */
import { Histogram } from './histogram.js';

export interface SeriesPoint {
  /** Start of the bucket, ms since the run started. */
  t: number;
  /** Acknowledged operations completed in the bucket, per second. */
  okPerSec: number;
  /** Failed or unknown operations completed in the bucket, per second. */
  errorsPerSec: number;
  p50: number;
  p99: number;
}

export class TimeSeries {
  readonly #buckets = new Map<number, { ok: number; errors: number; latency: Histogram }>();

  constructor(readonly bucketMs = 1000) {}

  /** An operation that completed at `at` (ms since start) after `latencyMs`. */
  add(at: number, latencyMs: number, ok: boolean): void {
    const k = Math.floor(at / this.bucketMs);
    let b = this.#buckets.get(k);
    if (!b) {
      b = { ok: 0, errors: 0, latency: new Histogram() };
      this.#buckets.set(k, b);
    }
    if (ok) {
      b.ok += 1;
      b.latency.record(latencyMs);
    } else b.errors += 1;
  }

  /** Every bucket from 0 to the last one, empty ones included (a stall shows as zero). */
  points(untilMs?: number): SeriesPoint[] {
    const keys = [...this.#buckets.keys()];
    const last = Math.max(untilMs === undefined ? -1 : Math.ceil(untilMs / this.bucketMs) - 1, ...keys, -1);
    const perSec = 1000 / this.bucketMs;
    const out: SeriesPoint[] = [];
    for (let k = 0; k <= last; k++) {
      const b = this.#buckets.get(k);
      out.push({
        t: k * this.bucketMs,
        okPerSec: (b?.ok ?? 0) * perSec,
        errorsPerSec: (b?.errors ?? 0) * perSec,
        p50: b ? b.latency.quantile(0.5) : Number.NaN,
        p99: b ? b.latency.quantile(0.99) : Number.NaN,
      });
    }
    return out;
  }
}
