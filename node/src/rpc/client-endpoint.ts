/**
 * `/rpc`: client WebSockets, with every limit a stranger meets (limits.ts):
 *
 *  - at the upgrade: browsers only from allowed origins (403), at most N sockets per client
 *    address (429) and per node (503); behind Nginx the address is its X-Real-IP, believed only
 *    from a trusted proxy;
 *  - per frame: at most RPC_MAX_FRAME_BYTES (ws closes with 1009), at most RPC_MAX_BATCH calls;
 *  - per call: one token of the connection's bucket, also inside a batch; calls beyond it get
 *    RATE_LIMITED and the socket stays usable;
 *  - per connection: when too many calls are being worked on, or too many reply bytes wait for a
 *    client that does not read, the node stops reading the socket; a client that stays behind
 *    for RPC_SLOW_READER_MS, or lets RPC_MAX_BUFFERED_BYTES pile up, is closed with 1008;
 *  - a socket that stops answering pings is dropped, so dead clients do not keep subscriptions.
 */
import type { IncomingMessage, Server } from 'node:http';
import { isIP } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Limits, processLimits } from '../limits.js';
import { errorReasons } from '../protocol/errors.js';
import type { SeatsChanged } from '../protocol/model.js';
import type { CallGate, Dispatcher } from './dispatcher.js';
import { errorResponse } from './envelope.js';
import type { ConnectionContext } from './handlers.js';
import { TokenBucket } from './rate-limit.js';
import type { Subscriptions } from './subscriptions.js';

/** Vite's dev server (`npm run dev -w spa`) proxies /rpc from these; they are the web app too. */
export const DEV_ORIGINS: readonly string[] = ['http://localhost:5173', 'http://127.0.0.1:5173'];

export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.1', '::1'];

/** Close code for policy violations (RFC 6455): here, a client that does not read its replies. */
export const CLOSE_POLICY = 1008;

/**
 * Whether a WebSocket upgrade with this Origin header may open /rpc. No Origin: not a browser
 * (the CLI, scanners, other servers), allowed. A browser page may connect from its own host (the
 * web app served by the same Nginx), from the dev server, or from an origin in `allowed` (`*`:
 * any). Anything else, `null` included (sandboxed frames, files), is refused.
 */
export function originAllowed(
  origin: string | undefined,
  allowed: readonly string[],
  host?: string,
): boolean {
  if (origin === undefined || origin === '') return true;
  if (allowed.includes('*')) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (allowed.includes(url.origin) || DEV_ORIGINS.includes(url.origin)) return true;
  return host !== undefined && url.host.toLowerCase() === host.trim().toLowerCase();
}

function normalizeIp(address: string): string {
  const a = address.trim();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a) ? a.slice(7) : a.toLowerCase();
}

/**
 * The client's address: the socket's peer, or, when that peer is a trusted proxy (the local
 * Nginx), the address it reports (X-Real-IP, else the last X-Forwarded-For hop it added). Anyone
 * else can write those headers, so from anyone else they are ignored.
 */
export function clientAddress(request: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalizeIp(request.socket.remoteAddress ?? 'unknown');
  if (!trustedProxies.some((p) => normalizeIp(p) === peer)) return peer;
  const real = request.headers['x-real-ip'];
  if (typeof real === 'string' && isIP(real.trim()) !== 0) return normalizeIp(real);
  const forwarded = request.headers['x-forwarded-for'];
  const hops = typeof forwarded === 'string' ? forwarded.split(',') : [];
  const last = hops[hops.length - 1]?.trim();
  return last && isIP(last) !== 0 ? normalizeIp(last) : peer;
}

/** Bounds on slow or idle HTTP clients, for every path of the node's server. */
export function hardenHttpServer(
  server: Server,
  limits: Pick<
    Limits,
    'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS' | 'HTTP_MAX_CONNECTIONS'
  > = processLimits(),
): void {
  server.headersTimeout = limits.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = limits.HTTP_REQUEST_TIMEOUT_MS;
  server.maxConnections = limits.HTTP_MAX_CONNECTIONS;
}

export interface ClientEndpointOptions {
  dispatcher: Dispatcher<ConnectionContext>;
  subscriptions: Subscriptions;
  isAdmin: (request: IncomingMessage) => boolean;
  onConnections: (delta: number) => void;
  /** Once per refused call. */
  onRateLimited: () => void;
  /** An upgrade refused (bad origin, too many sockets) or a socket closed for not reading. */
  onRefused?: (why: 'origin' | 'address' | 'capacity' | 'slow-reader') => void;
  /** Overrides the bucket of `limits` (tests shrink it). */
  rate?: { burst: number; perSecond: number };
  /** Defaults to this process's limits (limits.ts). */
  limits?: Limits;
  allowedOrigins?: readonly string[];
  trustedProxies?: readonly string[];
}

export function createClientEndpoint(options: ClientEndpointOptions): WebSocketServer {
  const limits = options.limits ?? processLimits();
  const rate = options.rate ?? { burst: limits.RPC_RATE_BURST, perSecond: limits.RPC_RATE_PER_SECOND };
  const allowedOrigins = options.allowedOrigins ?? [];
  const trusted = options.trustedProxies ?? DEFAULT_TRUSTED_PROXIES;
  const refused = options.onRefused ?? (() => {});
  const perAddress = new Map<string, number>();
  let open = 0;

  // verifyClient answers synchronously, and ws emits 'connection' in the same turn, so the counts
  // it checks are exactly the ones the new socket joins.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.RPC_MAX_FRAME_BYTES,
    perMessageDeflate: false,
    verifyClient: (info, done) => {
      const req = info.req;
      if (!originAllowed(req.headers.origin, allowedOrigins, req.headers.host)) {
        refused('origin');
        return done(false, 403, 'Origin not allowed');
      }
      if (open >= limits.RPC_MAX_CONNECTIONS) {
        refused('capacity');
        return done(false, 503, 'Too many connections');
      }
      if ((perAddress.get(clientAddress(req, trusted)) ?? 0) >= limits.RPC_MAX_CONNECTIONS_PER_ADDRESS) {
        refused('address');
        return done(false, 429, 'Too many connections from this address');
      }
      done(true);
    },
  });

  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    const address = clientAddress(request, trusted);
    perAddress.set(address, (perAddress.get(address) ?? 0) + 1);
    open++;
    options.onConnections(1);
    const bucket = new TokenBucket(rate.burst, rate.perSecond);
    let alive = true;
    let closing = false;
    let inflight = 0;
    let paused = false;
    /** Since when replies have piled up beyond the pause mark (null: they have not). */
    let behindSince: number | null = null;

    const dropSlowReader = (why: string) => {
      if (closing) return;
      closing = true;
      refused('slow-reader');
      ws.close(CLOSE_POLICY, why);
      // The close frame waits behind the unread bytes; the buffers go now.
      setTimeout(() => ws.terminate(), 250).unref();
    };
    /**
     * Frames wait here while the connection is stopped: ws hands over every frame of a chunk it
     * has read at once, so pausing the socket alone would still let one chunk's worth of calls
     * (and their replies) through in a single turn.
     */
    const backlog: { data: Buffer; isBinary: boolean }[] = [];
    let backlogBytes = 0;
    let pumping = false;
    /** Reads the socket only while replies drain and the calls in flight are few. */
    const flow = () => {
      if (closing || ws.readyState !== ws.OPEN) return;
      const buffered = ws.bufferedAmount;
      if (buffered > limits.RPC_MAX_BUFFERED_BYTES) return dropSlowReader('too slow to read replies');
      const behind = buffered > limits.RPC_PAUSE_BUFFERED_BYTES;
      behindSince = behind ? (behindSince ?? performance.now()) : null;
      const stop = behind || inflight >= limits.RPC_MAX_INFLIGHT_CALLS;
      if (stop && !paused) ws.pause();
      else if (!stop && paused) ws.resume();
      paused = stop;
      if (!stop) pump();
    };
    const pump = () => {
      if (pumping) return;
      pumping = true;
      try {
        while (!closing && !paused && backlog.length > 0) {
          const next = backlog.shift()!;
          backlogBytes -= next.data.length;
          handle(next.data, next.isBinary);
        }
      } finally {
        pumping = false;
      }
    };
    const send = (text: string) => {
      if (closing || ws.readyState !== ws.OPEN) return;
      ws.send(text, () => flow());
      flow();
    };

    const context: ConnectionContext & { address: string } = {
      admin: options.isAdmin(request),
      shows: new Set(),
      address,
      notify(method: 'seats.changed', params: SeatsChanged) {
        send(JSON.stringify({ jsonrpc: '2.0', method, params }));
      },
    };
    let admittedInFrame = 0;
    const gate: CallGate = {
      admit() {
        if (!bucket.take()) {
          options.onRateLimited();
          return false;
        }
        admittedInFrame++;
        return true;
      },
      refusal: {
        code: errorReasons.RATE_LIMITED,
        message: 'Too many calls; slow down',
        data: { reason: 'RATE_LIMITED' },
      },
    };

    const handle = (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        send(JSON.stringify(errorResponse(null, -32700, 'Parse error: binary frames are not JSON-RPC text')));
        return;
      }
      admittedInFrame = 0;
      // The dispatcher admits every call of the frame before its first await, so the count is
      // complete once handleText returns its promise.
      const reply = options.dispatcher.handleText(data.toString('utf8'), context, gate);
      const calls = admittedInFrame;
      inflight += calls;
      reply
        .then(
          (text) => text !== null && send(text),
          () => send(JSON.stringify(errorResponse(null, -32603, 'Internal error'))),
        )
        .finally(() => {
          inflight -= calls;
          flow();
        });
      flow();
    };
    ws.on('message', (data, isBinary) => {
      if (closing) return;
      const bytes = data as Buffer;
      backlog.push({ data: bytes, isBinary });
      backlogBytes += bytes.length;
      // What a paused socket still hands over is about one read; more means it ignores the pause.
      if (backlogBytes > limits.RPC_PAUSE_BUFFERED_BYTES + limits.RPC_MAX_FRAME_BYTES) {
        return dropSlowReader('sends without reading its replies');
      }
      flow();
    });
    ws.on('pong', () => {
      alive = true;
    });
    const pinger = setInterval(
      () => {
        if (behindSince !== null && performance.now() - behindSince > limits.RPC_SLOW_READER_MS) {
          return dropSlowReader('too slow to read replies');
        }
        // A paused socket's pongs wait unread behind its frames; liveness is judged once it reads.
        if (paused) return;
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      },
      Math.min(limits.RPC_PING_MS, limits.RPC_SLOW_READER_MS),
    );
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearInterval(pinger);
      options.subscriptions.removeAll(context, context.shows);
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
      open--;
      options.onConnections(-1);
    });
  });
  return wss;
}
