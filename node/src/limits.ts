/**
 * Every limit of a booking node, in one place: what a stranger can make a node allocate or wait
 * for, how big the write path's batches get, and what Nginx allows in front. Each has a default
 * and an environment override (`BOOKING_LIMIT_<NAME>`, an integer). docs/security.md carries the
 * table `limitsTable()` renders (a test keeps the two equal); docs/performance.md explains the
 * write path's figures. Change them here, nowhere else.
 */

export interface LimitSpec {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly unit: 'bytes' | 'ms' | 'count' | 'per second';
  /** Which part enforces it. */
  readonly where: 'log' | 'rpc' | 'peer' | 'http' | 'booking' | 'import' | 'nginx';
  readonly doc: string;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export const LIMIT_SPECS = {
  // ---- the write path ----
  MAX_BATCH_ENTRIES: {
    default: 512,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'log',
    doc: 'entries in one batch: one transaction and one message per slave carry at most this many',
  },
  PROPOSE_TIMEOUT_MS: {
    default: 5_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    where: 'log',
    doc: 'how long a proposal may wait for its commit before the client is told to retry',
  },
  PERSIST_STALL_VOUCH_MS: {
    default: 5_000,
    min: 0,
    max: 600_000,
    unit: 'ms',
    where: 'log',
    doc: 'how long a node whose own database write is stalled still sends heartbeats (master) or signs of life (slave); past it, the failure timeout takes over and a master whose database is gone is replaced',
  },
  RETRY_BACKOFF_MAX_MS: {
    default: 1_000,
    min: 10,
    max: 60_000,
    unit: 'ms',
    where: 'log',
    doc: 'cap on the back-off between retries of a failed database write of the log',
  },
  REMEMBERED_REJECTIONS: {
    default: 4_096,
    min: 16,
    max: 1_000_000,
    unit: 'count',
    where: 'log',
    doc: 'entries the applied-rejection memory keeps, for proposers that wait on them',
  },
  MAX_EXPIRIES_PER_ENTRY: {
    default: 500,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'log',
    doc: 'holds named by one expiry entry',
  },
  // ---- /rpc: per call, per connection, per address ----
  RPC_MAX_FRAME_BYTES: {
    default: 64 * KiB,
    min: 1 * KiB,
    max: 16 * MiB,
    unit: 'bytes',
    where: 'rpc',
    doc: 'largest client frame; a bigger one closes the socket with 1009',
  },
  RPC_MAX_BATCH: {
    default: 100,
    min: 1,
    max: 10_000,
    unit: 'count',
    where: 'rpc',
    doc: 'calls in one batch; a longer batch is one -32600 error',
  },
  RPC_RATE_BURST: {
    default: 2000,
    min: 1,
    max: 1_000_000,
    unit: 'count',
    where: 'rpc',
    doc: 'token bucket size per connection; every call costs one token, also inside a batch',
  },
  RPC_RATE_PER_SECOND: {
    default: 2000,
    min: 1,
    max: 1_000_000,
    unit: 'per second',
    where: 'rpc',
    doc: 'token bucket refill per connection; calls beyond the bucket get RATE_LIMITED',
  },
  RPC_MAX_INFLIGHT_CALLS: {
    default: 256,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'rpc',
    doc: 'calls of one connection being worked on; beyond it the node stops reading that socket',
  },
  RPC_PAUSE_BUFFERED_BYTES: {
    default: 1 * MiB,
    min: 16 * KiB,
    max: 256 * MiB,
    unit: 'bytes',
    where: 'rpc',
    doc: 'unsent reply bytes of one connection above which the node stops reading it',
  },
  RPC_MAX_BUFFERED_BYTES: {
    default: 8 * MiB,
    min: 64 * KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    where: 'rpc',
    doc: 'unsent bytes of one connection above which it is closed with 1008',
  },
  RPC_SLOW_READER_MS: {
    default: 10_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    where: 'rpc',
    doc: 'how long a connection may stay paused for not reading its replies before it is closed with 1008',
  },
  RPC_MAX_CONNECTIONS_PER_ADDRESS: {
    default: 256,
    min: 1,
    max: 1_000_000,
    unit: 'count',
    where: 'rpc',
    doc: 'open /rpc sockets per client address (behind Nginx: X-Real-IP from a trusted proxy); more get HTTP 429',
  },
  RPC_MAX_CONNECTIONS: {
    default: 10_000,
    min: 1,
    max: 1_000_000,
    unit: 'count',
    where: 'rpc',
    doc: 'open /rpc sockets per node; more get HTTP 503',
  },
  RPC_PING_MS: {
    default: 5_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    where: 'rpc',
    doc: 'ping interval; a socket that misses one pong is dropped',
  },
  RPC_MAX_SUBSCRIPTIONS: {
    default: 50,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'rpc',
    doc: 'shows one connection may subscribe to',
  },
  // ---- booking rules (enforced in the booking service) ----
  READ_WAIT_MS: {
    default: 2_000,
    min: 0,
    max: 60_000,
    unit: 'ms',
    where: 'booking',
    doc: 'how long a read with afterCommitIndex waits for this node to apply that index',
  },
  MAX_READ_WAITERS: {
    default: 10_000,
    min: 1,
    max: 1_000_000,
    unit: 'count',
    where: 'booking',
    doc: 'reads parked on afterCommitIndex per node; more are answered at once with an error',
  },
  MAX_READ_AHEAD: {
    default: 100_000,
    min: 0,
    max: 1_000_000_000,
    unit: 'count',
    where: 'booking',
    doc: "an afterCommitIndex further than this beyond the node's commit index is answered at once",
  },
  MAX_SEATS_PER_HOLD: {
    default: 10,
    min: 1,
    max: 1_000,
    unit: 'count',
    where: 'booking',
    doc: 'seats in one hold or booking (TOO_MANY_SEATS beyond)',
  },
  MAX_HELD_SEATS_PER_CONNECTION: {
    default: 40,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'booking',
    doc: 'live held seats per connection (TOO_MANY_SEATS beyond)',
  },
  MAX_HELD_SEATS_PER_ADDRESS: {
    default: 40,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'booking',
    doc: 'live held seats per client address (TOO_MANY_SEATS beyond)',
  },
  MAX_HOLD_RENEWALS: {
    default: 5,
    min: 0,
    max: 1_000,
    unit: 'count',
    where: 'booking',
    doc: 'times one hold may be renewed by holding again with its holdId',
  },
  RECENT_BOOKINGS: {
    default: 20_000,
    min: 0,
    max: 10_000_000,
    unit: 'count',
    where: 'booking',
    doc: 'booking rows a node keeps in memory for cancels and lookups (0: always read MySQL)',
  },
  QR_BATCH_CODES: {
    default: 256,
    min: 1,
    max: 10_000,
    unit: 'count',
    where: 'booking',
    doc: 'QR codes drawn by one worker-thread task (the codes asked for in one turn of the event loop)',
  },
  QR_CACHE_CODES: {
    default: 2_000,
    min: 0,
    max: 1_000_000,
    unit: 'count',
    where: 'booking',
    doc: 'QR SVGs a node keeps to answer a repeated lookup without drawing again',
  },
  TICKET_CACHE_TOKENS: {
    default: 2_000,
    min: 0,
    max: 1_000_000,
    unit: 'count',
    where: 'booking',
    doc: 'signed tickets a node keeps to answer a cancel or a lookup of a recent booking without signing again',
  },
  // ---- /peer ----
  PEER_MAX_FRAME_BYTES: {
    default: 32 * MiB,
    min: 64 * KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    where: 'peer',
    doc: 'largest frame between authenticated nodes (catch-up batches)',
  },
  PEER_MAX_BUFFERED_BYTES: {
    default: 16 * MiB,
    min: 64 * KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    where: 'peer',
    doc: 'unsent bytes to a peer above which consensus messages are dropped (they are retransmitted)',
  },
  PEER_HANDSHAKE_TIMEOUT_MS: {
    default: 2_000,
    min: 100,
    max: 60_000,
    unit: 'ms',
    where: 'peer',
    doc: "a dialing node's deadline for the upgrade and the listener's proof",
  },
  PEER_AUTH_MAX_SKEW_MS: {
    default: 30_000,
    min: 1_000,
    max: 600_000,
    unit: 'ms',
    where: 'peer',
    doc: "accepted difference between a dialer's timestamp and the listener's clock",
  },
  PEER_AUTH_MAX_NONCES: {
    default: 4_096,
    min: 16,
    max: 1_000_000,
    unit: 'count',
    where: 'peer',
    doc: 'remembered upgrade nonces (replay protection); when full, new upgrades are refused until some expire',
  },
  SNAPSHOT_CHUNK_ROWS: {
    default: 1_000,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'peer',
    doc: 'table rows per chunk of a snapshot a master streams to a far-behind slave',
  },
  SNAPSHOT_CHUNK_TIMEOUT_MS: {
    default: 30_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    where: 'peer',
    doc: 'how long a master waits for a slave to store one snapshot chunk (or install it) before the transfer fails',
  },
  // ---- HTTP server (all paths) ----
  HTTP_HEADERS_TIMEOUT_MS: {
    default: 10_000,
    min: 1_000,
    max: 600_000,
    unit: 'ms',
    where: 'http',
    doc: 'time to receive the request headers (slow-header clients)',
  },
  HTTP_REQUEST_TIMEOUT_MS: {
    default: 30_000,
    min: 1_000,
    max: 600_000,
    unit: 'ms',
    where: 'http',
    doc: 'time to receive a whole HTTP request',
  },
  HTTP_MAX_CONNECTIONS: {
    default: 20_000,
    min: 16,
    max: 1_000_000,
    unit: 'count',
    where: 'http',
    doc: 'TCP connections per node (clients, peers, probes together)',
  },
  // ---- catalog import ----
  IMPORT_MAX_RESPONSE_BYTES: {
    default: 8 * MiB,
    min: 1 * KiB,
    max: 1024 * MiB,
    unit: 'bytes',
    where: 'import',
    doc: 'one upstream response; a bigger one fails that request',
  },
  IMPORT_TIMEOUT_MS: {
    default: 10_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
    where: 'import',
    doc: 'one upstream request, body included',
  },
  IMPORT_MAX_REDIRECTS: {
    default: 3,
    min: 0,
    max: 20,
    unit: 'count',
    where: 'import',
    doc: 'redirects followed per request (each target is checked like the first URL)',
  },
  IMPORT_ENTRY_MAX_ITEMS: {
    default: 500,
    min: 1,
    max: 100_000,
    unit: 'count',
    where: 'import',
    doc: 'movies, theaters or shows per catalog.import log entry; a snapshot becomes several entries',
  },
  // ---- Nginx (cli/src/services/nginx/config.ts) ----
  NGINX_CONNECTIONS_PER_ADDRESS: {
    default: 256,
    min: 1,
    max: 1_000_000,
    unit: 'count',
    where: 'nginx',
    doc: 'limit_conn on /rpc and /nodes/<id>/rpc per client address',
  },
  NGINX_RPC_REQUESTS_PER_SECOND: {
    default: 50,
    min: 1,
    max: 1_000_000,
    unit: 'per second',
    where: 'nginx',
    doc: 'limit_req rate of WebSocket handshakes per client address',
  },
  NGINX_RPC_REQUEST_BURST: {
    default: 500,
    min: 0,
    max: 1_000_000,
    unit: 'count',
    where: 'nginx',
    doc: 'limit_req burst (a bench or a failover reconnects many sockets at once)',
  },
} as const satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMIT_SPECS;
export type Limits = { readonly [K in LimitName]: number };

export const LIMIT_NAMES = Object.keys(LIMIT_SPECS) as LimitName[];

export const DEFAULT_LIMITS: Limits = Object.freeze(
  Object.fromEntries(LIMIT_NAMES.map((n) => [n, LIMIT_SPECS[n].default])) as Limits,
);

export const limitVariable = (name: LimitName): string => `BOOKING_LIMIT_${name}`;

export class InvalidLimit extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidLimit';
  }
}

/** The limits with `BOOKING_LIMIT_*` overrides applied; throws InvalidLimit naming the variable. */
export function loadLimits(env: NodeJS.ProcessEnv = process.env): Limits {
  const out: Record<string, number> = {};
  for (const name of LIMIT_NAMES) {
    const spec: LimitSpec = LIMIT_SPECS[name];
    const variable = limitVariable(name);
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') {
      out[name] = spec.default;
      continue;
    }
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < spec.min || value > spec.max) {
      throw new InvalidLimit(
        variable,
        `invalid value "${raw}": expected an integer from ${spec.min} to ${spec.max} (${spec.unit})`,
      );
    }
    out[name] = value;
  }
  return Object.freeze(out as Limits);
}

let fromEnv: Limits | undefined;
/**
 * The limits of this process (`BOOKING_LIMIT_*`), for modules that are not handed a config. A bad
 * value falls back to the defaults here: loadConfig reads the same variables and refuses to start
 * with one line naming it, which beats a stack trace at import time.
 */
export function processLimits(): Limits {
  if (!fromEnv) {
    try {
      fromEnv = loadLimits(process.env);
    } catch {
      fromEnv = DEFAULT_LIMITS;
    }
  }
  return fromEnv;
}

/** Merges overrides (tests, or a config's limits) onto a base set. */
export function withLimits(overrides: Partial<Limits> = {}, base: Limits = processLimits()): Limits {
  return Object.freeze({ ...base, ...overrides });
}

function human(value: number, unit: LimitSpec['unit']): string {
  if (unit === 'bytes') {
    if (value % MiB === 0) return `${value / MiB} MiB`;
    if (value % KiB === 0) return `${value / KiB} KiB`;
    return `${value} B`;
  }
  if (unit === 'ms') return value % 1000 === 0 ? `${value / 1000} s` : `${value} ms`;
  if (unit === 'per second') return `${value}/s`;
  return String(value);
}

/** The Markdown table of docs/security.md. */
export function limitsTable(): string {
  const rows = LIMIT_NAMES.map((name) => {
    const s: LimitSpec = LIMIT_SPECS[name];
    return `| \`${limitVariable(name)}\` | ${s.where} | ${human(s.default, s.unit)} | ${s.doc} |`;
  });
  return ['| variable | where | default | bounds |', '|---|---|---|---|', ...rows].join('\n');
}

// Plain constants for code that reads a limit directly (the write path, the booking rules): the
// process's values, overrides applied.
const L = processLimits();
export const MAX_BATCH_ENTRIES = L.MAX_BATCH_ENTRIES;
export const PROPOSE_TIMEOUT_MS = L.PROPOSE_TIMEOUT_MS;
export const PERSIST_STALL_VOUCH_MS = L.PERSIST_STALL_VOUCH_MS;
export const RETRY_BACKOFF_MAX_MS = L.RETRY_BACKOFF_MAX_MS;
export const REMEMBERED_REJECTIONS = L.REMEMBERED_REJECTIONS;
export const MAX_EXPIRIES_PER_ENTRY = L.MAX_EXPIRIES_PER_ENTRY;
export const READ_WAIT_MS = L.READ_WAIT_MS;
export const MAX_READ_WAITERS = L.MAX_READ_WAITERS;
export const MAX_READ_AHEAD = L.MAX_READ_AHEAD;
export const MAX_SEATS_PER_HOLD = L.MAX_SEATS_PER_HOLD;
export const MAX_HELD_SEATS_PER_CONNECTION = L.MAX_HELD_SEATS_PER_CONNECTION;
export const MAX_HELD_SEATS_PER_ADDRESS = L.MAX_HELD_SEATS_PER_ADDRESS;
export const MAX_HOLD_RENEWALS = L.MAX_HOLD_RENEWALS;
export const RECENT_BOOKINGS = L.RECENT_BOOKINGS;
export const QR_BATCH_CODES = L.QR_BATCH_CODES;
export const QR_CACHE_CODES = L.QR_CACHE_CODES;
export const TICKET_CACHE_TOKENS = L.TICKET_CACHE_TOKENS;
export const RPC_MAX_SUBSCRIPTIONS = L.RPC_MAX_SUBSCRIPTIONS;
export const SNAPSHOT_CHUNK_ROWS = L.SNAPSHOT_CHUNK_ROWS;
export const SNAPSHOT_CHUNK_TIMEOUT_MS = L.SNAPSHOT_CHUNK_TIMEOUT_MS;
