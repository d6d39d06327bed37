/**
 * How many seats one client may keep on hold at once: per connection and per client address, on
 * the node the client talks to. A hold counts until it is released, confirmed or past its expiry.
 * Bounded by construction: a client holds at most the quota, so it can register at most that many.
 */
import { AppError } from '../protocol/errors.js';

interface Held {
  seats: number;
  expiresAtMs: number;
}

export class HoldQuota {
  /** address → holdId → seats: a connection's holds are a subset of its address's. */
  readonly #byAddress = new Map<string, Map<string, Held>>();

  constructor(
    private readonly perConnection: number,
    private readonly perAddress: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws TOO_MANY_SEATS if `seats` more (replacing `holdId`'s, if it is a change) would pass a quota. */
  check(address: string, mine: Map<string, Held>, seats: number, holdId?: string): void {
    const t = this.now();
    const live = (m: Map<string, Held> | undefined) => {
      let n = 0;
      for (const [id, h] of m ?? []) {
        if (h.expiresAtMs <= t) m!.delete(id);
        else if (id !== holdId) n += h.seats;
      }
      return n;
    };
    const connection = live(mine) + seats;
    const address_ = live(this.#byAddress.get(address)) + seats;
    if (connection > this.perConnection || address_ > this.perAddress) {
      const max = connection > this.perConnection ? this.perConnection : this.perAddress;
      throw new AppError(
        'TOO_MANY_SEATS',
        `at most ${max} seats on hold at once per client; release or book some first`,
        {
          max,
        },
      );
    }
  }

  taken(address: string, mine: Map<string, Held>, holdId: string, seats: number, expiresAtMs: number): void {
    if (this.#byAddress.size > SWEEP_ABOVE) this.#sweep();
    const held = { seats, expiresAtMs };
    mine.set(holdId, held);
    let forAddress = this.#byAddress.get(address);
    if (!forAddress) {
      forAddress = new Map();
      this.#byAddress.set(address, forAddress);
    }
    forAddress.set(holdId, held);
  }

  /** The hold was released or became a booking. */
  ended(address: string, mine: Map<string, Held>, holdId: string): void {
    mine.delete(holdId);
    const forAddress = this.#byAddress.get(address);
    forAddress?.delete(holdId);
    if (forAddress?.size === 0) this.#byAddress.delete(address);
  }

  /** Addresses with live holds (a connection's holds count for its address after it closes). */
  addresses(): number {
    return this.#byAddress.size;
  }

  #sweep(): void {
    const t = this.now();
    for (const [address, holds] of this.#byAddress) {
      for (const [id, h] of holds) if (h.expiresAtMs <= t) holds.delete(id);
      if (holds.size === 0) this.#byAddress.delete(address);
    }
  }
}

/** Addresses remembered before expired holds are swept out of the map. */
const SWEEP_ABOVE = 10_000;

export type HeldByConnection = Map<string, Held>;
