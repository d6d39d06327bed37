/**
 * `/peer`: the WebSockets between booking nodes. Every node dials every peer (its outbound link,
 * on which it sends) and accepts the peers' links (on which it receives and answers forwarded
 * writes). Both ends prove the cluster secret in the upgrade (peer-auth.ts): the listener checks
 * the dialer's request headers before it accepts the socket (a stranger gets HTTP 401 and not a
 * single frame is read), the dialer checks the listener's 101 headers before it sends anything.
 * Frames are JSON-RPC 2.0:
 *
 *   peer.message <consensus message>                         (notification)
 *   peer.status {role, masterId, epoch, commitIndex, lamport} (notification)
 *   peer.forward {method, params}  id n                      → result | error
 *   peer.snapshot {transfer, …}    id n                      → result | error
 *
 * `peer.snapshot` carries a snapshot of the applied state from a master to a slave that needs
 * entries the master compacted away, one chunk per request (log/snapshot-transfer.ts): the answer
 * paces the stream and tells the master the chunk is stored.
 *
 * Links fail loudly and recover: pending forwards are rejected when their link closes, each has a
 * timeout, and the dialer reconnects with capped backoff.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { type ForwardError, ForwardFailed } from '../cluster-role.js';
import { deriveKey, KEY_LABELS, type PeerConfig } from '../config.js';
import { type Limits, processLimits } from '../limits.js';
import { checkDialer, dialerHeaders, HEADER, listenerProof, proofEquals, ReplayGuard } from './peer-auth.js';

const BACKOFF_MIN_MS = 20;
const BACKOFF_MAX_MS = 500;
/** Refusals are logged at most this often: a flood of strangers must not flood the log. */
const REFUSAL_LOG_MS = 5_000;

export interface PeerStatus {
  role: 'master' | 'slave' | 'candidate';
  masterId: number | null;
  epoch: number;
  commitIndex: number;
  lamport: number;
}

export { type ForwardError, ForwardFailed };

export interface PeerTransportOptions {
  selfId: number;
  secret: string;
  peers: PeerConfig[];
  logger: Logger;
  /** Defaults to this process's limits (limits.ts). */
  limits?: Limits;
  /** The clock that upgrade timestamps are checked against (tests move it). */
  now?: () => number;
  onMessage(from: number, message: unknown): void;
  onStatus(from: number, status: PeerStatus): void;
  /** Runs a write forwarded by a slave; throw to answer with an error. */
  onForward(from: number, method: string, params: unknown): Promise<unknown>;
  /** Takes one part of a snapshot stream from the master; throw to refuse it. */
  onSnapshot?(from: number, params: unknown): Promise<unknown>;
  /** Connectivity to a peer changed: up when any link to it is authenticated, down when none is. */
  onLink(peer: number, up: boolean): void;
  /** Turns a thrown error into the JSON-RPC error sent back for a forward. */
  toError(error: unknown): ForwardError;
}

interface Outbound {
  ws: WebSocket | null;
  ready: boolean;
  /** Whether a refusal of our proof was logged since the link last worked. */
  refusedLogged: boolean;
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

/** One frame's messages: a single object, or a batch (forwards and their replies travel batched). */
function parse(data: WebSocket.RawData): Frame[] {
  try {
    const v = JSON.parse(data.toString('utf8')) as unknown;
    const list = Array.isArray(v) ? v : [v];
    return list.filter((f): f is Frame => typeof f === 'object' && f !== null && !Array.isArray(f));
  } catch {
    return [];
  }
}

/**
 * Messages for one socket, gathered during one turn of the event loop and sent as one frame: under
 * load many forwarded writes (and their answers) share a frame, a syscall and a parse.
 */
class FrameBatcher {
  #queue: string[] = [];
  #bytes = 0;
  #scheduled = false;
  constructor(private readonly flushTo: (frame: string) => void) {}
  push(message: string): void {
    this.#queue.push(message);
    this.#bytes += message.length;
    // A batch stays far below the peer frame limit: answers carry a QR code each.
    if (this.#bytes >= FRAME_BATCH_BYTES) this.#flush();
    if (this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }
  #flush(): void {
    const q = this.#queue;
    this.#queue = [];
    this.#bytes = 0;
    if (q.length === 1) this.flushTo(q[0]!);
    else if (q.length > 1) this.flushTo(`[${q.join(',')}]`);
  }
}

/** Bytes of messages gathered into one frame before it is sent at once. */
const FRAME_BATCH_BYTES = 1 << 20;

export class PeerTransport {
  readonly server: WebSocketServer;
  readonly #o: PeerTransportOptions;
  readonly #peerIds: Set<number>;
  readonly #out = new Map<number, Outbound>();
  readonly #in = new Map<number, WebSocket>();
  readonly #lastHeard = new Map<number, number>();
  readonly #status = new Map<number, PeerStatus>();
  readonly #key: Buffer;
  readonly #limits: Limits;
  readonly #now: () => number;
  readonly #replay: ReplayGuard;
  /** The proof each accepted upgrade answers with, added to its 101 headers. */
  readonly #answers = new WeakMap<IncomingMessage, { from: number; nonce: string }>();
  #refusals = { count: 0, loggedAt: 0 };
  #nextId = 1;
  #closed = false;

  constructor(options: PeerTransportOptions) {
    this.#o = options;
    this.#peerIds = new Set(options.peers.map((p) => p.id));
    this.#key = deriveKey(options.secret, KEY_LABELS.peerProof);
    this.#limits = options.limits ?? processLimits();
    this.#now = options.now ?? Date.now;
    this.#replay = new ReplayGuard(this.#limits.PEER_AUTH_MAX_NONCES, 2 * this.#limits.PEER_AUTH_MAX_SKEW_MS);
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: this.#limits.PEER_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    this.server.on('headers', (headers: string[], request: IncomingMessage) => {
      const answer = this.#answers.get(request);
      if (!answer) return;
      headers.push(
        `${HEADER.id}: ${this.#o.selfId}`,
        `${HEADER.proof}: ${listenerProof(this.#key, this.#o.selfId, answer.from, answer.nonce)}`,
      );
    });
    this.server.on('connection', (ws: WebSocket, request: IncomingMessage) => {
      const answer = this.#answers.get(request);
      if (answer) this.#accept(ws, answer.from);
      else ws.terminate();
    });
  }

  start(): void {
    for (const p of this.#o.peers) {
      const link: Outbound = {
        ws: null,
        ready: false,
        refusedLogged: false,
        backoff: BACKOFF_MIN_MS,
        timer: null,
        pending: new Map(),
      };
      this.#out.set(p.id, link);
      this.#dial(p, link);
    }
  }

  /** Accepts the upgrade only with a valid proof in its headers; anything else gets 401 and nothing is read. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const check = checkDialer(
      this.#key,
      request.headers,
      this.#o.selfId,
      this.#peerIds,
      this.#now(),
      this.#limits.PEER_AUTH_MAX_SKEW_MS,
      this.#replay,
    );
    if (!check.ok) {
      this.#refused(request, check.why);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    this.#answers.set(request, { from: check.from, nonce: check.nonce });
    this.server.handleUpgrade(request, socket, head, (ws) => this.server.emit('connection', ws, request));
  }

  #refused(request: IncomingMessage, why: string): void {
    this.#refusals.count++;
    const now = Date.now();
    if (now - this.#refusals.loggedAt < REFUSAL_LOG_MS) return;
    this.#o.logger.warn(
      { from: request.socket.remoteAddress, why, refusedSinceLastLine: this.#refusals.count },
      'refused a /peer upgrade without a valid proof',
    );
    this.#refusals = { count: 0, loggedAt: now };
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
    return this.#request(to, 'peer.forward', { method, params }, timeoutMs);
  }

  /** Sends one part of a snapshot stream to `to` and resolves once it has taken it. */
  snapshot(to: number, params: unknown, timeoutMs: number): Promise<unknown> {
    return this.#request(to, 'peer.snapshot', params, timeoutMs);
  }

  #request(to: number, method: string, params: unknown, timeoutMs: number): Promise<unknown> {
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
      this.#batcherFor(ws).push(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
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
    const { headers, nonce } = dialerHeaders(this.#key, this.#o.selfId, peer.id, this.#now());
    const ws = new WebSocket(`${peer.url}/peer`, {
      headers,
      handshakeTimeout: this.#limits.PEER_HANDSHAKE_TIMEOUT_MS,
      maxPayload: this.#limits.PEER_MAX_FRAME_BYTES,
      perMessageDeflate: false,
    });
    link.ws = ws;
    link.ready = false;
    // Checked before ws takes the socket: terminating here means no frame of an impostor is read.
    ws.on('upgrade', (res) => {
      const expected = listenerProof(this.#key, peer.id, this.#o.selfId, nonce);
      if (res.headers[HEADER.id] !== String(peer.id) || !proofEquals(expected, res.headers[HEADER.proof])) {
        this.#o.logger.warn({ peer: peer.id }, 'peer failed to prove the cluster secret');
        ws.terminate();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 401 && !link.refusedLogged) {
        link.refusedLogged = true;
        this.#o.logger.warn(
          { peer: peer.id },
          'peer refused our proof: is BOOKING_SECRET the same on every node, and are the clocks in sync?',
        );
      }
      ws.terminate();
    });
    ws.on('open', () => {
      link.ready = true;
      link.refusedLogged = false;
      link.backoff = BACKOFF_MIN_MS;
      this.#heard(peer.id);
      this.#linkChanged(peer.id, true);
    });
    ws.on('message', (data) => {
      const frames = parse(data);
      if (frames.length === 0) return;
      this.#heard(peer.id);
      for (const f of frames) this.#onReply(link, f);
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
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
    if (!ws || ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > this.#limits.PEER_MAX_BUFFERED_BYTES)
      return;
    ws.send(JSON.stringify({ jsonrpc: '2.0', method, params }));
  }

  // ---- inbound -----------------------------------------------------------------------------

  #accept(ws: WebSocket, from: number): void {
    // A reconnecting peer replaces its old link (which may be half-open).
    const old = this.#in.get(from);
    this.#in.set(from, ws);
    old?.terminate();
    this.#heard(from);
    this.#linkChanged(from, true);
    ws.on('message', (data) => {
      this.#heard(from);
      for (const f of parse(data)) {
        if (f.method === 'peer.message') this.#o.onMessage(from, f.params);
        else if (f.method === 'peer.status') this.#onStatus(from, f.params);
        else if (f.method === 'peer.forward' && typeof f.id === 'number')
          this.#onForward(ws, from, f.id, f.params);
        else if (f.method === 'peer.snapshot' && typeof f.id === 'number')
          this.#onSnapshot(ws, from, f.id, f.params);
      }
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      if (this.#in.get(from) === ws) {
        this.#in.delete(from);
        this.#linkChanged(from, false);
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
    const batcher = this.#batcherFor(ws);
    const reply = (body: Record<string, unknown>) =>
      batcher.push(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
    if (typeof p?.method !== 'string') {
      reply({ error: { code: -32600, message: 'Invalid forward' } });
      return;
    }
    this.#o.onForward(from, p.method, p.params).then(
      (result) => reply({ result }),
      (error: unknown) => reply({ error: this.#o.toError(error) }),
    );
  }

  #onSnapshot(ws: WebSocket, from: number, id: number, params: unknown): void {
    const batcher = this.#batcherFor(ws);
    const reply = (body: Record<string, unknown>) =>
      batcher.push(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
    const handler = this.#o.onSnapshot;
    if (!handler) {
      reply({ error: { code: -32601, message: 'snapshots are not taken here' } });
      return;
    }
    handler(from, params).then(
      (result) => reply({ result: result ?? null }),
      (error: unknown) => reply({ error: this.#o.toError(error) }),
    );
  }

  readonly #batchers = new WeakMap<WebSocket, FrameBatcher>();

  #batcherFor(ws: WebSocket): FrameBatcher {
    let b = this.#batchers.get(ws);
    if (!b) {
      b = new FrameBatcher((frame) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(frame);
      });
      this.#batchers.set(ws, b);
    }
    return b;
  }

  #heard(peer: number): void {
    this.#lastHeard.set(peer, Date.now());
  }

  #linkChanged(peer: number, up: boolean): void {
    if (up || !this.connected(peer)) this.#o.onLink(peer, up);
  }
}
