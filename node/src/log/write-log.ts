/**
 * The write path as the booking rules see it: propose a command, get it back as a committed,
 * applied log entry. A single node commits at once; the cluster replicates first. The booking
 * code never knows which.
 */
import type { Command, LogEntry } from '../booking/entries.js';

export interface WriteLog {
  /** Resolves once the command is committed (on a majority) and applied on this node. */
  propose(command: Command): Promise<LogEntry>;
  readonly appliedIndex: number;
  readonly commitIndex: number;
  readonly epoch: number;
  /** Resolves true once this node has applied `index`, false after `timeoutMs`. */
  waitApplied(index: number, timeoutMs: number): Promise<boolean>;
  /** Called after every applied batch, in log order, on every node. */
  onApplied(listener: (entries: LogEntry[]) => void): () => void;
}
