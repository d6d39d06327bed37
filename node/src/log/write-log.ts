/**
 * The write path as the state machine above it sees it, generic over the command type: propose a
 * command on a serving master, learn when it is committed and applied. A single node commits at
 * once; the cluster replicates first. Nothing above this interface knows which.
 */
import type { Statement } from '../store/statements.js';

export interface LogEntry<C> {
  index: number;
  epoch: number;
  lamport: number;
  command: C;
}

/** A command appended to this master's log. */
export interface Proposal {
  index: number;
  epoch: number;
  lamport: number;
  /**
   * Resolves once the entry is committed (on a majority) and applied on this node. Rejects with
   * NO_MASTER when the entry was lost in a failover (it will never apply: definite) or when it did
   * not commit in time (`data.indefinite: true`: it may still commit; retry with the same
   * idempotency key to learn the outcome).
   */
  done: Promise<void>;
}

/**
 * What the state machine does with committed entries, as the log sees it. `E` is the type of its
 * effects, which the log's storage writes with the log change they belong to (SQL statements in
 * production, plain records in the simulation).
 */
export interface Applier<C, E = Statement> {
  /**
   * Decides, in memory and deterministically, what a batch of committed entries does; called once
   * per batch, in log order. `throughIndex` is the batch's last index (barriers carry no command).
   */
  prepare(entries: readonly LogEntry<C>[], throughIndex: number): PreparedBatch<C, E>;
  /**
   * Storage now holds a snapshot installed from another node (its applied state at a later
   * index): replace the in-memory state by what storage holds. Called with nothing being applied.
   */
  reload(): Promise<void>;
}

export interface PreparedBatch<C, E = Statement> {
  /** The batch's effects, for the log's transaction (sent again if that transaction failed). */
  readonly statements: readonly E[];
  /** The entries that took effect (rejected ones are left out), for notifications. */
  readonly applied: readonly LogEntry<C>[];
}

export interface WriteLog<C> {
  /** True while this node may decide and propose writes (a master whose view change is applied). */
  readonly serving: boolean;
  /**
   * Changes every time this node starts serving anew. State derived from "everything in my log"
   * (the master's tail) must be rebuilt when it changes.
   */
  readonly servingTerm: number;
  /** Last index of this node's log. */
  readonly lastIndex: number;
  readonly appliedIndex: number;
  readonly commitIndex: number;
  readonly epoch: number;
  /** Set while writing applied entries keeps failing (the database): the node is not ready then. */
  readonly applyError: Error | null;
  /**
   * Appends the command to the log now, synchronously, or throws NO_MASTER. Synchronous on
   * purpose: a decision and its proposal happen in one turn of the event loop, so no other
   * decision and no change of term can come between them.
   */
  propose(command: C): Proposal;
  /** Resolves true once this node has applied `index`, false after `timeoutMs` (or when too many wait). */
  waitApplied(index: number, timeoutMs: number): Promise<boolean>;
  /** Called after every applied batch, in log order, on every node, with the entries that took effect. */
  onApplied(listener: (entries: readonly LogEntry<C>[]) => void): () => void;
  /** Called each time this node starts serving (after `servingTerm` changed). */
  onServing(listener: () => void): () => void;
}
