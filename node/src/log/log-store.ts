/**
 * What the replicated log's driver needs from durable storage, and nothing else: load the log and
 * its hard state, write one Ready (log changes, applied effects and meta) as one transaction, and
 * the snapshot path (read the applied state consistently, stage a received one, install it). The
 * production store is MySQL (mysql-log-store.ts); the simulation's is in memory and can be slow,
 * fail, or lose a write that was not yet committed when its node crashed.
 *
 * `E` is the state machine's effect type (SQL statements in production): the store writes the
 * effects with the log change they belong to and knows nothing of what they mean.
 */
import type { Entry } from '../cluster/entry.js';
import type { SnapshotPoint } from '../cluster/replication-log.js';
import type { SnapshotTable, StateReader } from '../store/queries.js';

/** The durable vote: the epoch this node is in and whom it promised in which epoch. */
export interface Vote {
  epoch: number;
  promisedEpoch: number;
  promisedTo: number | null;
}

export interface StoredLog<C> {
  vote: Vote;
  commitIndex: number;
  lamport: number;
  /** Where the stored log starts (a compaction or a snapshot install moved it); absent: at 1. */
  snapshot?: SnapshotPoint;
  /** The entries after the snapshot point, in order. */
  log: Entry<C>[];
}

/** One transaction. Every field is optional; what is absent stays as stored. */
export interface LogWrite<C, E> {
  /** A Ready's log changes: drop up to `base`, cut from `truncateFrom`, then append. */
  log?: { base?: SnapshotPoint; truncateFrom?: number; append: readonly Entry<C>[] };
  /** The effects of applying committed entries, with `appliedIndex`. */
  effects?: readonly E[];
  appliedIndex?: number;
  vote?: Vote;
  commitIndex?: number;
  lamport?: number;
}

/** Installs the staged snapshot: the state, applied index = `point.index`, the log's new start. */
export interface SnapshotInstall {
  point: SnapshotPoint;
  /** Keep the stored entries after the point (our log agrees with the snapshot there). */
  keepAfter: boolean;
  vote: Vote;
  commitIndex: number;
  lamport: number;
}

/** Where a received snapshot's chunks wait until the last one arrived (the live state is untouched). */
export interface SnapshotStaging {
  reset(): Promise<void>;
  stage(table: SnapshotTable, columns: readonly string[], rows: readonly unknown[][]): Promise<void>;
  drop(): Promise<void>;
}

export interface LogStore<C, E> {
  load(): Promise<StoredLog<C>>;
  write(w: LogWrite<C, E>): Promise<void>;
  /** Best effort at shutdown: the Lamport time, so a restart does not reuse it. */
  saveLamport(time: number): Promise<void>;
  /** The applied state at one index, read consistently (the master's side of a transfer). */
  openStateReader(): Promise<StateReader>;
  readonly staging: SnapshotStaging;
  installSnapshot(s: SnapshotInstall): Promise<void>;
}
