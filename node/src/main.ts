/**
 * Wires one booking node: configuration, MySQL, the write log, the booking rules, the worker
 * pool, JSON-RPC over WebSocket on /rpc, /healthz and /metrics.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import { JSONRPCErrorException } from 'json-rpc-2.0';
import type { Pool } from 'mysql2/promise';
import { type Logger, pino } from 'pino';
import { BookingApplier } from './booking/apply.js';
import { CatalogReads } from './booking/catalog-reads.js';
import { type Command, isCommand } from './booking/entries.js';
import { BookingMachine } from './booking/machine.js';
import { BookingService } from './booking/service.js';
import { TicketSigner, ticketJwks } from './booking/tickets.js';
import { TicketWorkers } from './booking/worker-pool.js';
import { CatalogBootstrap } from './catalog/bootstrap.js';
import { loadBundledCatalog } from './catalog/index.js';
import type { CatalogSnapshot } from './catalog/model.js';
import { runCatalogImport } from './catalog-import.js';
import { LamportClock } from './cluster/lamport.js';
import { type ClusterRole, ReplicatedRole, SoloRole, toForwardError } from './cluster-role.js';
import { loadConfig, type NodeConfig, startupNotices } from './config.js';
import { EventLog } from './events.js';
import { healthRoutes } from './health.js';
import { MAX_READ_WAITERS } from './limits.js';
import { LocalLog } from './log/local-log.js';
import { MysqlLogStore } from './log/mysql-log-store.js';
import { ReplicatedLog } from './log/replicated-log.js';
import type { WriteLog } from './log/write-log.js';
import { createMetrics } from './metrics.js';
import { AppError } from './protocol/errors.js';
import { createClientEndpoint, hardenHttpServer } from './rpc/client-endpoint.js';
import { Dispatcher } from './rpc/dispatcher.js';
import { type ConnectionContext, registerHandlers, WRITE_METHODS } from './rpc/handlers.js';
import { HoldQuota } from './rpc/hold-quota.js';
import { PeerTransport } from './rpc/peer-transport.js';
import { Subscriptions } from './rpc/subscriptions.js';
import { GracefulStop, registerStop, stopOf, stopOnSignals } from './shutdown.js';
import { openDatabase } from './store/db.js';
import { migrate } from './store/migrations.js';
import { countCatalog, getMeta, readStateRows, setMeta } from './store/queries.js';
import type { Statement } from './store/statements.js';

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
  for (const notice of startupNotices(config)) log[notice.level](notice.message);
  const bundled = options.bundledCatalog ?? ((days: number) => loadBundledCatalog(new Date(), days));
  const pool: Pool = await openDatabase(config.mysqlUrl);
  // The write path's one-round-trip transactions (store/statements.ts) need multi-statement queries.
  const writePool: Pool = await openDatabase(config.mysqlUrl, 4, true);
  const applied = await migrate(pool);
  if (applied.length > 0) log.info({ migrations: applied }, 'database migrated');

  const meta = await getMeta(pool);
  const clock = new LamportClock(Number(meta.get('lamport') ?? 0));
  const metrics = createMetrics(config.nodeId);
  const stopLoopMonitor = metrics.observeEventLoop();
  const events = new EventLog(config.nodeId, clock, pool, (error) =>
    log.warn({ err: error }, 'saving events failed'),
  );
  await events.load();

  // The booking state machine lives in memory, loaded from what this node has applied.
  const machine = BookingMachine.load(await readStateRows(pool));
  const applier = new BookingApplier(machine, pool, ({ entry, outcome }) => {
    metrics.applyRejections.inc({ kind: entry.command.kind });
    log.error(
      { index: entry.index, kind: entry.command.kind, reason: outcome.reason, detail: outcome.detail },
      'invariant violation: a committed entry conflicts with the state at its index and was rejected',
    );
  });
  const workers = new TicketWorkers();
  const tickets = new TicketSigner(config.secret, config.limits.TICKET_CACHE_TOKENS);
  // Late-bound: the transport needs the log, and forwarded writes need the dispatcher built below.
  let transport: PeerTransport | null = null;
  let runForwarded: (method: string, params: unknown) => Promise<unknown> = async () => {
    throw new AppError('NO_MASTER', 'starting up');
  };
  const applyFailed = (error: unknown, attempt: number) => {
    metrics.applyFailures.inc();
    if (attempt === 0) log.warn({ err: error }, 'writing applied entries failed; retrying');
  };

  let writeLog: LocalLog<Command> | ReplicatedLog<Command, Statement>;
  let cluster: ClusterRole;
  let replicated: ReplicatedLog<Command, Statement> | null = null;
  if (config.peers.length === 0) {
    const epoch = Math.max(1, Number(meta.get('epoch') ?? 1));
    await setMeta(pool, { epoch });
    const local = new LocalLog<Command>(
      pool,
      writePool,
      applier,
      clock,
      epoch,
      machine.appliedIndex,
      MAX_READ_WAITERS,
      {
        onBatch: (n, seconds) => {
          metrics.commitBatch.observe(n);
          metrics.persistSeconds.observe(seconds);
        },
        onApplyFailure: applyFailed,
      },
    );
    await local.load();
    writeLog = local;
    cluster = new SoloRole(() => ({
      nodeId: config.nodeId,
      epoch: local.epoch,
      lamport: clock.time,
      commitIndex: local.commitIndex,
      appliedIndex: local.appliedIndex,
      applyError: local.applyError?.message ?? null,
    }));
  } else {
    const rlog = new ReplicatedLog<Command, Statement>(
      new MysqlLogStore(pool, writePool),
      applier,
      clock,
      machine.appliedIndex,
      {
        nodeId: config.nodeId,
        peerIds: config.peers.map((p) => p.id),
        heartbeatMs: config.heartbeatMs,
        failureTimeoutMs: config.failureTimeoutMs,
        logger: log,
        isPayload: isCommand,
        maxWaiters: MAX_READ_WAITERS,
        send: (to, message) => transport?.send(to, message),
        onEvent: (e) => {
          if (e.type === 'election-started') metrics.electionsStarted.inc();
          events.recordAt(e.type, e.lamport, { epoch: e.epoch, ...e.detail });
          log.info({ event: e.type, epoch: e.epoch, ...e.detail }, 'cluster event');
        },
        onHeartbeat: () =>
          transport?.broadcastStatus({
            role: rlog.core.role,
            masterId: rlog.core.masterId,
            epoch: rlog.core.epoch,
            commitIndex: rlog.commitIndex,
            lamport: clock.time,
          }),
        onBatch: (n, seconds) => {
          metrics.commitBatch.observe(n);
          metrics.persistSeconds.observe(seconds);
        },
        onApplyFailure: applyFailed,
        onCommitted: (seconds) => metrics.commitSeconds.observe(seconds),
        snapshotEvery: config.snapshotEvery,
        sendSnapshot: (to, part, timeoutMs) =>
          transport ? transport.snapshot(to, part, timeoutMs) : Promise.reject(new Error('no transport')),
        onSnapshotSent: (outcome) => metrics.snapshotSends.inc({ outcome }),
        onSnapshotInstall: (outcome) => metrics.snapshotInstalls.inc({ outcome }),
      },
    );
    await rlog.load();
    const links = new PeerTransport({
      selfId: config.nodeId,
      secret: config.secret,
      peers: config.peers,
      logger: log,
      onMessage: (from, message) => rlog.receive(from, message),
      onStatus: () => {},
      onForward: (_from, method, params) => runForwarded(method, params),
      onSnapshot: (from, part) => rlog.receiveSnapshot(from, part),
      onLink: (peer, up) => rlog.peerLink(peer, up),
      toError: toForwardError,
      limits: config.limits,
    });
    transport = links;
    replicated = rlog;
    writeLog = rlog;
    cluster = new ReplicatedRole({
      nodeId: config.nodeId,
      peers: config.peers,
      failureTimeoutMs: config.failureTimeoutMs,
      log: rlog,
      links,
      onForwarded: (seconds) => metrics.forwardSeconds.observe(seconds),
    });
  }
  const writes: WriteLog<Command> = writeLog;
  metrics.observeLog(() => ({
    appliedIndex: writes.appliedIndex,
    commitIndex: writes.commitIndex,
    lastIndex: writes.lastIndex,
    // The cluster's log after its snapshot point; a lone node keeps none in memory.
    retained: replicated?.core.retainedEntries ?? 0,
    firstIndex: replicated?.core.firstIndex ?? writes.lastIndex + 1,
    snapshotIndex: replicated?.core.snapshotIndex ?? 0,
    applyFailing: replicated?.applyError !== null && replicated?.applyError !== undefined,
    readWaiters: replicated?.readWaiters ?? 0,
    rejected: machine.rejectedCount,
  }));

  const service = new BookingService(pool, writeLog, applier, {
    holdTtlMs: config.holdTtlMs,
    secret: config.secret,
    maxHoldRenewals: config.limits.MAX_HOLD_RENEWALS,
    recentBookings: config.limits.RECENT_BOOKINGS,
    ...(options.now ? { now: options.now } : {}),
    onInvariantViolation: (what, detail) => {
      metrics.invariantViolations.inc();
      log.error(detail, `invariant violation: ${what}`);
    },
  });
  const catalog = new CatalogReads((work) => service.read(work));
  const importCatalog = (params: Parameters<typeof runCatalogImport>[0]) =>
    runCatalogImport(
      params,
      (parts) => service.importCatalog(parts),
      log,
      bundled,
      config.catalogImport,
      config.limits,
    );
  const subscriptions = new Subscriptions();
  writeLog.onApplied((entries) => subscriptions.publish(entries));

  const dispatcher = new Dispatcher<ConnectionContext>(
    {
      onInternalError: (method, error) => log.error({ err: error, method }, 'internal error in RPC method'),
      onCall: (method, outcome, seconds) => {
        metrics.rpcCalls.inc({ method, outcome });
        metrics.rpcSeconds.observe({ method }, seconds);
      },
    },
    config.limits,
  );
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
    importCatalog,
    qr: (token) => workers.qr(token),
    signTicket: (booking) => tickets.tokenFor(booking),
    holdQuota: new HoldQuota(
      config.limits.MAX_HELD_SEATS_PER_CONNECTION,
      config.limits.MAX_HELD_SEATS_PER_ADDRESS,
      options.now,
    ),
    maxSubscriptions: config.limits.RPC_MAX_SUBSCRIPTIONS,
  });
  // A write forwarded by a slave enters through the same door as a client's call: the dispatcher
  // validates it, counts it and runs the same handler, which never forwards it again.
  const forwardedContext: ConnectionContext = {
    admin: true,
    shows: new Set(),
    forwarded: true,
    notify: () => {},
  };
  runForwarded = async (method, params) => {
    if (!(WRITE_METHODS as readonly string[]).includes(method))
      throw new AppError('NO_MASTER', 'not a write');
    const reply = await dispatcher.handleMessage({ jsonrpc: '2.0', id: 0, method, params }, forwardedContext);
    const one = Array.isArray(reply) ? reply[0] : reply;
    if (one && 'error' in one && one.error) {
      throw new JSONRPCErrorException(one.error.message, one.error.code, one.error.data);
    }
    return one && 'result' in one ? one.result : null;
  };

  const clients = createClientEndpoint({
    dispatcher,
    subscriptions,
    isAdmin: (request) => {
      const token = bearer(request);
      return token !== null && config.adminToken !== null && tokensEqual(token, config.adminToken);
    },
    onConnections: (delta) => metrics.connections.inc(delta),
    onRateLimited: () => metrics.rateLimited.inc(),
    ...(options.rate ? { rate: options.rate } : {}),
    limits: config.limits,
    allowedOrigins: config.allowedOrigins,
    trustedProxies: config.trustedProxies,
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
  const stop = registerStop(
    config,
    new GracefulStop({ server: () => server, clients, calls: dispatcher, cluster, logger: log }),
  );
  app.use(
    healthRoutes({
      status: () => cluster.status(),
      serving: () => cluster.isMaster(),
      catalogExpected: config.catalog === 'bundled',
      catalogLoaded: async () => (await countCatalog(pool)).movies > 0,
      stopping: () => stop.draining,
      installingSnapshot: () => replicated?.installingSnapshot ?? false,
    }),
  );
  // The ticket signing key's public half, so a door scanner verifies tickets offline (JWKS).
  const jwks = ticketJwks(config.secret);
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json(jwks);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const server: Server = createServer(app);
  hardenHttpServer(server, config.limits);
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === '/rpc') {
      clients.handleUpgrade(request, socket, head, (ws) => clients.emit('connection', ws, request));
    } else if (path === '/peer' && transport) {
      transport.handleUpgrade(request, socket, head);
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
  events.record('node.started', { port, role: cluster.status().role, epoch: writeLog.epoch });

  // Holds expire on the master's clock; expiry is a log entry like any other write.
  const sweeper = setInterval(
    () => {
      if (!cluster.isMaster()) return;
      service.expireDue().catch((error) => log.warn({ err: error }, 'hold expiry sweep failed'));
    },
    Math.min(1000, Math.max(50, Math.floor(config.holdTtlMs / 4))),
  );

  if (config.catalog === 'bundled' && !replicated && (await countCatalog(pool)).movies === 0) {
    const report = await importCatalog({ source: 'bundled' });
    log.info(report, 'bundled catalog loaded');
  }
  let catalogBootstrap: CatalogBootstrap | null = null;
  if (replicated && transport) {
    // In a cluster the bundled catalog is loaded by a node serving as master, through the log
    // like any write (catalog/bootstrap.ts: retried until it is there).
    if (config.catalog === 'bundled') {
      catalogBootstrap = new CatalogBootstrap({
        countMovies: async () => (await countCatalog(pool)).movies,
        isMaster: () => cluster.isMaster(),
        importBundled: () => importCatalog({ source: 'bundled' }),
        onLoaded: (report) => log.info(report, 'bundled catalog loaded'),
        onFailed: (error) =>
          log.warn({ err: error }, 'loading the bundled catalog failed; retried while this node is master'),
        setTimer: (fn, ms) => setTimeout(fn, ms).unref(),
        clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
      });
      const bootstrap = catalogBootstrap;
      replicated.onServing(() => bootstrap.serving());
    }
    transport.start();
    replicated.start();
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
      catalogBootstrap?.close();
      stopLoopMonitor();
      // Peer and client sockets first: server.close() only calls back once every connection
      // has ended, so ending them after it made every shutdown wait for a timeout.
      await cluster.close();
      await transport?.close();
      await replicated?.close();
      await stop.closeClients();
      clients.close();
      const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await serverClosed;
      await events.flush();
      await setMeta(pool, { lamport: clock.time }).catch(() => undefined);
      await workers.close();
      await pool.end();
      await writePool.end();
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
  stopOnSignals(node, stopOf(node.config));
}
