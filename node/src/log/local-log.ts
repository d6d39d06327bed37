/**
 * The write log of a node that is alone: it is its own majority, so an entry commits as soon as
 * it is on disk. Group commit: every command proposed while a transaction runs goes into the
 * next one, so a busy node writes many entries per fsync.
 */
import type { Pool } from 'mysql2/promise';
import type { Command, LogEntry } from '../booking/entries.js';
import type { LamportClock } from '../cluster/lamport.js';
import { appendLog, inTransaction, lastLogEntry, readLog, setMeta } from '../store/queries.js';
import type { StateMachine } from './state-machine.js';
import type { WriteLog } from './write-log.js';

interface Pending {
  command: Command;
  resolve: (entry: LogEntry) => void;
  reject: (error: unknown) => void;
}

export class LocalLog implements WriteLog {
  #lastIndex = 0;
  #queue: Pending[] = [];
  #flushing = false;
  readonly maxBatch = 256;

  constructor(
    private readonly pool: Pool,
    private readonly machine: StateMachine,
    private readonly clock: LamportClock,
    readonly epoch: number,
    private readonly onBatch: (size: number) => void = () => {},
  ) {}

  async load(): Promise<void> {
    const last = await lastLogEntry(this.pool);
    this.#lastIndex = last?.index ?? 0;
    if (last) this.clock.witness(last.lamport);
    // Entries on disk but not applied (a crash between two transactions cannot leave any, but an
    // older version or a replicated node might): apply them before serving.
    if (this.machine.appliedIndex < this.#lastIndex) {
      await this.machine.apply(await readLog(this.pool, this.machine.appliedIndex + 1));
    }
  }

  get appliedIndex(): number {
    return this.machine.appliedIndex;
  }
  get commitIndex(): number {
    return this.#lastIndex;
  }

  propose(command: Command): Promise<LogEntry> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ command, resolve, reject });
      if (!this.#flushing) setImmediate(() => void this.#flush());
    });
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    return this.machine.waitApplied(index, timeoutMs);
  }

  onApplied(listener: (entries: LogEntry[]) => void): () => void {
    return this.machine.onApplied(listener);
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.maxBatch);
        const entries = batch.map((p, i) => ({
          index: this.#lastIndex + 1 + i,
          epoch: this.epoch,
          lamport: this.clock.tick(),
          command: p.command,
        }));
        try {
          await inTransaction(this.pool, async (tx) => {
            await appendLog(tx, entries);
            await this.machine.applyIn(tx, entries);
            await setMeta(tx, { commit_index: entries.at(-1)!.index });
          });
        } catch (error) {
          for (const p of batch) p.reject(error);
          continue;
        }
        this.#lastIndex = entries.at(-1)!.index;
        this.onBatch(entries.length);
        this.machine.applied(entries);
        for (const [i, p] of batch.entries()) p.resolve(entries[i]!);
      }
    } finally {
      this.#flushing = false;
    }
  }
}
