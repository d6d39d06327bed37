/**
 * Applies committed log entries to the node's database, each batch in one transaction together
 * with `applied_index`, so after a crash the node knows exactly where to resume.
 */
import type { Pool } from 'mysql2/promise';
import type { LogEntry } from '../booking/entries.js';
import { applyCommands, type Db, getMeta, inTransaction, setMeta } from '../store/queries.js';
import { localDateOf } from './local-date.js';

export class StateMachine {
  #appliedIndex = 0;
  readonly #listeners = new Set<(entries: LogEntry[]) => void>();
  readonly #waiters: { index: number; resolve: (ok: boolean) => void }[] = [];

  constructor(private readonly pool: Pool) {}

  async load(): Promise<void> {
    const meta = await getMeta(this.pool);
    this.#appliedIndex = Number(meta.get('applied_index') ?? 0);
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  /**
   * Applies entries inside an open transaction (the caller commits), then call `applied` after commit.
   * `throughIndex` moves the applied index past log entries that change nothing here (the cluster's
   * view-change barriers), which are not in `entries`.
   */
  async applyIn(tx: Db, entries: LogEntry[], throughIndex?: number): Promise<void> {
    await applyCommands(
      tx,
      entries.filter((entry) => entry.index > this.#appliedIndex),
      localDateOf,
    );
    const last = Math.max(entries.at(-1)?.index ?? 0, throughIndex ?? 0);
    if (last > this.#appliedIndex) await setMeta(tx, { applied_index: last });
  }

  /** Applies entries in their own transaction. */
  async apply(entries: LogEntry[]): Promise<void> {
    const fresh = entries.filter((e) => e.index > this.#appliedIndex);
    if (fresh.length === 0) return;
    await inTransaction(this.pool, (tx) => this.applyIn(tx, fresh));
    this.applied(fresh);
  }

  /** Records that entries were applied and committed to disk; wakes readers and notifies listeners. */
  applied(entries: LogEntry[], throughIndex?: number): void {
    const fresh = entries.filter((e) => e.index > this.#appliedIndex);
    const last = Math.max(fresh.at(-1)?.index ?? 0, throughIndex ?? 0);
    if (last <= this.#appliedIndex) return;
    this.#appliedIndex = last;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (waiter.index <= this.#appliedIndex) {
        this.#waiters.splice(i, 1);
        waiter.resolve(true);
      }
    }
    if (fresh.length > 0) for (const listener of this.#listeners) listener(fresh);
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    if (index <= this.#appliedIndex) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        index,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  onApplied(listener: (entries: LogEntry[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
