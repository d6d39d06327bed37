/**
 * The one place the app reaches the backend. Stores and composables call these functions; the
 * client behind them is created on first use (so importing a store never opens a socket) and can
 * be replaced in tests with `provideClient`.
 */
import type { ParamsOf, ResultOf } from '@booking/node/protocol';
import { BookingClient, type ClientOptions } from './client.ts';

export { BookingClient, newIdempotencyKey } from './client.ts';
export { ConnectionError, describeError, hasReason, RpcError, TimeoutError } from './errors.ts';
export type { SocketState } from './socket.ts';

/** `ws(s)://<host><path>`, following the page's own scheme so TLS terminates at Nginx. */
export function socketUrl(path: string): string {
  const { protocol, host } = globalThis.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}${path}`;
}

let client: BookingClient | null = null;

export function useClient(): BookingClient {
  client ??= new BookingClient(socketUrl('/rpc'));
  return client;
}

export function provideClient(next: BookingClient | null): void {
  client = next;
}

export const listMovies = () => useClient().call('catalog.movies', {});
export const getMovie = (movieId: string) => useClient().call('catalog.movie', { movieId });
export const listShows = (params: ParamsOf<'catalog.shows'> = {}) =>
  useClient().call('catalog.shows', params);
export const listTheaters = () => useClient().call('catalog.theaters', {});
export const getSeatMap = (showId: string) => useClient().call('seats.map', { showId });
export const holdSeats = (params: ParamsOf<'seats.hold'>) => useClient().call('seats.hold', params);
export const releaseHold = (holdId: string) => useClient().call('seats.release', { holdId });
/**
 * A confirm keeps trying for longer than other calls: it carries the checkout's idempotency key,
 * so repeating it through a failover (old master dead, election running) books exactly once.
 */
export const confirmBooking = (params: ParamsOf<'bookings.confirm'>) =>
  useClient().call('bookings.confirm', params, { retryForMs: 45_000 });
export const getBooking = (code: string) => useClient().call('bookings.get', { code });
export const cancelBooking = (code: string) => useClient().call('bookings.cancel', { code });
export const clusterStatus = () => useClient().call('cluster.status', {}, { timeoutMs: 3_000 });
export const subscribeSeats = (showId: string) => useClient().subscribeSeats(showId);
export const onSeatsChanged = (fn: Parameters<BookingClient['onSeatsChanged']>[0]) =>
  useClient().onSeatsChanged(fn);

/**
 * A client pinned to one node through Nginx's `/nodes/<id>/rpc`: the dashboard asks each node for
 * its own view, which is the whole point (a load-balanced socket would show whichever node).
 */
export function nodeClient(nodeId: number, options: ClientOptions = {}): BookingClient {
  return new BookingClient(socketUrl(`/nodes/${nodeId}/rpc`), {
    timeoutMs: 2_000,
    backoff: { baseMs: 300, capMs: 3_000 },
    ...options,
  });
}

export type NodeStatus = ResultOf<'cluster.status'>;
export type NodeEvent = ResultOf<'cluster.events'>[number];
