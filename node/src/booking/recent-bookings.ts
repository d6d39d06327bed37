/**
 * The booking rows this node created or read last, so that a cancel, a lookup or a retried booking
 * does not ask MySQL for a row it had a moment ago (in the bench, every cancel named a booking of
 * the last few seconds, and its SELECT was the master's largest single MySQL cost after the log).
 *
 * Only what never changes is trusted from here: a booking's fields are fixed when its entry is
 * applied, except its status, which callers always take from the state machine. A row enters only
 * once its entry is applied on this node, so nothing uncommitted is ever served from here.
 * Bounded (limits.ts RECENT_BOOKINGS), least recently used out first.
 */
import type { BookingRow } from '../store/queries.js';

export class RecentBookings {
  readonly #byId = new Map<string, BookingRow>();
  readonly #idByCode = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.#byId.size;
  }

  remember(row: BookingRow): void {
    if (this.capacity <= 0) return;
    this.#byId.delete(row.id);
    this.#byId.set(row.id, row);
    this.#idByCode.set(row.code, row.id);
    while (this.#byId.size > this.capacity) {
      const [oldId, old] = this.#byId.entries().next().value as [string, BookingRow];
      this.#byId.delete(oldId);
      if (this.#idByCode.get(old.code) === oldId) this.#idByCode.delete(old.code);
    }
  }

  byId(id: string): BookingRow | undefined {
    const row = this.#byId.get(id);
    if (row) this.remember(row);
    return row;
  }

  byCode(code: string): BookingRow | undefined {
    const id = this.#idByCode.get(code);
    return id === undefined ? undefined : this.byId(id);
  }
}
