/**
 * The booking rows this node created or read last, so that a cancel, a lookup or a retried booking
 * does not ask MySQL for a row it had a moment ago (in the bench, every cancel named a booking of
 * the last few seconds, and its SELECT was the master's largest single MySQL cost after the log).
 *
 * Only what never changes is trusted from here: a booking's fields are fixed when its entry is
 * applied, except its status, which callers always take from the state machine. A row enters only
 * once its entry is applied on this node, so nothing uncommitted is ever served from here.
 * Bounded (limits.ts RECENT_BOOKINGS), the least recently used out first (recent-map.ts).
 */
import type { BookingRow } from '../store/queries.js';
import { RecentMap } from './recent-map.js';

export class RecentBookings {
  readonly #byId: RecentMap<string, BookingRow>;
  readonly #idByCode: RecentMap<string, string>;

  constructor(capacity: number) {
    this.#byId = new RecentMap(capacity);
    this.#idByCode = new RecentMap(capacity);
  }

  get size(): number {
    return this.#byId.size;
  }

  remember(row: BookingRow): void {
    this.#byId.set(row.id, row);
    this.#idByCode.set(row.code, row.id);
  }

  byId(id: string): BookingRow | undefined {
    return this.#byId.get(id);
  }

  byCode(code: string): BookingRow | undefined {
    const id = this.#idByCode.get(code);
    return id === undefined ? undefined : this.byId(id);
  }
}
