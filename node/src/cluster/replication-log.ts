import type { Entry } from './entry.js';

/** What changed in the log since the last drain, for the I/O layer to make durable. */
export interface LogChanges<P> {
  /** Delete every stored entry with index >= truncateFrom before appending. */
  truncateFrom?: number;
  append: Entry<P>[];
}

/**
 * The whole log, in memory (a known limit: no snapshots or compaction yet; see docs/cluster.md).
 * Indexes start at 1; index 0 is the empty prefix with epoch 0. Entries are treated as immutable, so
 * callers may share them.
 */
export class ReplicationLog<P> {
  #entries: Entry<P>[];
  /** Lowest index changed since the last drain. */
  #dirtyFrom = Number.POSITIVE_INFINITY;
  /** Last index handed to the I/O layer (written, or being written). */
  #handedOut: number;

  constructor(entries: readonly Entry<P>[]) {
    entries.forEach((e, k) => {
      if (e.index !== k + 1) throw new Error(`persisted log is not contiguous at position ${k + 1}`);
    });
    this.#entries = [...entries];
    this.#handedOut = entries.length;
  }

  get lastIndex(): number {
    return this.#entries.length;
  }

  get lastEpoch(): number {
    return this.epochAt(this.#entries.length) ?? 0;
  }

  /** Epoch of the entry at `index`; 0 for index 0; undefined past the end. */
  epochAt(index: number): number | undefined {
    if (index === 0) return 0;
    return this.#entries[index - 1]?.epoch;
  }

  entry(index: number): Entry<P> | undefined {
    return this.#entries[index - 1];
  }

  /** Entries with from <= index <= to. */
  slice(from: number, to = this.#entries.length): Entry<P>[] {
    return this.#entries.slice(Math.max(from, 1) - 1, Math.max(to, 0));
  }

  append(entry: Entry<P>): void {
    if (entry.index !== this.#entries.length + 1) throw new Error(`append at ${entry.index} leaves a gap`);
    this.#entries.push(entry);
    this.#dirtyFrom = Math.min(this.#dirtyFrom, entry.index);
  }

  /** Drop entries from `index` on. */
  truncateFrom(index: number): void {
    if (index > this.#entries.length) return;
    this.#entries.length = index - 1;
    this.#dirtyFrom = Math.min(this.#dirtyFrom, index);
  }

  /**
   * Raft's conflict hint: the largest index <= `index` whose epoch is <= `epoch`. Entries after it
   * belong to epochs the master's log does not have there, so the master skips a whole epoch per probe.
   */
  lastIndexAtOrBelowEpoch(index: number, epoch: number): number {
    let i = Math.min(index, this.#entries.length);
    while (i > 0 && (this.epochAt(i) ?? 0) > epoch) i--;
    return i;
  }

  /** Whether anything changed since the last drain. */
  get dirty(): boolean {
    return this.#dirtyFrom !== Number.POSITIVE_INFINITY;
  }

  drainChanges(): LogChanges<P> {
    if (this.#dirtyFrom === Number.POSITIVE_INFINITY) return { append: [] };
    const from = this.#dirtyFrom;
    const changes: LogChanges<P> = { append: this.slice(from) };
    if (from <= this.#handedOut) changes.truncateFrom = from;
    this.#handedOut = this.#entries.length;
    this.#dirtyFrom = Number.POSITIVE_INFINITY;
    return changes;
  }
}
