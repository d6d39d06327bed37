import type { Entry } from './entry.js';

/**
 * Where a compacted log starts: the last entry the node's durable state machine already covers (its
 * snapshot). Entries up to `index` are gone from the log; `epoch` and `lamport` are that entry's, so
 * the log can still be matched (prev-index/prev-epoch) and the clock passed at its first entry.
 * `{0, 0, 0}` is the empty prefix of a log that was never compacted.
 */
export interface SnapshotPoint {
  index: number;
  epoch: number;
  lamport: number;
}

export const EMPTY_PREFIX: SnapshotPoint = { index: 0, epoch: 0, lamport: 0 };

/** What changed in the log since the last drain, for the I/O layer to make durable. */
export interface LogChanges<P> {
  /**
   * The log now starts after `base.index`: delete every stored entry with index <= base.index and
   * store `base` as the log's start (the same transaction as the rest of this persist).
   */
  base?: SnapshotPoint;
  /** Delete every stored entry with index >= truncateFrom before appending. */
  truncateFrom?: number;
  append: Entry<P>[];
}

/**
 * The retained log, in memory: entries after the snapshot point `base` (everything up to it is in
 * the state machine's snapshot). Entries are treated as immutable, so callers may share them.
 */
export class ReplicationLog<P> {
  #base: SnapshotPoint;
  /** entries[k] has index base.index + 1 + k. */
  #entries: Entry<P>[];
  /** Lowest index changed since the last drain. */
  #dirtyFrom = Number.POSITIVE_INFINITY;
  /** Last index handed to the I/O layer (written, or being written). */
  #handedOut: number;
  #baseDirty = false;

  constructor(entries: readonly Entry<P>[], base: SnapshotPoint = EMPTY_PREFIX) {
    entries.forEach((e, k) => {
      if (e.index !== base.index + k + 1)
        throw new Error(`persisted log is not contiguous at position ${k + 1} after ${base.index}`);
    });
    this.#base = { ...base };
    this.#entries = [...entries];
    this.#handedOut = this.lastIndex;
  }

  get base(): SnapshotPoint {
    return this.#base;
  }

  /** First retained index (lastIndex + 1 when nothing is retained). */
  get firstIndex(): number {
    return this.#base.index + 1;
  }

  get lastIndex(): number {
    return this.#base.index + this.#entries.length;
  }

  get lastEpoch(): number {
    return this.epochAt(this.lastIndex) ?? 0;
  }

  get retained(): number {
    return this.#entries.length;
  }

  /** Epoch of the entry at `index`; known from the base on; undefined before it and past the end. */
  epochAt(index: number): number | undefined {
    if (index === this.#base.index) return this.#base.epoch;
    if (index < this.#base.index) return undefined;
    return this.#entries[index - this.#base.index - 1]?.epoch;
  }

  /** Lamport time of the entry at `index`, known from the base on. */
  lamportAt(index: number): number | undefined {
    if (index === this.#base.index) return this.#base.lamport;
    return this.entry(index)?.lamport;
  }

  entry(index: number): Entry<P> | undefined {
    if (index <= this.#base.index) return undefined;
    return this.#entries[index - this.#base.index - 1];
  }

  /** Retained entries with from <= index <= to (callers check `firstIndex` when it matters). */
  slice(from: number, to = this.lastIndex): Entry<P>[] {
    const b = this.#base.index;
    return this.#entries.slice(Math.max(from, b + 1) - b - 1, Math.max(to - b, 0));
  }

  append(entry: Entry<P>): void {
    if (entry.index !== this.lastIndex + 1) throw new Error(`append at ${entry.index} leaves a gap`);
    this.#entries.push(entry);
    this.#dirtyFrom = Math.min(this.#dirtyFrom, entry.index);
  }

  /** Drop entries from `index` on (never below the base: those are in the snapshot). */
  truncateFrom(index: number): void {
    if (index > this.lastIndex) return;
    if (index <= this.#base.index) throw new Error(`truncate at ${index} reaches into the snapshot`);
    this.#entries.length = index - this.#base.index - 1;
    this.#dirtyFrom = Math.min(this.#dirtyFrom, index);
  }

  /** Drop the entries up to `index` (retained, and durable: the caller checks). */
  compact(index: number): void {
    if (index <= this.#base.index) return;
    if (index > this.lastIndex) throw new Error(`compact at ${index} past the log end ${this.lastIndex}`);
    const base = { index, epoch: this.epochAt(index)!, lamport: this.lamportAt(index)! };
    this.#entries = this.#entries.slice(index - this.#base.index);
    this.#base = base;
    this.#baseDirty = true;
  }

  /** Replace the whole log by an empty one starting after `point` (a snapshot was installed). */
  reset(point: SnapshotPoint): void {
    const oldLast = this.lastIndex;
    this.#base = { ...point };
    this.#entries = [];
    this.#baseDirty = true;
    // Stored entries past the snapshot point belong to the log we are discarding.
    if (oldLast > point.index) this.#dirtyFrom = Math.min(this.#dirtyFrom, point.index + 1);
    this.#handedOut = Math.max(this.#handedOut, oldLast);
  }

  /**
   * Raft's conflict hint: the largest index <= `index` whose epoch is <= `epoch`. Entries after it
   * belong to epochs the master's log does not have there, so the master skips a whole epoch per probe.
   * Never below the base: everything up to it is committed, so it agrees with any master.
   */
  lastIndexAtOrBelowEpoch(index: number, epoch: number): number {
    let i = Math.min(index, this.lastIndex);
    while (i > this.#base.index && (this.epochAt(i) ?? 0) > epoch) i--;
    return Math.max(i, Math.min(index, this.#base.index));
  }

  /** Whether anything changed since the last drain. */
  get dirty(): boolean {
    return this.#baseDirty || this.#dirtyFrom !== Number.POSITIVE_INFINITY;
  }

  drainChanges(): LogChanges<P> {
    const changes: LogChanges<P> = { append: [] };
    if (this.#baseDirty) {
      changes.base = { ...this.#base };
      this.#baseDirty = false;
    }
    if (this.#dirtyFrom === Number.POSITIVE_INFINITY) return changes;
    const from = Math.max(this.#dirtyFrom, this.#base.index + 1);
    changes.append = this.slice(from);
    if (from <= this.#handedOut) changes.truncateFrom = from;
    this.#handedOut = this.lastIndex;
    this.#dirtyFrom = Number.POSITIVE_INFINITY;
    return changes;
  }
}
