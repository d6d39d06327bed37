/**
 * Real clusters for integration tests: `booking-node` child processes on free loopback ports, each
 * on a fresh database of the real MariaDB/MySQL server, wired together with BOOKING_PEERS. Nodes
 * can be killed (-9), paused (SIGSTOP), resumed and revived on the same database and port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import mysql from 'mysql2/promise';
import { freePorts } from '../../../src/free-ports.js';
import type { ClusterStatus } from '../../../src/protocol/model.js';
import { dropDatabase } from '../../../src/store/db.js';
import { TestClient } from '../../helpers/rpc-client.js';
import { MYSQL_SERVER } from '../../helpers/with-node.js';

const BIN = fileURLToPath(new URL('../../../bin/booking-node.mjs', import.meta.url));
/** Random per test process: no token or secret is written down anywhere. */
export const SECRET = randomBytes(32).toString('base64url');
export const ADMIN = randomBytes(32).toString('base64url');
/**
 * Timing for tests on a shared, often overloaded CI box: the defaults (50/300 ms) are tuned for a
 * quiet machine; here a starved process must not look dead, so the failure timeout is longer.
 */
export const HEARTBEAT_MS = 100;
export const FAILURE_TIMEOUT_MS = 1000;

export class ClusterNode {
  proc: ChildProcess | null = null;
  output = '';
  readonly #clients: TestClient[] = [];

  constructor(
    readonly id: number,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get rpcUrl(): string {
    return `ws://127.0.0.1:${this.port}/rpc`;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  start(): void {
    const proc = spawn(process.execPath, [BIN], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (d: Buffer) => this.#keep(d));
    proc.stderr?.on('data', (d: Buffer) => this.#keep(d));
    this.proc = proc;
  }

  #keep(d: Buffer): void {
    // The tail is enough to explain a failure; a whole log would bloat the test process.
    this.output = (this.output + d.toString()).slice(-20_000);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.proc?.kill(signal);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    for (const c of this.#clients.splice(0)) c.close();
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await exited;
  }

  async connect(): Promise<TestClient> {
    const client = await TestClient.connect(this.rpcUrl, { token: ADMIN });
    this.#clients.push(client);
    return client;
  }

  /** cluster.status over a fresh short-lived connection (null if the node does not answer). */
  async status(timeoutMs = 3000): Promise<ClusterStatus | null> {
    let client: TestClient | null = null;
    try {
      client = await withTimeout(TestClient.connect(this.rpcUrl), timeoutMs);
      return await withTimeout(client.call('cluster.status', {}), timeoutMs);
    } catch {
      return null;
    } finally {
      client?.close();
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

export class Cluster {
  constructor(
    readonly nodes: ClusterNode[],
    readonly databases: string[],
  ) {}

  node(id: number): ClusterNode {
    return this.nodes[id - 1]!;
  }

  /** Statuses of the running nodes. */
  async statuses(): Promise<ClusterStatus[]> {
    const all = await Promise.all(this.nodes.filter((n) => n.running).map((n) => n.status()));
    return all.filter((s): s is ClusterStatus => s !== null);
  }

  /**
   * Waits until every running node (or those in `among`) agrees that `masterId` (any, if omitted)
   * is master in one epoch, and the master is serving. Returns the master's status.
   */
  async waitForMaster(masterId?: number, among?: number[], timeoutMs = 90_000): Promise<ClusterStatus> {
    const ids = among ?? this.nodes.filter((n) => n.running).map((n) => n.id);
    let last = '';
    const ok = await waitUntil(async () => {
      const statuses = await Promise.all(ids.map((id) => this.node(id).status()));
      last = JSON.stringify(
        statuses.map((s) => s && { id: s.nodeId, role: s.role, m: s.masterId, e: s.epoch }),
      );
      if (statuses.some((s) => s === null)) return false;
      const ss = statuses as ClusterStatus[];
      const m = ss[0]!.masterId;
      if (m === null || (masterId !== undefined && m !== masterId)) return false;
      if (!ss.every((s) => s.masterId === m && s.epoch === ss[0]!.epoch)) return false;
      const master = ss.find((s) => s.nodeId === m);
      return master?.role === 'master';
    }, timeoutMs);
    if (!ok) throw new Error(`no agreed master${masterId ? ` ${masterId}` : ''} in time: ${last}`);
    return (await this.node((JSON.parse(last) as { m: number }[])[0]!.m).status())!;
  }

  /** Waits until the given nodes have applied at least `index`. */
  async waitApplied(ids: number[], index: number, timeoutMs = 30_000): Promise<void> {
    const ok = await waitUntil(async () => {
      const statuses = await Promise.all(ids.map((id) => this.node(id).status()));
      return statuses.every((s) => s !== null && s.appliedIndex >= index);
    }, timeoutMs);
    if (!ok) throw new Error(`nodes ${ids.join(',')} did not apply ${index} in time`);
  }

  /** A node's Prometheus counter or gauge, summed over its labels. */
  async metric(id: number, name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.node(id).port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(name))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  }

  logs(): string {
    return this.nodes.map((n) => `--- node ${n.id} ---\n${n.output.slice(-4000)}`).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One cluster at a time across all test processes: three nodes each on a 2-core CI box are already
 * a crowd, and overlapping clusters would turn timing into noise. A MySQL named lock does it (the
 * server releases it if a test process dies).
 */
async function clusterLock(): Promise<() => Promise<void>> {
  const conn = await mysql.createConnection({ uri: MYSQL_SERVER });
  const [rows] = await conn.query("SELECT GET_LOCK('booking_cluster_integration', 600) AS ok");
  if ((rows as { ok: number }[])[0]?.ok !== 1) throw new Error('could not take the cluster test lock');
  return async () => {
    await conn.query("SELECT RELEASE_LOCK('booking_cluster_integration')").catch(() => undefined);
    await conn.end();
  };
}

/** Starts a cluster, runs `work`, then stops it and drops its databases (logs shown on failure). */
export async function withCluster<T>(
  t: ExecutionContext,
  work: (c: Cluster) => Promise<T>,
  options: { nodes?: number; env?: Record<string, string> } = {},
): Promise<T> {
  const unlock = await clusterLock();
  try {
    return await runCluster(t, work, options);
  } finally {
    await unlock();
  }
}

async function runCluster<T>(
  t: ExecutionContext,
  work: (c: Cluster) => Promise<T>,
  options: { nodes?: number; env?: Record<string, string> },
): Promise<T> {
  const size = options.nodes ?? 3;
  const tag = randomBytes(4).toString('hex');
  const ports = await freePorts(size);
  const databases = ports.map((_, k) => `booking_it_${tag}_n${k + 1}`);
  const nodes = ports.map((port, k) => {
    const id = k + 1;
    const peers = ports
      .map((p, j) => ({ id: j + 1, url: `ws://127.0.0.1:${p}` }))
      .filter((p) => p.id !== id)
      .map((p) => `${p.id}=${p.url}`)
      .join(',');
    return new ClusterNode(id, port, {
      BOOKING_NODE_ID: String(id),
      BOOKING_HOST: '127.0.0.1',
      BOOKING_PORT: String(port),
      BOOKING_PEERS: peers,
      BOOKING_MYSQL_URL: `${MYSQL_SERVER}/${databases[k]}`,
      BOOKING_SECRET: SECRET,
      BOOKING_ADMIN_TOKEN: ADMIN,
      BOOKING_HEARTBEAT_MS: String(HEARTBEAT_MS),
      BOOKING_FAILURE_TIMEOUT_MS: String(FAILURE_TIMEOUT_MS),
      BOOKING_CATALOG: 'bundled',
      BOOKING_LOG_LEVEL: 'info',
      ...options.env,
    });
  });
  const cluster = new Cluster(nodes, databases);
  for (const n of nodes) n.start();
  let failed = true;
  try {
    const result = await work(cluster);
    failed = false;
    return result;
  } finally {
    if (failed) t.log(cluster.logs());
    await cluster.stop();
    await Promise.all(databases.map((db) => dropDatabase(`${MYSQL_SERVER}/${db}`).catch(() => undefined)));
  }
}
