/**
 * Node configuration from the environment. Invalid configuration is a startup error with one
 * line naming the variable: an operator should never have to read a stack trace to fix a typo.
 * No secret is built in: a cluster without BOOKING_SECRET does not start, and a node without
 * BOOKING_ADMIN_TOKEN has no admin methods (docs/security.md).
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { InvalidLimit, type Limits, loadLimits } from './limits.js';

export interface PeerConfig {
  id: number;
  url: string;
}

export interface NodeConfig {
  nodeId: number;
  host: string;
  port: number;
  peers: PeerConfig[];
  mysqlUrl: string;
  /** The cluster secret; only ever used through deriveKey. */
  secret: string;
  /** `generated`: a single node without BOOKING_SECRET made one for its lifetime. */
  secretSource: 'env' | 'generated';
  /** null: admin methods are off (no BOOKING_ADMIN_TOKEN). */
  adminToken: string | null;
  /** Origins allowed to open /rpc from a browser, besides the page's own host (`*`: any). */
  allowedOrigins: string[];
  /** Addresses whose X-Real-IP / X-Forwarded-For is believed (the local Nginx). */
  trustedProxies: string[];
  catalogImport: CatalogImportPolicy;
  limits: Limits;
  holdTtlMs: number;
  catalog: 'bundled' | 'none';
  heartbeatMs: number;
  failureTimeoutMs: number;
  /** Applied entries a node keeps in its log before it compacts (the older half is dropped). */
  snapshotEvery: number;
  logLevel: string;
}

/** Where admin.importCatalog may fetch from. */
export interface CatalogImportPolicy {
  /** URL schemes without the colon: `https`, `http`. */
  schemes: string[];
  /** Host names (lower case) or `*` for any public host. */
  hosts: string[];
  /** Loopback, private, link-local and other non-public addresses; off by default (SSRF). */
  allowPrivate: boolean;
}

/** At least this many bytes of secret or token: 256 bits, what HKDF-SHA-256 can use. */
export const MIN_SECRET_BYTES = 32;

/** HKDF labels: each use of the cluster secret gets its own key, so one cannot stand in for another. */
export const KEY_LABELS = {
  peerProof: 'booking/peer-proof/v1',
  ticketSigning: 'booking/ticket-signing/ed25519/v1',
} as const;

/** A 32-byte key for one purpose, derived from the cluster secret (HKDF-SHA-256). */
export function deriveKey(secret: string, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'booking-cluster-secret', label, 32));
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);

function parsePeers(raw: string, selfId: number): PeerConfig[] {
  if (raw.trim() === '') return [];
  const peers = raw.split(',').map((part) => {
    const match = /^\s*(\d+)=(wss?:\/\/[^\s,]+)\s*$/.exec(part);
    if (!match) throw new ConfigError('BOOKING_PEERS', `"${part}" is not id=ws://host:port`);
    const id = Number(match[1]);
    if (!Number.isSafeInteger(id) || id < 1)
      throw new ConfigError('BOOKING_PEERS', `bad node id in "${part}"`);
    return { id, url: match[2]!.replace(/\/+$/, '') };
  });
  const ids = new Set(peers.map((p) => p.id));
  if (ids.size !== peers.length) throw new ConfigError('BOOKING_PEERS', 'a node id appears twice');
  if (ids.has(selfId)) throw new ConfigError('BOOKING_PEERS', `lists this node's own id ${selfId}`);
  return peers;
}

function field<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T>, fallback: string): T {
  const raw = env[name] ?? fallback;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(name, `invalid value "${raw}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

const secretSchema = z
  .string()
  .refine(
    (v) => Buffer.byteLength(v, 'utf8') >= MIN_SECRET_BYTES,
    `must be at least ${MIN_SECRET_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`,
  );

function optional<T>(env: NodeJS.ProcessEnv, name: string, schema: z.ZodType<T>): T | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  const parsed = schema.safeParse(raw);
  // The value is a secret: never echo it.
  if (!parsed.success) throw new ConfigError(name, parsed.error.issues[0]?.message ?? 'invalid');
  return parsed.data;
}

function list(env: NodeJS.ProcessEnv, name: string, fallback: string): string[] {
  return (env[name] ?? fallback)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function parseOrigins(env: NodeJS.ProcessEnv): string[] {
  return list(env, 'BOOKING_ALLOWED_ORIGINS', '').map((o) => {
    if (o === '*') return o;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(
        'BOOKING_ALLOWED_ORIGINS',
        `"${o}" is not an origin like https://tickets.example.org`,
      );
    }
    if (url.origin !== o.replace(/\/+$/, '') || !/^https?:$/.test(url.protocol)) {
      throw new ConfigError(
        'BOOKING_ALLOWED_ORIGINS',
        `"${o}" is not an origin like https://tickets.example.org`,
      );
    }
    return url.origin;
  });
}

function parseProxies(env: NodeJS.ProcessEnv): string[] {
  return list(env, 'BOOKING_TRUSTED_PROXIES', '127.0.0.1,::1').map((a) => {
    if (isIP(a) === 0) throw new ConfigError('BOOKING_TRUSTED_PROXIES', `"${a}" is not an IP address`);
    return a;
  });
}

function parseImportPolicy(env: NodeJS.ProcessEnv): CatalogImportPolicy {
  const schemes = list(env, 'BOOKING_IMPORT_SCHEMES', 'https').map((s) => s.toLowerCase().replace(/:$/, ''));
  for (const s of schemes) {
    if (s !== 'http' && s !== 'https')
      throw new ConfigError('BOOKING_IMPORT_SCHEMES', `"${s}" is not http or https`);
  }
  const hosts = list(env, 'BOOKING_IMPORT_HOSTS', '*').map((h) => h.toLowerCase());
  const allowPrivate = field(env, 'BOOKING_IMPORT_ALLOW_PRIVATE', z.enum(['0', '1', 'false', 'true']), '0');
  return { schemes, hosts, allowPrivate: allowPrivate === '1' || allowPrivate === 'true' };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): NodeConfig {
  const nodeId = field(env, 'BOOKING_NODE_ID', positiveInt(1_000_000), '1');
  const mysqlUrl = field(
    env,
    'BOOKING_MYSQL_URL',
    z
      .string()
      .regex(/^mysql:\/\/[^/]+\/[A-Za-z0-9_]{1,64}$/, 'expected mysql://user[:pass]@host:port/database'),
    `mysql://root@127.0.0.1:3306/booking_default_n${nodeId}`,
  );
  const heartbeatMs = field(env, 'BOOKING_HEARTBEAT_MS', positiveInt(60_000), '50');
  const failureTimeoutMs = field(env, 'BOOKING_FAILURE_TIMEOUT_MS', positiveInt(600_000), '300');
  if (failureTimeoutMs < 2 * heartbeatMs) {
    throw new ConfigError('BOOKING_FAILURE_TIMEOUT_MS', 'must be at least twice BOOKING_HEARTBEAT_MS');
  }
  const peers = parsePeers(env.BOOKING_PEERS ?? '', nodeId);
  const given = optional(env, 'BOOKING_SECRET', secretSchema);
  if (given === null && peers.length > 0) {
    throw new ConfigError(
      'BOOKING_SECRET',
      `required when BOOKING_PEERS is set: the same secret of at least ${MIN_SECRET_BYTES} random bytes on every node (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  let limits: Limits;
  try {
    limits = loadLimits(env);
  } catch (error) {
    if (error instanceof InvalidLimit) throw new ConfigError(error.variable, error.message);
    throw error;
  }
  return {
    nodeId,
    host: field(env, 'BOOKING_HOST', z.string().min(1), '127.0.0.1'),
    port: field(env, 'BOOKING_PORT', z.coerce.number().int().min(0).max(65535), '7101'),
    peers,
    mysqlUrl,
    secret: given ?? randomBytes(32).toString('base64url'),
    secretSource: given === null ? 'generated' : 'env',
    adminToken: optional(env, 'BOOKING_ADMIN_TOKEN', secretSchema),
    allowedOrigins: parseOrigins(env),
    trustedProxies: parseProxies(env),
    catalogImport: parseImportPolicy(env),
    limits,
    holdTtlMs: field(env, 'BOOKING_HOLD_TTL_MS', positiveInt(24 * 3600_000), '300000'),
    catalog: field(env, 'BOOKING_CATALOG', z.enum(['bundled', 'none']), 'bundled'),
    heartbeatMs,
    failureTimeoutMs,
    // At least 2: compaction keeps the newer half, and half of 1 is nothing to keep.
    snapshotEvery: field(
      env,
      'BOOKING_SNAPSHOT_EVERY',
      z.coerce.number().int().min(2).max(1_000_000_000),
      '10000',
    ),
    logLevel: field(
      env,
      'BOOKING_LOG_LEVEL',
      z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']),
      'info',
    ),
  };
}

/** What the operator should hear at start about secrets: log each line at its level. */
export function startupNotices(config: NodeConfig): { level: 'warn' | 'info'; message: string }[] {
  const notices: { level: 'warn' | 'info'; message: string }[] = [];
  if (config.secretSource === 'generated') {
    notices.push({
      level: 'warn',
      message:
        'BOOKING_SECRET is not set: this single node made a random secret for its lifetime; tickets it signs stop verifying after a restart',
    });
  }
  if (config.adminToken === null) {
    notices.push({ level: 'info', message: 'BOOKING_ADMIN_TOKEN is not set: admin methods are off' });
  }
  return notices;
}
