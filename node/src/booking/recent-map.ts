/**
 * A bounded map of recent entries in two generations: new and touched entries go to the young
 * one; when it is full, the old generation is dropped whole and the young one becomes old. Every
 * operation is O(1). An LRU that evicts with `map.keys().next()` after deletes is not: V8 leaves
 * deleted slots at the front of a Map until it rehashes, and the iterator walks them all (it was
 * 1.5 % of a master's CPU under the bench, docs/performance.md).
 *
 * Holds at most `capacity` entries, and always the `floor(capacity / 2)` most recently used ones
 * (at least the last one, when capacity is 1).
 */
export class RecentMap<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #half: number;
  /** Whether the old generation fits beside a full young one (not for a capacity of 1). */
  readonly #keepOld: boolean;

  constructor(capacity: number) {
    const c = Math.max(0, Math.floor(capacity));
    this.#half = c === 1 ? 1 : Math.floor(c / 2);
    this.#keepOld = 2 * this.#half <= c;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#put(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.#half === 0) return;
    this.#old.delete(key);
    this.#put(key, value);
  }

  #put(key: K, value: V): void {
    if (!this.#young.has(key) && this.#young.size >= this.#half) {
      this.#old = this.#keepOld ? this.#young : new Map();
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
