/**
 * Starts a real booking node in-process on a fresh database of the real MySQL server, with the
 * fixture catalog, and stops it (dropping the database) afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { pino } from 'pino';
import type { NodeConfig } from '../../src/config.js';
import { withLimits } from '../../src/limits.js';
import { type NodeOptions, type RunningNode, startNode } from '../../src/main.js';
import { dropDatabase } from '../../src/store/db.js';
import { fixtureCatalog } from './fixture-catalog.js';
import { TestClient } from './rpc-client.js';

export const MYSQL_SERVER = process.env.BOOKING_TEST_MYSQL ?? 'mysql://root@127.0.0.1:3306';
/** Random per test process: no token or secret is written down anywhere. */
export const ADMIN_TOKEN = randomBytes(32).toString('base64url');

export function testConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    nodeId: 1,
    host: '127.0.0.1',
    port: 0,
    peers: [],
    mysqlUrl: `${MYSQL_SERVER}/booking_test_${randomBytes(5).toString('hex')}`,
    secret: randomBytes(32).toString('base64url'),
    secretSource: 'env',
    adminToken: ADMIN_TOKEN,
    allowedOrigins: [],
    trustedProxies: ['127.0.0.1', '::1'],
    // Tests serve catalogs from loopback: allowed here explicitly, refused by default.
    catalogImport: { schemes: ['http', 'https'], hosts: ['*'], allowPrivate: true },
    limits: withLimits(),
    holdTtlMs: 60_000,
    catalog: 'bundled',
    heartbeatMs: 50,
    failureTimeoutMs: 300,
    snapshotEvery: 10_000,
    logLevel: 'silent',
    ...overrides,
  };
}

export interface NodeFixture {
  node: RunningNode;
  config: NodeConfig;
  rpcUrl: string;
  connect(options?: { token?: string }): Promise<TestClient>;
  /** Stops and starts the node on the same database and port. */
  restart(): Promise<void>;
}

export async function withNode<T>(
  t: ExecutionContext,
  work: (f: NodeFixture) => Promise<T>,
  overrides: Partial<NodeConfig> = {},
  options: NodeOptions = {},
): Promise<T> {
  const config = testConfig(overrides);
  const nodeOptions: NodeOptions = {
    logger: pino({ level: 'silent' }),
    bundledCatalog: () => fixtureCatalog(),
    ...options,
  };
  let node = await startNode(config, nodeOptions);
  const clients: TestClient[] = [];
  const fixture: NodeFixture = {
    get node() {
      return node;
    },
    config,
    get rpcUrl() {
      return `ws://127.0.0.1:${node.port}/rpc`;
    },
    async connect(o = {}) {
      const client = await TestClient.connect(`ws://127.0.0.1:${node.port}/rpc`, o);
      clients.push(client);
      return client;
    },
    async restart() {
      const port = node.port;
      await node.close();
      node = await startNode({ ...config, port }, nodeOptions);
    },
  };
  try {
    return await work(fixture);
  } finally {
    for (const c of clients) c.close();
    await node.close();
    await dropDatabase(config.mysqlUrl).catch((error) => t.log(`dropping database failed: ${error}`));
  }
}
