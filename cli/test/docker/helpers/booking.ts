/** Booking over the public protocol through Nginx, retrying what a real client retries. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Booking, ClusterStatus } from '@booking/node/protocol';
import { RpcError, withRpc } from '../../../src/services/rpc-client.js';

class NoShowsYet extends Error {}

/**
 * "Try again": an election runs, someone took the seats first, the socket died with its node, or
 * the catalog has not reached this node yet (a new cluster imports it through the master).
 */
function retryable(error: unknown): boolean {
  if (error instanceof NoShowsYet) return true;
  return (
    error instanceof RpcError &&
    (error.transport || error.reason === 'NO_MASTER' || error.reason === 'SEATS_UNAVAILABLE')
  );
}

export interface Booked {
  booking: Booking;
  /** The cluster status of the node that took the booking. */
  status: ClusterStatus;
  attempts: number;
}

/** Books `count` free seats of a random future show through `url`, retrying for up to `withinMs`. */
export async function bookThrough(url: string, count: number, withinMs = 60_000): Promise<Booked> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (let attempt = 1; ; attempt++) {
    try {
      return await withRpc(url, { callTimeoutMs: 10_000 }, async (rpc) => {
        const now = Date.now();
        const shows = (await rpc.call('catalog.shows', {})).filter(
          (s) => Date.parse(s.startsAt) > now + 3_600_000 && s.seatsAvailable >= count,
        );
        if (shows.length === 0) throw new NoShowsYet('no future show with free seats');
        const show = shows[Math.floor(Math.random() * shows.length)]!;
        const map = await rpc.call('seats.map', { showId: show.id });
        const free = map.rows
          .flatMap((r) => r.seats)
          .filter((s) => s.status === 'available' && (s.kind as string) !== 'gap');
        const start = Math.floor(Math.random() * Math.max(1, free.length - count));
        const booking = await rpc.call('bookings.book', {
          showId: show.id,
          seatIds: free.slice(start, start + count).map((s) => s.id),
          customer: { name: 'Grace Hopper', email: 'grace@example.com' },
          idempotencyKey: `docker-test-${process.pid}-${now}-${attempt}`,
        });
        return { booking, status: await rpc.call('cluster.status', {}), attempts: attempt };
      });
    } catch (error) {
      last = error;
      if (!retryable(error) || Date.now() > deadline) throw last;
      await sleep(250);
    }
  }
}

/**
 * Polls every node (through Nginx's /nodes/<id>/rpc) until a majority of them name the same master
 * and that master says so itself, twice in a row half a second apart: a node that is master for a
 * moment while the others are still starting (bully: a higher id takes over) does not count.
 */
export async function waitForMaster(
  nodes: readonly { id: number; rpcUrl: string }[],
  opts: { withinMs?: number } = {},
): Promise<number> {
  const deadline = Date.now() + (opts.withinMs ?? 60_000);
  const majority = Math.floor(nodes.length / 2) + 1;
  let previous: number | null = null;
  for (;;) {
    const statuses = await Promise.all(
      nodes.map((node) =>
        withRpc(node.rpcUrl, { connectTimeoutMs: 1000, callTimeoutMs: 1000 }, (rpc) =>
          rpc.call('cluster.status', {}),
        ).catch(() => null),
      ),
    );
    const votes = new Map<number, number>();
    for (const status of statuses) {
      if (status?.masterId != null) votes.set(status.masterId, (votes.get(status.masterId) ?? 0) + 1);
    }
    const agreed = [...votes].find(
      ([id, count]) => count >= majority && statuses.some((s) => s?.nodeId === id && s.role === 'master'),
    )?.[0];
    if (agreed !== undefined && agreed === previous) return agreed;
    previous = agreed ?? null;
    if (Date.now() > deadline) throw new Error('no master agreed on by a majority in time');
    await sleep(500);
  }
}
