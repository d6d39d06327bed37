/**
 * Node configuration from the environment. Invalid configuration is a startup error with one
 * line naming the variable: an operator should never have to read a stack trace to fix a typo.
 */
import { z } from 'zod';

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
  secret: string;
  adminToken: string;
  holdTtlMs: number;
  catalog: 'bundled' | 'none';
  heartbeatMs: number;
  failureTimeoutMs: number;
  logLevel: string;
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

export const DEFAULT_SECRET = 'dev-secret-change-me';

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
  return {
    nodeId,
    host: field(env, 'BOOKING_HOST', z.string().min(1), '127.0.0.1'),
    port: field(env, 'BOOKING_PORT', z.coerce.number().int().min(0).max(65535), '7101'),
    peers: parsePeers(env.BOOKING_PEERS ?? '', nodeId),
    mysqlUrl,
    secret: field(env, 'BOOKING_SECRET', z.string().min(8, 'at least 8 characters'), DEFAULT_SECRET),
    adminToken: field(
      env,
      'BOOKING_ADMIN_TOKEN',
      z.string().min(8, 'at least 8 characters'),
      'dev-admin-token',
    ),
    holdTtlMs: field(env, 'BOOKING_HOLD_TTL_MS', positiveInt(24 * 3600_000), '300000'),
    catalog: field(env, 'BOOKING_CATALOG', z.enum(['bundled', 'none']), 'bundled'),
    heartbeatMs,
    failureTimeoutMs,
    logLevel: field(
      env,
      'BOOKING_LOG_LEVEL',
      z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']),
      'info',
    ),
  };
}
