/**
 * A replicated log entry. `epoch` is the epoch of the master that created it (never rewritten when
 * a later master adopts it), `lamport` that master's Lamport time at creation.
 *
 * A `barrier` entry is what a new master appends to open its epoch: committing it commits the whole
 * adopted log (a master only commits by counting entries of its own epoch, see docs/cluster.md).
 * The application skips barriers; they only advance the applied index.
 */
export type Entry<P> = CommandEntry<P> | BarrierEntry;

export interface CommandEntry<P> {
  index: number;
  epoch: number;
  lamport: number;
  kind: 'command';
  payload: P;
}

export interface BarrierEntry {
  index: number;
  epoch: number;
  lamport: number;
  kind: 'barrier';
}

/**
 * What must survive a crash besides the log. The I/O layer writes it (and the log changes of the same
 * Ready) durably before sending any message of that Ready: a promise or an epoch that was announced
 * but forgotten after a restart would let two masters share an epoch.
 */
export interface HardState {
  /** Epoch of the view this node belongs to (its master's, or its own as master). */
  epoch: number;
  /** Highest epoch promised to a candidate (>= epoch); older masters are refused. */
  promisedEpoch: number;
  /** Whom `promisedEpoch` was promised to, so a retransmitted COORDINATOR gets the same answer. */
  promisedTo: number | null;
  /** Not needed for safety (it is re-learnt from the master); saves re-applying after a restart. */
  commitIndex: number;
  /** Restores the clock so events keep growing across restarts; entries restore it too. */
  lamport: number;
}
