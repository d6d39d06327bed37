/** Who listens to which show's seats; turns applied log entries into `seats.changed` notifications. */
import { type BookingEntry, seatChanges } from '../booking/entries.js';
import type { SeatsChanged } from '../protocol/model.js';

export interface Subscriber {
  notify(method: 'seats.changed', params: SeatsChanged): void;
}

export class Subscriptions {
  readonly #byShow = new Map<string, Set<Subscriber>>();

  add(showId: string, subscriber: Subscriber): void {
    let set = this.#byShow.get(showId);
    if (!set) {
      set = new Set();
      this.#byShow.set(showId, set);
    }
    set.add(subscriber);
  }

  remove(showId: string, subscriber: Subscriber): void {
    const set = this.#byShow.get(showId);
    set?.delete(subscriber);
    if (set?.size === 0) this.#byShow.delete(showId);
  }

  removeAll(subscriber: Subscriber, showIds: Iterable<string>): void {
    for (const showId of showIds) this.remove(showId, subscriber);
  }

  /** One notification per show per applied batch, with each seat's final status in it. */
  publish(entries: readonly BookingEntry[]): void {
    if (this.#byShow.size === 0) return;
    const perShow = new Map<
      string,
      { seats: Map<string, SeatsChanged['seats'][number]>; commitIndex: number }
    >();
    for (const entry of entries) {
      for (const change of seatChanges(entry.command)) {
        if (!this.#byShow.has(change.showId)) continue;
        const acc = perShow.get(change.showId) ?? { seats: new Map(), commitIndex: 0 };
        for (const seat of change.seats) acc.seats.set(seat.id, seat);
        acc.commitIndex = entry.index;
        perShow.set(change.showId, acc);
      }
    }
    for (const [showId, acc] of perShow) {
      const params: SeatsChanged = { showId, seats: [...acc.seats.values()], commitIndex: acc.commitIndex };
      for (const subscriber of this.#byShow.get(showId) ?? []) subscriber.notify('seats.changed', params);
    }
  }
}
