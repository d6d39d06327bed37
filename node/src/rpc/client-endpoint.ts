/**
 * `/rpc`: client WebSockets. Frames over 64 KiB are refused by ws itself (close 1009); a
 * connection that floods gets RATE_LIMITED replies; a socket that stops answering pings is
 * dropped, so dead clients do not keep subscriptions.
 */
import type { IncomingMessage } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { errorReasons } from '../protocol/errors.js';
import type { SeatsChanged } from '../protocol/model.js';
import type { Dispatcher } from './dispatcher.js';
import { errorResponse } from './envelope.js';
import type { ConnectionContext } from './handlers.js';
import { TokenBucket } from './rate-limit.js';
import type { Subscriptions } from './subscriptions.js';

export const MAX_FRAME_BYTES = 64 * 1024;
/**
 * Pings keep a socket's data flowing both ways even when the client is idle, which lets Nginx
 * use a short read timeout: a frozen (SIGSTOPped) node stops pinging, so Nginx drops its
 * sockets, and a new handshake to it times out and moves to the next node.
 */
export const PING_MS = 5_000;
/** A slow reader may not make the node buffer without bound. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export interface ClientEndpointOptions {
  dispatcher: Dispatcher<ConnectionContext>;
  subscriptions: Subscriptions;
  isAdmin: (request: IncomingMessage) => boolean;
  onConnections: (delta: number) => void;
  onRateLimited: () => void;
  rate?: { burst: number; perSecond: number };
}

export function createClientEndpoint(options: ClientEndpointOptions): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
  const rate = options.rate ?? { burst: 2000, perSecond: 2000 };

  wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
    options.onConnections(1);
    const bucket = new TokenBucket(rate.burst, rate.perSecond);
    let alive = true;
    const context: ConnectionContext = {
      admin: options.isAdmin(request),
      shows: new Set(),
      notify(method: 'seats.changed', params: SeatsChanged) {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
          ws.close(1008, 'too slow to read notifications');
          return;
        }
        ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
      },
    };
    const send = (text: string) => {
      if (ws.readyState === ws.OPEN) ws.send(text);
    };

    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        send(JSON.stringify(errorResponse(null, -32700, 'Parse error: binary frames are not JSON-RPC text')));
        return;
      }
      const text = data.toString('utf8');
      if (!bucket.take()) {
        options.onRateLimited();
        const reply = options.dispatcher.refuse(
          text,
          errorReasons.RATE_LIMITED,
          'Too many messages; slow down',
          {
            reason: 'RATE_LIMITED',
          },
        );
        if (reply !== null) send(reply);
        return;
      }
      options.dispatcher.handleText(text, context).then(
        (reply) => reply !== null && send(reply),
        () => send(JSON.stringify(errorResponse(null, -32603, 'Internal error'))),
      );
    });
    ws.on('pong', () => {
      alive = true;
    });
    const pinger = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, PING_MS);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearInterval(pinger);
      options.subscriptions.removeAll(context, context.shows);
      options.onConnections(-1);
    });
  });
  return wss;
}
