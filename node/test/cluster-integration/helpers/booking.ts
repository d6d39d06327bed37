/** Booking helpers for cluster tests: a future show with free seats, customers, outcomes. */
import type { TestClient } from '../../helpers/rpc-client.js';
import { RpcError } from '../../helpers/rpc-client.js';
import { type Cluster, waitUntil } from './cluster.js';

export const customer = (n: number | string) => ({ name: `Customer ${n}`, email: `c${n}@example.test` });

type ShowSummary = { id: string; startsAt: string; seatsAvailable: number };

/**
 * The shows starting more than an hour from now, once the bundled catalog has arrived on
 * `client`'s node: right after an election a slave may not have applied the master's import yet.
 */
export async function futureShows(client: TestClient): Promise<ShowSummary[]> {
  let shows: ShowSummary[] = [];
  const ok = await waitUntil(async () => {
    shows = (await client.call('catalog.shows', {})) as ShowSummary[];
    return shows.length > 0;
  }, 30_000);
  if (!ok) throw new Error('the catalog never arrived');
  const now = Date.now();
  return shows.filter((s) => Date.parse(s.startsAt) > now + 3600_000);
}

/** Waits for the bundled catalog on `client`'s node; returns a future show and its free seat ids. */
export async function freeSeats(
  client: TestClient,
  count: number,
): Promise<{ showId: string; seats: string[] }> {
  const future = (await futureShows(client)).filter((s) => s.seatsAvailable >= count);
  const show = future[future.length - 1]!;
  const map = await client.call('seats.map', { showId: show.id });
  const seats = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'available').map((s) => s.id));
  return { showId: show.id, seats: seats.slice(0, count) };
}

/** Every confirmed booking of a show, as seen by one node: code → seat ids. */
export async function bookingsOf(cluster: Cluster, nodeId: number, codes: string[]) {
  const client = await cluster.node(nodeId).connect();
  const found = new Map<string, string[]>();
  for (const code of codes) {
    try {
      const b = await client.call('bookings.get', { code });
      if (b.status === 'confirmed') found.set(code, b.seatIds);
    } catch (error) {
      if (!(error instanceof RpcError) || error.reason !== 'BOOKING_NOT_FOUND') throw error;
    }
  }
  client.close();
  return found;
}

export function reasonOf(error: unknown): string {
  return error instanceof RpcError ? (error.reason ?? `code ${error.code}`) : String(error);
}
