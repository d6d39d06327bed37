/** A customer booking seats over the public protocol, the way any client would. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Booking } from '@booking/node/protocol';
import { RpcError, withRpc } from '../../src/services/rpc-client.js';

class NoShowsYet extends Error {
  constructor() {
    super('no future show with free seats');
  }
}

/** Reasons that mean "try again": an election is running, or someone took our seats first. */
const RETRY = new Set(['NO_MASTER', 'SEATS_UNAVAILABLE']);

/**
 * Books `count` available seats of a random future show through `url` (Nginx's /rpc). Retries on
 * NO_MASTER, a lost race, or a connection that died with its node, up to `attempts` times.
 */
export async function bookSomeSeats(url: string, count: number, attempts = 40): Promise<Booking> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await withRpc(url, { callTimeoutMs: 10_000 }, async (rpc) => {
        const now = Date.now();
        const shows = (await rpc.call('catalog.shows', {})).filter(
          (s) => Date.parse(s.startsAt) > now + 3_600_000 && s.seatsAvailable >= count,
        );
        // Right after start the master may still be loading the bundled catalog: retried.
        if (shows.length === 0) throw new NoShowsYet();
        const show = shows[Math.floor(Math.random() * shows.length)]!;
        const map = await rpc.call('seats.map', { showId: show.id });
        const free = map.rows.flatMap((r) => r.seats).filter((s) => s.status === 'available');
        const start = Math.floor(Math.random() * Math.max(1, free.length - count));
        const seatIds = free.slice(start, start + count).map((s) => s.id);
        return rpc.call('bookings.book', {
          showId: show.id,
          seatIds,
          customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
          idempotencyKey: `cli-test-${process.pid}-${now}-${attempt}`,
        });
      });
    } catch (error) {
      last = error;
      const retry =
        error instanceof NoShowsYet ||
        (error instanceof RpcError && (error.transport || RETRY.has(error.reason ?? '')));
      if (!retry) throw error;
      await sleep(250);
    }
  }
  throw last;
}
