/**
 * Wires one booking node: configuration, MySQL, the write log, the booking rules, the worker
 * pool, JSON-RPC over WebSocket on /rpc, /healthz and /metrics.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import type { Pool } from 'mysql2/promise';
import { type Logger, pino } from 'pino';
import { CatalogReads } from './booking/catalog-reads.js';
import { BookingService } from './booking/service.js';
import { TicketWorkers } from './booking/worker-pool.js';
import { loadBundledCatalog } from './catalog/index.js';
import type { CatalogSnapshot } from './catalog/model.js';
import { runCatalogImport } from './catalog-import.js';
import { LamportClock } from './cluster/lamport.js';
import { type ClusterRole, SoloRole } from './cluster-role.js';
import { loadConfig, type NodeConfig } from './config.js';
import { EventLog } from './events.js';
import { LocalLog } from './log/local-log.js';
import { StateMachine } from './log/state-machine.js';
import { createMetrics } from './metrics.js';
import { createClientEndpoint } from './rpc/client-endpoint.js';
import { Dispatcher } from './rpc/dispatcher.js';
import { type ConnectionContext, registerHandlers } from './rpc/handlers.js';
import { Subscriptions } from './rpc/subscriptions.js';
import { openDatabase } from './store/db.js';
import { migrate } from './store/migrations.js';
import { countCatalog, getMeta, setMeta } from './store/queries.js';

export const VERSION = '0.1.0';

export interface RunningNode {
  config: NodeConfig;
  port: number;
  url: string;
  logger: Logger;
  close(): Promise<void>;
}

export function tokensEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

function bearer(request: IncomingMessage): string | null {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match ? match[1]!.trim() : null;
}

export interface NodeOptions {
  logger?: Logger;
  /** What `bundled` means: the recorded offline catalog, or a test's own fixture. */
  bundledCatalog?: (days: number) => CatalogSnapshot | Promise<CatalogSnapshot>;
  /** The master's clock for hold expiry and show starts (tests move it). */
  now?: () => number;
  /** Per-connection token bucket; the default suits real clients, tests shrink it. */
  rate?: { burst: number; perSecond: number };
}

export async function startNode(config: NodeConfig, options: NodeOptions = {}): Promise<RunningNode> {
  const log = options.logger ?? pino({ level: config.logLevel, base: { node: config.nodeId } });
  const bundled = options.bundledCatalog ?? ((days: number) => loadBundledCatalog(new Date(), days));
  const pool: Pool = await openDatabase(config.mysqlUrl);
  const applied = await migrate(pool);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

  const meta = await getMeta(pool);
  const clock = new LamportClock(Number(meta.get('lamport') ?? 0));
  const metrics = createMetrics(config.nodeId);
  const events = new EventLog(config.nodeId, clock, pool, (error) =>
    log.warn({ err: error }, 'saving events failed'),
  );
  await events.load();

  const machine = new StateMachine(pool);
  await machine.load();
  const epoch = Math.max(1, Number(meta.get('epoch') ?? 1));
  await setMeta(pool, { epoch });
  const writeLog = new LocalLog(pool, machine, clock, epoch, (n) => metrics.commitBatch.observe(n));
  await writeLog.load();
  metrics.appliedIndex.set(machine.appliedIndex);

  const workers = new TicketWorkers(config.secret);
  const service = new BookingService(pool, writeLog, workers, {
    holdTtlMs: config.holdTtlMs,
    secret: config.secret,
    ...(options.now ? { now: options.now } : {}),
  });
  const catalog = new CatalogReads((work) => service.read(work));
  const cluster: ClusterRole = new SoloRole(() => ({
    nodeId: config.nodeId,
    epoch: writeLog.epoch,
    lamport: clock.time,
    commitIndex: writeLog.commitIndex,
    appliedIndex: writeLog.appliedIndex,
  }));

  const subscriptions = new Subscriptions();
  machine.onApplied((entries) => {
    subscriptions.publish(entries);
    metrics.appliedIndex.set(machine.appliedIndex);
  });

  const dispatcher = new Dispatcher<ConnectionContext>({
    onInternalError: (method, error) => log.error({ err: error, method }, 'internal error in RPC method'),
    onCall: (method, outcome, seconds) => {
      metrics.rpcCalls.inc({ method, outcome });
      metrics.rpcSeconds.observe({ method }, seconds);
    },
  });
  registerHandlers(dispatcher, {
    service,
    catalog,
    cluster,
    log: writeLog,
    events,
    subscriptions,
    adminToken: config.adminToken,
    version: VERSION,
    tokensEqual,
    importCatalog: (params) => runCatalogImport(params, writeLog, log, bundled),
  });
  const clients = createClientEndpoint({
    dispatcher,
    subscriptions,
    isAdmin: (request) => {
      const token = bearer(request);
      return token !== null && tokensEqual(token, config.adminToken);
    },
    onConnections: (delta) => metrics.connections.inc(delta),
    onRateLimited: () => metrics.rateLimited.inc(),
    ...(options.rate ? { rate: options.rate } : {}),
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    const s = cluster.status();
    res.json({
      nodeId: s.nodeId,
      role: s.role,
      epoch: s.epoch,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
    });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const server: Server = createServer(app);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/rpc') {
      clients.handleUpgrade(request, socket, head, (ws) => clients.emit('connection', ws, request));
    } else {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  events.record('node.started', { port, role: 'master', epoch });

  // Holds expire on the master's clock; expiry is a log entry like any other write.
  const sweeper = setInterval(
    () => {
      if (!cluster.isMaster()) return;
      service.expireDue().catch((error) => log.warn({ err: error }, 'hold expiry sweep failed'));
    },
    Math.min(1000, Math.max(50, Math.floor(config.holdTtlMs / 4))),
  );

  if (config.catalog === 'bundled' && cluster.isMaster() && (await countCatalog(pool)).movies === 0) {
    const report = await runCatalogImport({ source: 'bundled' }, writeLog, log, bundled);
    log.info(report, 'bundled catalog loaded');
  }

  const url = `http://${config.host}:${port}`;
  log.info({ url, rpc: `ws://${config.host}:${port}/rpc` }, 'booking node listening');
  let closed = false;
  return {
    config,
    port,
    url,
    logger: log,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const ws of clients.clients) ws.terminate();
      clients.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await cluster.close();
      await events.flush();
      await setMeta(pool, { lamport: clock.time }).catch(() => undefined);
      await workers.close();
      await pool.end();
    },
  };
}

/** Entry point of `booking-node`. */
export async function main(): Promise<void> {
  let config: NodeConfig;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(`booking-node: invalid configuration: ${(error as Error).message}`);
    process.exit(2);
  }
  let node: RunningNode;
  try {
    node = await startNode(config);
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const hint =
      e.code === 'ECONNREFUSED' ? ` (is MySQL running at ${config.mysqlUrl.replace(/\/[^/]*$/, '')}?)` : '';
    console.error(`booking-node: cannot start: ${e.message ?? String(error)}${hint}`);
    process.exit(1);
  }
  const stop = async (signal: string) => {
    node.logger.info({ signal }, 'shutting down');
    await node.close().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
