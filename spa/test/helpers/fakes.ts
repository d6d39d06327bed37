/**
 * A fake clock and a fake WebSocket with a scriptable server behind it, so the socket, the client
 * and the stores run their real code in Node, deterministically, with no browser and no network.
 */
import { BookingClient, type ClientOptions } from '../../src/api/client.ts';
import type { SocketLike, Timers } from '../../src/api/socket.ts';

export class FakeClock implements Timers {
  now = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers due at or before `now + ms`, in due order; callbacks may add more. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers)
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) break;
      this.timers.delete(due[0]);
      this.now = due[1].at;
      due[1].fn();
    }
    this.now = end;
  }

  get pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.now);
  }
}

export interface Request {
  id?: number;
  method: string;
  params: Record<string, unknown>;
}

export type Handler = (req: Request, socket: FakeSocket) => unknown | Promise<unknown>;

/** Throw this from a handler to answer with a JSON-RPC error. */
export class Reply {
  constructor(
    readonly code: number,
    readonly message: string,
    readonly data?: unknown,
  ) {}
}

/** Returned by a handler: the server never answers (the request got lost with its node). */
export const NO_ANSWER = Symbol('no answer');

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  constructor(
    readonly server: FakeServer,
    readonly url: string,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.server.receive(this, JSON.parse(data) as Request);
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  push(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  readonly requests: Request[] = [];
  readonly handlers = new Map<string, Handler>();
  /** When false, new sockets stay in CONNECTING until `openLatest()`. */
  autoOpen = true;
  /** When false, new sockets close at once (the node is down). */
  up = true;

  factory = (url: string): SocketLike => {
    const socket = new FakeSocket(this, url);
    this.sockets.push(socket);
    queueMicrotask(() => {
      if (!this.up) socket.close(1006, 'refused');
      else if (this.autoOpen) socket.open();
    });
    return socket;
  };

  get latest(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (!socket) throw new Error('no socket yet');
    return socket;
  }

  on(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  calls(method: string): Request[] {
    return this.requests.filter((r) => r.method === method);
  }

  receive(socket: FakeSocket, req: Request): void {
    this.requests.push(req);
    const handler = this.handlers.get(req.method);
    void (async () => {
      try {
        if (!handler) throw new Reply(-32601, 'Method not found');
        const result = await handler(req, socket);
        if (result === NO_ANSWER || socket.readyState !== 1) return;
        socket.push({ jsonrpc: '2.0', id: req.id, result });
      } catch (error) {
        if (socket.readyState !== 1) return;
        const e = error instanceof Reply ? error : new Reply(-32603, String(error));
        socket.push({
          jsonrpc: '2.0',
          id: req.id,
          error: { code: e.code, message: e.message, data: e.data },
        });
      }
    })();
  }
}

export const noMaster = () => new Reply(1020, 'no master', { reason: 'NO_MASTER' });

/** A client on a fake server with real timers shortened to nothing, for store-level tests. */
export function fakeClient(server: FakeServer, options: ClientOptions = {}): BookingClient {
  return new BookingClient('ws://test/rpc', {
    factory: server.factory,
    backoff: { baseMs: 1, capMs: 4 },
    sleep: () => new Promise((resolve) => setTimeout(resolve, 1)),
    timeoutMs: 1_000,
    ...options,
  });
}

/** Lets queued microtasks and promise chains run. */
export async function flush(times = 10): Promise<void> {
  for (let i = 0; i < times; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
