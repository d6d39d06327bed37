/**
 * Figures a chaos run's history gives without asking the cluster: throughput and latency over
 * time, the latency distribution of acknowledged writes, and failover durations (from a fault
 * on the master to the first booking that was sent after it and acknowledged).
 */
import { Histogram } from '../bench/histogram.js';
import { TimeSeries } from '../bench/series.js';
import type { CompletionRecord, FaultRecord, History, InvokeRecord } from '../checker/history.js';

const writes = new Set([
  'bookings.book',
  'bookings.confirm',
  'bookings.cancel',
  'seats.hold',
  'seats.release',
]);
const bookingWrites = new Set(['bookings.book', 'bookings.confirm']);

interface Done {
  invoke: InvokeRecord;
  done: CompletionRecord;
}

function completed(history: History): Done[] {
  const invokes = new Map<number, InvokeRecord>();
  const out: Done[] = [];
  for (const r of history) {
    if (r.type === 'invoke') invokes.set(r.opId, r);
    else if (r.type !== 'fault') {
      const invoke = invokes.get(r.opId);
      if (invoke) out.push({ invoke, done: r });
    }
  }
  return out;
}

/** Acknowledged and failed writes per bucket, with the latency of the acknowledged ones. */
export function writeSeries(history: History, bucketMs = 1000): TimeSeries {
  const s = new TimeSeries(bucketMs);
  for (const { invoke, done } of completed(history))
    if (writes.has(invoke.method)) s.add(done.time, done.time - invoke.time, done.type === 'ok');
  return s;
}

/** Latency of acknowledged booking writes (book, confirm). */
export function bookingLatency(history: History): Histogram {
  const h = new Histogram();
  for (const { invoke, done } of completed(history))
    if (bookingWrites.has(invoke.method) && done.type === 'ok') h.record(done.time - invoke.time);
  return h;
}

export interface Failover {
  /** The fault, ms since run start. */
  at: number;
  kind: 'kill' | 'pause' | 'partition';
  node: number | null;
  /** ms from the fault to the acknowledgement of the first booking sent after it; null if none came. */
  ms: number | null;
}

/** One entry per kill, pause or network cut of the master. */
export function failovers(history: History): Failover[] {
  const faults = history.filter(
    (r): r is FaultRecord =>
      r.type === 'fault' &&
      r.wasMaster === true &&
      (r.kind === 'kill' || r.kind === 'pause' || r.kind === 'partition'),
  );
  const acks = completed(history)
    .filter((d) => bookingWrites.has(d.invoke.method) && d.done.type === 'ok')
    .sort((a, b) => a.invoke.time - b.invoke.time);
  return faults.map((f) => {
    let first: number | null = null;
    for (const d of acks) {
      if (d.invoke.time < f.time) continue;
      if (first === null || d.done.time < first) first = d.done.time;
    }
    return {
      at: f.time,
      kind: f.kind as Failover['kind'],
      node: f.node,
      ms: first === null ? null : first - f.time,
    };
  });
}

export interface FailoverStats {
  count: number;
  /** Failovers after which no booking was acknowledged before the run ended. */
  unfinished: number;
  median: number;
  max: number;
}

export function failoverStats(list: Failover[]): FailoverStats {
  const done = list.flatMap((f) => (f.ms === null ? [] : [f.ms])).sort((a, b) => a - b);
  const median =
    done.length === 0
      ? Number.NaN
      : done.length % 2
        ? done[(done.length - 1) / 2]!
        : (done[done.length / 2 - 1]! + done[done.length / 2]!) / 2;
  return {
    count: list.length,
    unfinished: list.length - done.length,
    median,
    max: done.length === 0 ? Number.NaN : done.at(-1)!,
  };
}
