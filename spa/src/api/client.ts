/**
 * The booking API as the app sees it: typed end to end from the wire contract's ClientMethods,
 * with the rules that make a flaky cluster look steady to a person:
 *
 * - read-your-writes: the highest commitIndex this client has seen goes out as `afterCommitIndex`
 *   on every read, so whichever node answers has applied our own writes;
 * - safe write retries: on NO_MASTER (an election is running) or a dropped socket, a write is
 *   repeated with the very same params, idempotencyKey included, until a deadline;
 * - subscriptions (seats.subscribe) are remembered and renewed after every reconnect.
 */
import type { ClientMethods, MethodName, ParamsOf, ResultOf, SeatsChanged } from '@booking/node/protocol';
import { ConnectionError, hasReason, RpcError } from './errors.ts';
import { backoffDelay, RpcSocket, type RpcSocketOptions, type SocketState } from './socket.ts';

/** Methods whose params take `afterCommitIndex`. */
const readsWithIndex = new Set<MethodName>([
  'catalog.movies',
  'catalog.movie',
  'catalog.theaters',
  'catalog.shows',
  'seats.map',
  'bookings.get',
]);

/**
 * How each write may be repeated. `sent: true` = also after the request may have reached a node
 * (the call is idempotent: it carries an idempotencyKey, or repeating it is harmless).
 * seats.hold has no key: repeating a hold whose answer was lost would collide with our own
 * invisible hold, so it is only repeated when the node said NO_MASTER or it was never sent.
 */
const writeRetry: Partial<Record<MethodName, { sent: boolean }>> = {
  'bookings.confirm': { sent: true },
  'bookings.book': { sent: true },
  'bookings.cancel': { sent: true },
  'seats.release': { sent: true },
  'seats.hold': { sent: false },
};

export interface CallOptions {
  timeoutMs?: number;
  /** Give up retrying a write after this long. */
  retryForMs?: number;
}

export interface ClientOptions extends RpcSocketOptions {
  /** Clock for the retry deadline (tests pass a fake). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  retryForMs?: number;
}

type Method = MethodName & keyof ClientMethods;

export class BookingClient {
  readonly socket: RpcSocket;
  private highestCommitIndex = 0;
  private readonly subscriptions = new Map<string, number>();
  private readonly seatListeners = new Set<(change: SeatsChanged) => void>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly retryForMs: number;
  private readonly random: () => number;

  constructor(url: string, options: ClientOptions = {}) {
    this.socket = new RpcSocket(url, options);
    this.now = options.now ?? (() => Date.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.retryForMs = options.retryForMs ?? 20_000;
    this.random = options.random ?? Math.random;
    this.socket.onNotification((method, params) => {
      if (method !== 'seats.changed') return;
      const change = params as SeatsChanged;
      this.seen(change.commitIndex);
      for (const fn of this.seatListeners) fn(change);
    });
    this.socket.onOpen(({ reconnect }) => {
      if (!reconnect) return;
      for (const showId of this.subscriptions.keys()) {
        this.call('seats.subscribe', { showId }).catch(() => {
          // The next reconnect tries again; a failure here has nobody waiting on it.
        });
      }
    });
  }

  get state(): SocketState {
    return this.socket.state;
  }

  /** The highest commit index seen in any answer: reads wait for at least this much. */
  get commitIndex(): number {
    return this.highestCommitIndex;
  }

  /** Feed a commit index learnt elsewhere (e.g. restored from the URL of a fresh booking). */
  seen(commitIndex: number | undefined): void {
    if (typeof commitIndex === 'number' && commitIndex > this.highestCommitIndex) {
      this.highestCommitIndex = commitIndex;
    }
  }

  async call<M extends Method>(
    method: M,
    params: ParamsOf<M>,
    options: CallOptions = {},
  ): Promise<ResultOf<M>> {
    const retry = writeRetry[method];
    const deadline = this.now() + (options.retryForMs ?? this.retryForMs);
    for (let attempt = 0; ; attempt++) {
      try {
        const result = (await this.socket.request(
          method,
          this.withIndex(method, params),
          options.timeoutMs,
        )) as ResultOf<M>;
        this.observe(result);
        return result;
      } catch (error) {
        const recovered = attempt > 0 ? this.afterRetry(method, params, error) : undefined;
        if (recovered) return (await recovered) as ResultOf<M>;
        if (!this.retryable(method, retry, error) || this.now() >= deadline) throw error;
        const delay = Math.min(backoffDelay(attempt, { baseMs: 200, capMs: 2_000 }, this.random), 2_000);
        await this.sleep(Math.max(0, Math.min(delay, deadline - this.now())));
      }
    }
  }

  /** Subscribes to seat changes of a show, now and after every reconnect. Returns the undo. */
  async subscribeSeats(showId: string): Promise<() => void> {
    this.subscriptions.set(showId, (this.subscriptions.get(showId) ?? 0) + 1);
    await this.call('seats.subscribe', { showId });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.subscriptions.get(showId) ?? 1) - 1;
      if (left > 0) {
        this.subscriptions.set(showId, left);
        return;
      }
      this.subscriptions.delete(showId);
      if (this.socket.state === 'open') this.call('seats.unsubscribe', { showId }).catch(() => {});
    };
  }

  onSeatsChanged(fn: (change: SeatsChanged) => void): () => void {
    this.seatListeners.add(fn);
    return () => this.seatListeners.delete(fn);
  }

  close(): void {
    this.socket.close();
  }

  private withIndex<M extends Method>(method: M, params: ParamsOf<M>): ParamsOf<M> {
    if (!readsWithIndex.has(method) || this.highestCommitIndex === 0) return params;
    const given = (params as { afterCommitIndex?: number }).afterCommitIndex;
    if (given !== undefined && given >= this.highestCommitIndex) return params;
    return { ...params, afterCommitIndex: this.highestCommitIndex };
  }

  private observe(result: unknown): void {
    if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
      this.seen((result as { commitIndex?: number }).commitIndex);
    }
  }

  private retryable(method: Method, retry: { sent: boolean } | undefined, error: unknown): boolean {
    if (hasReason(error, 'NO_MASTER')) return true;
    // An internal error on the way (say, a slave lost the master while forwarding our write) says
    // nothing about whether it was applied: only calls that are safe to repeat are repeated.
    if (error instanceof RpcError && error.code === -32603) return retry?.sent === true;
    if (!(error instanceof ConnectionError)) return false;
    if (!error.sent) return true;
    // Reads are harmless to repeat; writes only when the method says so.
    return retry === undefined ? !(method in writeRetry) : retry.sent;
  }

  /**
   * A repeated write may find its own first attempt already applied: a second cancel says
   * ALREADY_CANCELLED, a second release HOLD_NOT_FOUND. That is success, not an error.
   */
  private afterRetry<M extends Method>(
    method: M,
    params: ParamsOf<M>,
    error: unknown,
  ): Promise<unknown> | undefined {
    if (!(error instanceof RpcError)) return undefined;
    if (method === 'bookings.cancel' && error.reason === 'ALREADY_CANCELLED') {
      const { code } = params as ParamsOf<'bookings.cancel'>;
      return this.call('bookings.get', { code });
    }
    if (method === 'seats.release' && error.reason === 'HOLD_NOT_FOUND') {
      const { holdId } = params as ParamsOf<'seats.release'>;
      return Promise.resolve({ holdId, released: true });
    }
    return undefined;
  }
}

/** One idempotency key per checkout: made once, reused by every retry of that checkout's booking. */
export function newIdempotencyKey(): string {
  // getRandomValues, not randomUUID: the latter exists only in secure contexts, and a cluster may
  // well be served over plain http on a LAN address.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
