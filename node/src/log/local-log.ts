/**
 * The write log of a node that is alone: it is its own majority, so an entry commits as soon as
 * it is on disk. Group commit: every command proposed while a transaction runs goes into the
 * next one, and a batch's log entries and their effects are one transaction, one fsync.
 */
import type { Pool } from 'mysql2/promise';
import type { LamportClock } from '../cluster/lamport.js';
import { MAX_BATCH_ENTRIES, PROPOSE_TIMEOUT_MS, RETRY_BACKOFF_MAX_MS } from '../limits.js';
import { AppError } from '../protocol/errors.js';
import { appendLogStatement, lastLogEntry, metaStatement, readLog } from '../store/queries.js';
import { type Statement, transact } from '../store/statements.js';
import { AppliedIndex } from './applied.js';
import type { Applier, LogEntry, Proposal, WriteLog } from './write-log.js';

interface Pending {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface LocalLogHooks {
  onBatch?(entries: number, persistSeconds: number): void;
  onApplyFailure?(error: unknown, attempt: number): void;
}

export class LocalLog<C> implements WriteLog<C> {
  #lastIndex = 0;
  #queue: LogEntry<C>[] = [];
  readonly #pending = new Map<number, Pending>();
  #flushing: Promise<void> | null = null;
  #closed = false;
  readonly #applied: AppliedIndex<C>;
  readonly servingTerm = 1;
  #applyError: Error | null = null;

  constructor(
    private readonly pool: Pool,
    /** Multi-statement pool for the one-round-trip transactions of the write path. */
    private readonly writePool: Pool,
    private readonly applier: Applier<C>,
    private readonly clock: LamportClock,
    readonly epoch: number,
    appliedIndex: number,
    maxWaiters: number,
    private readonly hooks: LocalLogHooks = {},
  ) {
    this.#applied = new AppliedIndex(appliedIndex, maxWaiters);
  }

  async load(): Promise<void> {
    const last = await lastLogEntry(this.pool);
    this.#lastIndex = Math.max(last?.index ?? 0, this.#applied.index);
    if (last) this.clock.witness(last.lamport);
    // Entries on disk but not applied (left by an older version, or by a node that was once part of
    // a cluster): apply them before serving.
    if (this.#applied.index < (last?.index ?? 0)) {
      const entries = await readLog<C>(this.pool, this.#applied.index + 1);
      const batch = this.applier.prepare(entries, last!.index);
      await transact(this.writePool, [
        ...batch.statements,
        metaStatement({ applied_index: last!.index }) as Statement,
      ]);
      this.#applied.advance(last!.index, batch.applied);
    }
  }

  get serving(): boolean {
    return !this.#closed;
  }
  get applyError(): Error | null {
    return this.#applyError;
  }
  get lastIndex(): number {
    return this.#lastIndex;
  }
  get appliedIndex(): number {
    return this.#applied.index;
  }
  get commitIndex(): number {
    return this.#applied.index;
  }

  propose(command: C): Proposal {
    if (this.#closed) throw new AppError('NO_MASTER', 'node shutting down');
    const entry: LogEntry<C> = {
      index: ++this.#lastIndex,
      epoch: this.epoch,
      lamport: this.clock.tick(),
      command,
    };
    this.#queue.push(entry);
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(entry.index);
        reject(
          new AppError('NO_MASTER', 'the write was not stored in time; retry shortly', { indefinite: true }),
        );
      }, PROPOSE_TIMEOUT_MS);
      this.#pending.set(entry.index, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
    if (!this.#flushing) this.#flushing = new Promise((r) => setImmediate(r)).then(() => this.#flush());
    return { index: entry.index, epoch: entry.epoch, lamport: entry.lamport, done };
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    return this.#applied.wait(index, timeoutMs);
  }

  onApplied(listener: (entries: readonly LogEntry<C>[]) => void): () => void {
    return this.#applied.onApplied(listener);
  }

  onServing(listener: () => void): () => void {
    listener();
    return () => {};
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#flushing;
    for (const p of this.#pending.values()) p.reject(new AppError('NO_MASTER', 'node shutting down'));
    this.#pending.clear();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const entries = this.#queue.splice(0, MAX_BATCH_ENTRIES);
        const last = entries.at(-1)!.index;
        // The effects are decided once; a failed transaction is retried with the same ones. The
        // indexes are taken, so the entries must be stored: a database outage makes writes wait.
        const batch = this.applier.prepare(entries, last);
        const started = performance.now();
        for (let attempt = 0; ; attempt++) {
          try {
            await transact(this.writePool, [
              appendLogStatement(entries) as Statement,
              ...batch.statements,
              metaStatement({
                applied_index: last,
                commit_index: last,
                lamport: this.clock.time,
              }) as Statement,
            ]);
            this.#applyError = null;
            break;
          } catch (error) {
            this.#applyError = error instanceof Error ? error : new Error(String(error));
            this.hooks.onApplyFailure?.(error, attempt);
            if (this.#closed) return;
            await new Promise((r) => setTimeout(r, Math.min(RETRY_BACKOFF_MAX_MS, 50 * 2 ** attempt)));
          }
        }
        this.hooks.onBatch?.(entries.length, (performance.now() - started) / 1000);
        this.#applied.advance(last, batch.applied);
        for (const e of entries) {
          this.#pending.get(e.index)?.resolve();
          this.#pending.delete(e.index);
        }
      }
    } finally {
      this.#flushing = null;
    }
  }
}
