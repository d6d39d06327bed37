/**
 * A JSON-RPC 2.0 client over one WebSocket, typed by the node's method table. Sockets fail loudly:
 * every call has a timeout, a closed socket rejects every pending call at once, and an admin token
 * goes in the upgrade request's Authorization header (the node reads it before any frame).
 */
import type { ClientMethods, MethodName, ParamsOf, ResultOf } from '@booking/node/protocol';
import {
  createJSONRPCErrorResponse,
  JSONRPCClient,
  JSONRPCErrorException,
  type JSONRPCResponse,
  type TypedJSONRPCClient,
} from 'json-rpc-2.0';
import WebSocket from 'ws';

/** Codes this client uses for failures that never reached a node's answer (outside JSON-RPC's range). */
export const transportErrorCodes = { TIMEOUT: -1, CLOSED: -2 } as const;

export class RpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
  /** The application reason (`NO_MASTER`, `SEATS_UNAVAILABLE`, ...) when the node gave one. */
  get reason(): string | undefined {
    const data = this.data as { reason?: unknown } | undefined;
    return typeof data?.reason === 'string' ? data.reason : undefined;
  }
  /** True when the call failed on the way (timeout, socket closed) rather than being answered. */
  get transport(): boolean {
    return this.code === transportErrorCodes.TIMEOUT || this.code === transportErrorCodes.CLOSED;
  }
}

export interface RpcClientOptions {
  /** Admin token, sent as `Authorization: Bearer <token>` on the upgrade. */
  adminToken?: string;
  connectTimeoutMs?: number;
  /** Default per-call timeout. */
  callTimeoutMs?: number;
}

type Notification = { method: string; params?: unknown };

export class RpcClient {
  private readonly client: TypedJSONRPCClient<ClientMethods>;
  private readonly listeners = new Set<(n: Notification) => void>();
  private closedReason: string | null = null;

  private constructor(
    readonly url: string,
    private readonly socket: WebSocket,
    private readonly callTimeoutMs: number,
  ) {
    this.client = new JSONRPCClient((payload) => {
      if (this.closedReason) throw new Error(this.closedReason);
      socket.send(JSON.stringify(payload));
    }) as TypedJSONRPCClient<ClientMethods>;
    socket.on('message', (raw) => this.onMessage(raw.toString()));
    socket.on('close', (code, reason) => {
      this.closedReason = `connection to ${url} closed (${code}${reason.length ? ` ${reason}` : ''})`;
      this.client.rejectAllPendingRequests(this.closedReason);
    });
    // Errors after the handshake also end in 'close'; this keeps them from being unhandled.
    socket.on('error', () => {});
  }

  static connect(url: string, opts: RpcClientOptions = {}): Promise<RpcClient> {
    const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (opts.adminToken) headers.authorization = `Bearer ${opts.adminToken}`;
      const socket = new WebSocket(url, { headers, handshakeTimeout: connectTimeoutMs });
      const fail = (error: Error) => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.terminate();
        reject(new RpcError(`cannot connect to ${url}: ${error.message}`, transportErrorCodes.CLOSED));
      };
      socket.once('error', fail);
      socket.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      socket.once('open', () => {
        socket.removeListener('error', fail);
        resolve(new RpcClient(url, socket, opts.callTimeoutMs ?? 10_000));
      });
    });
  }

  private onMessage(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const items = Array.isArray(message) ? message : [message];
    for (const item of items) {
      if (item && typeof item === 'object' && 'method' in item && !('id' in item)) {
        for (const listener of this.listeners) listener(item as Notification);
      } else {
        this.client.receive(item as JSONRPCResponse);
      }
    }
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>, timeoutMs?: number): Promise<ResultOf<M>> {
    if (this.closedReason) throw new RpcError(this.closedReason, transportErrorCodes.CLOSED);
    const delay = timeoutMs ?? this.callTimeoutMs;
    const requester = this.client.timeout(delay, (id) =>
      createJSONRPCErrorResponse(id, transportErrorCodes.TIMEOUT, `${method} timed out after ${delay} ms`),
    );
    try {
      // The typed client's conditional parameter types do not survive a generic M; the
      // signature of `call` is what keeps callers typed.
      return (await requester.request(method, params)) as ResultOf<M>;
    } catch (error) {
      if (error instanceof JSONRPCErrorException) {
        // rejectAllPendingRequests uses code 0: that is our socket closing, not the node answering.
        const code = error.code === 0 && this.closedReason ? transportErrorCodes.CLOSED : error.code;
        throw new RpcError(error.message, code, error.data);
      }
      throw new RpcError(error instanceof Error ? error.message : String(error), transportErrorCodes.CLOSED);
    }
  }

  onNotification(listener: (n: Notification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get open(): boolean {
    return this.closedReason === null && this.socket.readyState === WebSocket.OPEN;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 1000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000);
    });
  }
}

/** Connects, runs fn, and always closes. */
export async function withRpc<T>(
  url: string,
  opts: RpcClientOptions,
  fn: (rpc: RpcClient) => Promise<T>,
): Promise<T> {
  const rpc = await RpcClient.connect(url, opts);
  try {
    return await fn(rpc);
  } finally {
    await rpc.close();
  }
}

/** One call on a fresh connection: for polling nodes that may be dead, paused or slow. */
export function callOnce<M extends MethodName>(
  url: string,
  method: M,
  params: ParamsOf<M>,
  opts: RpcClientOptions & { timeoutMs?: number } = {},
): Promise<ResultOf<M>> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  return withRpc(url, { connectTimeoutMs: timeoutMs, ...opts }, (rpc) => rpc.call(method, params, timeoutMs));
}
