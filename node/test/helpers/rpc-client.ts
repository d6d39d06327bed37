/**
 * A WebSocket JSON-RPC client for tests that also exposes raw frames, so protocol edge cases
 * can be sent exactly as written.
 */
import WebSocket from 'ws';
import type { MethodName, ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { SeatsChanged } from '../../src/protocol/model.js';

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: { reason?: string; seatIds?: string[]; field?: string; [k: string]: unknown } | undefined,
  ) {
    super(message);
  }
  get reason(): string | undefined {
    return this.data?.reason;
  }
}

export class TestClient {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly frames: unknown[] = [];
  readonly notifications: SeatsChanged[] = [];
  readonly #frameWaiters: ((frame: unknown) => void)[] = [];
  closeCode: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as unknown;
      const message = frame as {
        id?: number;
        method?: string;
        params?: unknown;
        result?: unknown;
        error?: RpcError;
      };
      if (!Array.isArray(frame) && message.method === 'seats.changed') {
        this.notifications.push(message.params as SeatsChanged);
        return;
      }
      if (!Array.isArray(frame) && typeof message.id === 'number' && this.#pending.has(message.id)) {
        const pending = this.#pending.get(message.id)!;
        this.#pending.delete(message.id);
        if (message.error)
          pending.reject(
            new RpcError(message.error.code, message.error.message, message.error.data as never),
          );
        else pending.resolve(message.result);
        return;
      }
      const waiter = this.#frameWaiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      for (const p of this.#pending.values()) p.reject(new Error(`socket closed (${code})`));
      this.#pending.clear();
    });
  }

  static connect(url: string, options: { token?: string } = {}): Promise<TestClient> {
    const ws = new WebSocket(url, {
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
      maxPayload: 64 * 1024 * 1024,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
    });
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /**
   * Sends a raw frame; resolves with the next frame that is not a reply to `call` (or null after
   * timeoutMs). The default is generous because a whole suite shares two cores: a reply that is
   * due must not be read as "no reply" (callers that expect none pass a short timeout).
   */
  raw(text: string | Buffer, timeoutMs = 15_000): Promise<unknown> {
    this.ws.send(text);
    return this.nextFrame(timeoutMs);
  }

  nextFrame(timeoutMs = 15_000): Promise<unknown> {
    if (this.frames.length > 0) return Promise.resolve(this.frames.shift());
    return new Promise((resolve) => {
      const waiter = (frame: unknown) => {
        clearTimeout(timer);
        resolve(frame);
      };
      const timer = setTimeout(() => {
        const at = this.#frameWaiters.indexOf(waiter);
        if (at >= 0) this.#frameWaiters.splice(at, 1);
        resolve(null);
      }, timeoutMs);
      this.#frameWaiters.push(waiter);
    });
  }

  async waitFor<T>(check: () => T | undefined, timeoutMs = 2000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  waitClosed(timeoutMs = 2000): Promise<number | undefined> {
    if (this.closeCode !== undefined) return Promise.resolve(this.closeCode);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}

export async function rpcError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error('expected an RPC error, got a result');
}
