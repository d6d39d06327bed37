/**
 * What the bench books. Pure: built from shows and their seat maps, shuffled by a seed.
 *
 * Steady load: every client owns its own slice of two-seat pairs (so clients do not fight over
 * seats, which would measure contention instead of throughput) and, to run as long as asked on
 * a catalog of finite size, cancels its oldest booking once it holds `keep` of them. The same
 * mix runs against the cluster and against the single-MySQL baseline.
 */
import { mulberry32, randomInt } from '@booking/node/cluster/prng';

export interface SeatPair {
  showId: string;
  seatIds: string[];
}

export interface ShowSeats {
  showId: string;
  /** Seats that are available now, in map order. */
  seatIds: string[];
}

export function shuffle<T>(list: readonly T[], seed: number): T[] {
  const random = mulberry32(seed);
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Neighbouring available seats in pairs, per show; the pairs of all shows shuffled together. */
export function seatPairs(shows: readonly ShowSeats[], seed: number, size = 2): SeatPair[] {
  const pairs: SeatPair[] = [];
  for (const s of shows)
    for (let i = 0; i + size <= s.seatIds.length; i += size)
      pairs.push({ showId: s.showId, seatIds: s.seatIds.slice(i, i + size) });
  return shuffle(pairs, seed);
}

/** Deals the pairs round-robin: client c gets pairs c, c + clients, ... (disjoint slices). */
export function deal<T>(items: readonly T[], clients: number): T[][] {
  const hands: T[][] = Array.from({ length: clients }, () => []);
  items.forEach((item, i) => {
    hands[i % clients]!.push(item);
  });
  return hands;
}

/**
 * One client's plan: book its pairs in turn; once it holds `keep` bookings, the next step cancels
 * the oldest one and its pair goes back to the end of the queue.
 */
export class ClientPlan {
  readonly #queue: SeatPair[];
  readonly #held: { code: string; pair: SeatPair }[] = [];

  constructor(
    pairs: readonly SeatPair[],
    readonly keep = 4,
  ) {
    this.#queue = [...pairs];
  }

  /** The next step, or null when the client has nothing left to book or cancel. */
  next(): { kind: 'book'; pair: SeatPair } | { kind: 'cancel'; code: string } | null {
    if (this.#held.length >= this.keep || (this.#queue.length === 0 && this.#held.length > 0)) {
      const oldest = this.#held.shift()!;
      this.#queue.push(oldest.pair);
      return { kind: 'cancel', code: oldest.code };
    }
    const pair = this.#queue.shift();
    return pair ? { kind: 'book', pair } : null;
  }

  booked(code: string, pair: SeatPair): void {
    this.#held.push({ code, pair });
  }

  /** Bookings this client holds now. */
  get holding(): number {
    return this.#held.length;
  }
}
