/** The smallest JSON-RPC-over-WebSocket client that can keep many calls in flight. */
import WebSocket from 'ws';
import type { MethodName, ParamsOf, ResultOf } from '../src/protocol/methods.js';

export class BenchClient {
  #id = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as {
        id?: number;
        result?: unknown;
        error?: { message: string; data?: { reason?: string } };
      };
      const pending = typeof reply.id === 'number' ? this.#pending.get(reply.id) : undefined;
      if (!pending) return;
      this.#pending.delete(reply.id!);
      if (reply.error)
        pending.reject(Object.assign(new Error(reply.error.message), { reason: reply.error.data?.reason }));
      else pending.resolve(reply.result);
    });
  }

  static open(url: string): Promise<BenchClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new BenchClient(ws)));
      ws.once('error', reject);
    });
  }

  call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
