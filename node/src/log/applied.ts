/**
 * The applied index of a node, and who waits for it: readers that asked to see a given index
 * (read-your-writes on any node) and listeners of applied batches (seat notifications).
 */
import type { LogEntry } from './write-log.js';

export class AppliedIndex<C> {
  #index: number;
  readonly #listeners = new Set<(entries: readonly LogEntry<C>[]) => void>();
  readonly #waiters = new Set<{ index: number; resolve: (ok: boolean) => void }>();

  /** `maxWaiters` bounds what strangers can park here: past it a wait answers false at once. */
  constructor(
    index: number,
    private readonly maxWaiters: number,
  ) {
    this.#index = index;
  }

  get index(): number {
    return this.#index;
  }
  get waiting(): number {
    return this.#waiters.size;
  }

  /** Records that everything through `index` is applied and durable; wakes readers and listeners. */
  advance(index: number, applied: readonly LogEntry<C>[]): void {
    if (index <= this.#index) return;
    this.#index = index;
    for (const w of this.#waiters) {
      if (w.index <= index) {
        this.#waiters.delete(w);
        w.resolve(true);
      }
    }
    if (applied.length > 0) for (const listener of this.#listeners) listener(applied);
  }

  wait(index: number, timeoutMs: number): Promise<boolean> {
    if (index <= this.#index) return Promise.resolve(true);
    if (this.#waiters.size >= this.maxWaiters) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = {
        index,
        resolve: (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  onApplied(listener: (entries: readonly LogEntry<C>[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
