/**
 * A JSON-RPC 2.0 client over one WebSocket that fails loudly and recovers (after viem's
 * utils/rpc/socket.ts): in-flight calls are rejected the moment the socket closes, every call has
 * its own timeout, and the socket reconnects with capped exponential backoff and jitter. It knows
 * nothing about booking; retries of writes live in client.ts, where the method semantics are.
 */
import { ConnectionError, RpcError, TimeoutError } from './errors.ts';

/** The part of the browser WebSocket we use, so tests can drive a fake one. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/**
 * Delay before reconnect attempt `attempt` (0-based): exponential, capped, with "equal jitter"
 * (half fixed, half random) so that a crowd of browsers cut off by the same failover does not
 * come back in lockstep, yet nobody retries instantly in a hot loop.
 */
export function backoffDelay(
  attempt: number,
  { baseMs, capMs }: BackoffOptions,
  random = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + random() * (exp / 2));
}

export interface RpcSocketOptions {
  factory?: SocketFactory;
  timers?: Timers;
  random?: () => number;
  /** Default per-call timeout. */
  timeoutMs?: number;
  backoff?: BackoffOptions;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: unknown;
  /** The request text; kept until sent so calls made while reconnecting go out once it is open. */
  frame: string | null;
}

type Listener<T> = (value: T) => void;

export class RpcSocket {
  readonly url: string;
  private readonly factory: SocketFactory;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly backoff: BackoffOptions;

  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private attempt = 0;
  private reconnectTimer: unknown = null;
  private stopped = false;
  private _state: SocketState = 'connecting';
  private readonly stateListeners = new Set<Listener<SocketState>>();
  private readonly openListeners = new Set<Listener<{ reconnect: boolean }>>();
  private readonly notificationListeners = new Set<(method: string, params: unknown) => void>();
  private everOpened = false;

  constructor(url: string, options: RpcSocketOptions = {}) {
    this.url = url;
    this.factory = options.factory ?? ((u) => new WebSocket(u) as unknown as SocketLike);
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoff = options.backoff ?? { baseMs: 250, capMs: 8_000 };
    this.connect();
  }

  get state(): SocketState {
    return this._state;
  }

  /** Calls `fn` now and on every change. Returns an unsubscribe function. */
  onState(fn: Listener<SocketState>): () => void {
    this.stateListeners.add(fn);
    fn(this._state);
    return () => this.stateListeners.delete(fn);
  }

  /** After every successful open; `reconnect` is true from the second one on (resubscribe there). */
  onOpen(fn: Listener<{ reconnect: boolean }>): () => void {
    this.openListeners.add(fn);
    return () => this.openListeners.delete(fn);
  }

  onNotification(fn: (method: string, params: unknown) => void): () => void {
    this.notificationListeners.add(fn);
    return () => this.notificationListeners.delete(fn);
  }

  request(method: string, params: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (this.stopped) return Promise.reject(new ConnectionError('the connection was closed', false));
    const id = this.nextId++;
    const frame = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        const entry = this.pending.get(id);
        if (!entry) return;
        this.pending.delete(id);
        // Not yet sent means the socket never opened in time: safe to repeat.
        entry.reject(
          entry.frame === null
            ? new TimeoutError(method, timeoutMs)
            : new ConnectionError(`no connection for ${method} within ${timeoutMs} ms`, false),
        );
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer, frame });
      if (this._state === 'open') this.flush();
    });
  }

  /** Closes for good: pending calls fail, no reconnect. */
  close(): void {
    this.stopped = true;
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = socket.onerror = socket.onmessage = socket.onopen = null;
      socket.close(1000, 'client closed');
    }
    this.failPending(new ConnectionError('the connection was closed', false), true);
    this.setState('closed');
  }

  /** Drops the current socket as if the network had (tests, and "reconnect now" buttons). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.socket?.close(4000, 'reconnect');
  }

  private setState(state: SocketState): void {
    if (state === this._state) return;
    this._state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  private connect(): void {
    this.reconnectTimer = null;
    if (this.stopped) return;
    let socket: SocketLike;
    try {
      socket = this.factory(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      const reconnect = this.everOpened;
      this.everOpened = true;
      this.setState('open');
      this.flush();
      for (const fn of this.openListeners) fn({ reconnect });
    };
    socket.onmessage = (ev) => this.receive(ev.data);
    socket.onerror = () => {
      // A close event always follows; that is where we recover.
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      // Calls in flight may or may not have been applied: fail them now rather than let them hang.
      this.failPending(new ConnectionError('the connection dropped', true), false);
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.attempt++, this.backoff, this.random);
    this.reconnectTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  private flush(): void {
    const socket = this.socket;
    if (!socket) return;
    for (const entry of this.pending.values()) {
      if (entry.frame === null) continue;
      const frame = entry.frame;
      entry.frame = null;
      socket.send(frame);
    }
  }

  /** Fails the calls already sent; with `all`, also those still waiting to be sent. */
  private failPending(error: ConnectionError, all: boolean): void {
    for (const [id, entry] of this.pending) {
      if (!all && entry.frame !== null) continue;
      this.pending.delete(id);
      this.timers.clearTimeout(entry.timer);
      entry.reject(error);
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    for (const item of Array.isArray(message) ? message : [message]) this.dispatch(item);
  }

  private dispatch(item: unknown): void {
    if (typeof item !== 'object' || item === null) return;
    const msg = item as {
      id?: unknown;
      method?: unknown;
      params?: unknown;
      result?: unknown;
      error?: unknown;
    };
    if (typeof msg.method === 'string' && msg.id === undefined) {
      for (const fn of this.notificationListeners) fn(msg.method, msg.params);
      return;
    }
    if (typeof msg.id !== 'number') return;
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    this.timers.clearTimeout(entry.timer);
    if (msg.error !== undefined && msg.error !== null) {
      const err = msg.error as { code?: unknown; message?: unknown; data?: unknown };
      entry.reject(
        new RpcError(
          typeof err.code === 'number' ? err.code : -32603,
          typeof err.message === 'string' ? err.message : 'error',
          err.data,
        ),
      );
    } else {
      entry.resolve(msg.result);
    }
  }
}
