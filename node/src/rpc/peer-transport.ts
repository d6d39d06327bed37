/**
 * `/peer`: the WebSockets between booking nodes. Every node dials every peer (its outbound link,
 * on which it sends) and accepts the peers' links (on which it receives and answers forwarded
 * writes). A link is usable only after the challenge-response proof of the cluster secret in
 * both directions (peer-auth.ts); before that the listener reads exactly one frame, the dialer's
 * proof, and closes the socket on anything else. Frames are JSON-RPC 2.0:
 *
 *   listener → dialer  peer.challenge {nodeId, nonce}            (notification)
 *   dialer → listener  peer.hello {nodeId, nonce, proof}  id 0   → result {nodeId, proof}
 *   then              peer.message <consensus message>         (notification)
 *                     peer.status {role, masterId, epoch, commitIndex, lamport} (notification)
 *                     peer.forward {method, params}  id n      → result | error
 *
 * Links fail loudly and recover: pending forwards are rejected when their link closes, each has a
 * timeout, and the dialer reconnects with capped backoff.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import type { PeerConfig } from '../config.js';
import { dialerProof, listenerProof, newNonce, proofEquals } from './peer-auth.js';

/** Catch-up batches carry whole catalog snapshots; far above the client limit, still bounded. */
export const PEER_MAX_FRAME_BYTES = 32 * 1024 * 1024;
/** The only frame read before authentication is small; anything bigger is not a hello. */
const HELLO_MAX_BYTES = 4096;
const AUTH_TIMEOUT_MS = 2000;
const BACKOFF_MIN_MS = 20;
const BACKOFF_MAX_MS = 500;
/** A peer that cannot keep up loses consensus messages (they are retransmitted), not our memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Close code for a failed proof (4000-4999 are free for applications). */
export const CLOSE_UNAUTHORIZED = 4401;

export interface PeerStatus {
  role: 'master' | 'slave' | 'candidate';
  masterId: number | null;
  epoch: number;
  commitIndex: number;
  lamport: number;
}

export interface ForwardError {
  code: number;
  message: string;
  data?: unknown;
}

export class ForwardFailed extends Error {
  constructor(
    message: string,
    /** False when the call never left this node: retrying it cannot duplicate anything. */
    readonly sent: boolean,
    /** The master's answer, when it answered with an error. */
    readonly error?: ForwardError,
  ) {
    super(message);
  }
}

export interface PeerTransportOptions {
  selfId: number;
  secret: string;
  peers: PeerConfig[];
  logger: Logger;
  onMessage(from: number, message: unknown): void;
  onStatus(from: number, status: PeerStatus): void;
  /** Runs a write forwarded by a slave; throw to answer with an error. */
  onForward(from: number, method: string, params: unknown): Promise<unknown>;
  /** Connectivity to a peer changed: up when any link to it is authenticated, down when none is. */
  onLink(peer: number, up: boolean): void;
  /** Turns a thrown error into the JSON-RPC error sent back for a forward. */
  toError(error: unknown): ForwardError;
}

interface Outbound {
  ws: WebSocket | null;
  ready: boolean;
  backoff: number;
  timer: NodeJS.Timeout | null;
  pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
}

type Frame = {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
};

function parse(data: WebSocket.RawData): Frame | null {
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Frame) : null;
  } catch {
    return null;
  }
}

export class PeerTransport {
  readonly server: WebSocketServer;
  readonly #o: PeerTransportOptions;
  readonly #peerIds: Set<number>;
  readonly #out = new Map<number, Outbound>();
  readonly #in = new Map<number, WebSocket>();
  readonly #lastHeard = new Map<number, number>();
  readonly #status = new Map<number, PeerStatus>();
  #nextId = 1;
  #closed = false;

  constructor(options: PeerTransportOptions) {
    this.#o = options;
    this.#peerIds = new Set(options.peers.map((p) => p.id));
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: PEER_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    this.server.on('connection', (ws) => this.#accept(ws));
  }

  start(): void {
    for (const p of this.#o.peers) {
      const link: Outbound = {
        ws: null,
        ready: false,
        backoff: BACKOFF_MIN_MS,
        timer: null,
        pending: new Map(),
      };
      this.#out.set(p.id, link);
      this.#dial(p, link);
    }
  }

  handleUpgrade(request: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): void {
    this.server.handleUpgrade(request, socket, head, (ws) => this.server.emit('connection', ws, request));
  }

  /** Whether any authenticated link to `peer` is open. */
  connected(peer: number): boolean {
    return this.#out.get(peer)?.ready === true || this.#in.has(peer);
  }

  /** Milliseconds since anything arrived from `peer` (null: never). */
  heardAgo(peer: number): number | null {
    const at = this.#lastHeard.get(peer);
    return at === undefined ? null : Date.now() - at;
  }

  status(peer: number): PeerStatus | undefined {
    return this.#status.get(peer);
  }

  /** Best effort: a consensus message lost here is retransmitted by the core. */
  send(to: number, message: unknown): void {
    this.#notify(to, 'peer.message', message);
  }

  broadcastStatus(status: PeerStatus): void {
    for (const id of this.#out.keys()) this.#notify(id, 'peer.status', status);
  }

  /** Sends a write to `to` (the master) and resolves with its result. */
  forward(to: number, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    const link = this.#out.get(to);
    if (!link?.ready || !link.ws) return Promise.reject(new ForwardFailed(`no link to node ${to}`, false));
    const id = this.#nextId++;
    const ws = link.ws;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        link.pending.delete(id);
        reject(new ForwardFailed(`node ${to} did not answer within ${timeoutMs} ms`, true));
      }, timeoutMs);
      link.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'peer.forward', params: { method, params } }));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const link of this.#out.values()) {
      if (link.timer) clearTimeout(link.timer);
      link.ws?.terminate();
      this.#failPending(link, 'node shutting down');
    }
    for (const ws of this.#in.values()) ws.terminate();
    for (const ws of this.server.clients) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- outbound ----------------------------------------------------------------------------

  #dial(peer: PeerConfig, link: Outbound): void {
    if (this.#closed) return;
    const ws = new WebSocket(`${peer.url}/peer`, {
      maxPayload: PEER_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    link.ws = ws;
    link.ready = false;
    const myNonce = newNonce();
    let stage: 'challenge' | 'welcome' | 'ready' = 'challenge';
    const authTimer = setTimeout(() => ws.terminate(), AUTH_TIMEOUT_MS);
    ws.on('message', (data) => {
      const f = parse(data);
      if (!f) return ws.terminate();
      if (stage === 'challenge') {
        const p = f.params as { nodeId?: unknown; nonce?: unknown } | undefined;
        if (f.method !== 'peer.challenge' || p?.nodeId !== peer.id || typeof p.nonce !== 'string') {
          return ws.terminate();
        }
        stage = 'welcome';
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 0,
            method: 'peer.hello',
            params: {
              nodeId: this.#o.selfId,
              nonce: myNonce,
              proof: dialerProof(this.#o.secret, p.nonce, this.#o.selfId, peer.id),
            },
          }),
        );
        return;
      }
      if (stage === 'welcome') {
        const r = f.result as { nodeId?: unknown; proof?: unknown } | undefined;
        const expected = listenerProof(this.#o.secret, myNonce, peer.id, this.#o.selfId);
        if (f.id !== 0 || r?.nodeId !== peer.id || !proofEquals(expected, r.proof)) {
          this.#o.logger.warn({ peer: peer.id }, 'peer failed to prove the cluster secret');
          return ws.terminate();
        }
        clearTimeout(authTimer);
        stage = 'ready';
        link.ready = true;
        link.backoff = BACKOFF_MIN_MS;
        this.#heard(peer.id);
        this.#linkChanged(peer.id, true);
        return;
      }
      this.#heard(peer.id);
      this.#onReply(link, f);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(authTimer);
      const wasReady = link.ready;
      link.ready = false;
      link.ws = null;
      this.#failPending(link, `link to node ${peer.id} closed`);
      if (wasReady) this.#linkChanged(peer.id, false);
      if (this.#closed) return;
      link.timer = setTimeout(() => {
        link.timer = null;
        this.#dial(peer, link);
      }, link.backoff);
      link.backoff = Math.min(BACKOFF_MAX_MS, link.backoff * 2);
    });
  }

  #onReply(link: Outbound, f: Frame): void {
    if (typeof f.id !== 'number') return;
    const p = link.pending.get(f.id);
    if (!p) return;
    link.pending.delete(f.id);
    clearTimeout(p.timer);
    if (f.error !== undefined) {
      const e = f.error as ForwardError;
      p.reject(new ForwardFailed(String(e?.message ?? 'forwarded call failed'), true, e));
    } else p.resolve(f.result);
  }

  #failPending(link: Outbound, why: string): void {
    for (const p of link.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new ForwardFailed(why, true));
    }
    link.pending.clear();
  }

  #notify(to: number, method: string, params: unknown): void {
    const ws = this.#out.get(to)?.ready ? this.#out.get(to)!.ws : null;
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
  }

  // ---- inbound -----------------------------------------------------------------------------

  #accept(ws: WebSocket): void {
    const nonce = newNonce();
    let peer: number | null = null;
    const authTimer = setTimeout(() => ws.terminate(), AUTH_TIMEOUT_MS);
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', method: 'peer.challenge', params: { nodeId: this.#o.selfId, nonce } }),
    );
    ws.on('message', (data, isBinary) => {
      if (peer === null) {
        // Not authenticated: this frame must be the hello with a valid proof, or we hang up.
        const f = isBinary || (data as Buffer).length > HELLO_MAX_BYTES ? null : parse(data);
        const p = f?.params as { nodeId?: unknown; nonce?: unknown; proof?: unknown } | undefined;
        const from = p?.nodeId;
        if (
          f?.method !== 'peer.hello' ||
          f.id !== 0 ||
          typeof from !== 'number' ||
          !this.#peerIds.has(from) ||
          typeof p?.nonce !== 'string' ||
          p.nonce.length > 128 ||
          !proofEquals(dialerProof(this.#o.secret, nonce, from, this.#o.selfId), p.proof)
        ) {
          this.#o.logger.warn({ claimed: from }, 'refused a /peer connection without a valid proof');
          ws.close(CLOSE_UNAUTHORIZED, 'unauthorized');
          setTimeout(() => ws.terminate(), 100).unref();
          return;
        }
        clearTimeout(authTimer);
        peer = from;
        ws.send(
          JSON.stringify({
            jsonrpc: '2.0',
            id: 0,
            result: {
              nodeId: this.#o.selfId,
              proof: listenerProof(this.#o.secret, p.nonce, this.#o.selfId, from),
            },
          }),
        );
        // A reconnecting peer replaces its old link (which may be half-open).
        const old = this.#in.get(from);
        this.#in.set(from, ws);
        old?.terminate();
        this.#heard(from);
        this.#linkChanged(from, true);
        return;
      }
      const from = peer;
      this.#heard(from);
      const f = parse(data);
      if (!f) return;
      if (f.method === 'peer.message') this.#o.onMessage(from, f.params);
      else if (f.method === 'peer.status') this.#onStatus(from, f.params);
      else if (f.method === 'peer.forward' && typeof f.id === 'number')
        this.#onForward(ws, from, f.id, f.params);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      clearTimeout(authTimer);
      if (peer !== null && this.#in.get(peer) === ws) {
        this.#in.delete(peer);
        this.#linkChanged(peer, false);
      }
    });
  }

  #onStatus(from: number, params: unknown): void {
    const s = params as Partial<PeerStatus> | null;
    if (!s || typeof s.epoch !== 'number' || typeof s.commitIndex !== 'number') return;
    this.#status.set(from, s as PeerStatus);
    this.#o.onStatus(from, s as PeerStatus);
  }

  #onForward(ws: WebSocket, from: number, id: number, params: unknown): void {
    const p = params as { method?: unknown; params?: unknown } | null;
    const reply = (body: Record<string, unknown>) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
    };
    if (typeof p?.method !== 'string') {
      reply({ error: { code: -32600, message: 'Invalid forward' } });
      return;
    }
    this.#o.onForward(from, p.method, p.params).then(
      (result) => reply({ result }),
      (error: unknown) => reply({ error: this.#o.toError(error) }),
    );
  }

  #heard(peer: number): void {
    this.#lastHeard.set(peer, Date.now());
  }

  #linkChanged(peer: number, up: boolean): void {
    if (up || !this.connected(peer)) this.#o.onLink(peer, up);
  }
}
