/**
 * No built-in secret or token: a cluster node without BOOKING_SECRET refuses to start, a lone node
 * makes its own, a node without BOOKING_ADMIN_TOKEN has no admin, and the fixed values older
 * versions fell back to open nothing, anywhere.
 */
import { readFileSync } from 'node:fs';
import test from 'ava';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ConfigError, deriveKey, KEY_LABELS, loadConfig, MIN_SECRET_BYTES } from '../../src/config.js';
import { dialerHeaders } from '../../src/rpc/peer-auth.js';
import { rpcError, TestClient } from '../helpers/rpc-client.js';
import { withNode } from '../helpers/with-node.js';
import { randomSecret, runBin, spawnNode } from './helpers.js';

/** What earlier versions (and their compose file) used when nothing was configured. */
const OLD_DEFAULTS = [
  'dev-secret-change-me',
  'dev-admin-token',
  'compose-dev-secret-change-me',
  'compose-dev-admin-token',
  'test-admin-token',
];
const PEERS = '2=ws://127.0.0.1:9,3=ws://127.0.0.1:10';

test('a node with peers and no BOOKING_SECRET exits 2 with one line naming it', async (t) => {
  const { code, stderr } = await runBin({ BOOKING_NODE_ID: '1', BOOKING_PEERS: PEERS });
  t.is(code, 2);
  const lines = stderr.trim().split('\n');
  t.is(lines.length, 1, stderr);
  t.regex(lines[0]!, /BOOKING_SECRET/);
});

test('a secret shorter than 32 bytes is refused, and the refusal does not echo it', (t) => {
  const short = 'x'.repeat(MIN_SECRET_BYTES - 1);
  for (const env of [
    { BOOKING_SECRET: short },
    { BOOKING_SECRET: short, BOOKING_PEERS: PEERS },
    { BOOKING_SECRET: randomSecret(), BOOKING_ADMIN_TOKEN: short },
  ]) {
    const error = t.throws(() => loadConfig(env), { instanceOf: ConfigError });
    t.false(error.message.includes(short));
  }
  t.notThrows(() => loadConfig({ BOOKING_SECRET: randomSecret(), BOOKING_PEERS: PEERS }));
});

test('a lone node without a secret makes a random one; without a token, admin is off', (t) => {
  const a = loadConfig({});
  const b = loadConfig({});
  t.is(a.secretSource, 'generated');
  t.true(Buffer.byteLength(a.secret) >= MIN_SECRET_BYTES);
  t.not(a.secret, b.secret);
  t.is(a.adminToken, null);
  t.is(loadConfig({ BOOKING_SECRET: a.secret }).secretSource, 'env');
});

test('keys derived for different purposes differ, and none is the secret', (t) => {
  fc.assert(
    fc.property(fc.string({ minLength: 32 }), (secret) => {
      const peer = deriveKey(secret, KEY_LABELS.peerProof);
      const ticket = deriveKey(secret, KEY_LABELS.ticketSigning);
      return peer.length === 32 && !peer.equals(ticket) && !peer.equals(Buffer.from(secret).subarray(0, 32));
    }),
  );
  t.pass();
});

test('no old default opens admin on a node without BOOKING_ADMIN_TOKEN, by login or Bearer header', async (t) => {
  const node = await spawnNode(t, { BOOKING_CATALOG: 'none' });
  const anon = await TestClient.connect(node.rpcUrl);
  t.teardown(() => anon.close());
  for (const token of [...OLD_DEFAULTS, randomSecret()]) {
    const refused = await rpcError(anon.call('auth.login', { token }));
    t.is(refused.reason, 'UNAUTHORIZED');
    const bearer = await TestClient.connect(node.rpcUrl, { token });
    const admin = await rpcError(bearer.call('admin.stepDown', {}));
    t.is(admin.reason, 'UNAUTHORIZED', `Bearer ${token}`);
    bearer.close();
  }
});

test('a wrong admin token is refused where a right one works', (t) =>
  withNode(t, async ({ connect }) => {
    const anon = await connect();
    for (const token of OLD_DEFAULTS) {
      t.is((await rpcError(anon.call('auth.login', { token }))).reason, 'UNAUTHORIZED');
    }
  }));

test('a /peer upgrade proven with an old default secret is refused before any frame', async (t) => {
  const node = await spawnNode(t, {
    BOOKING_NODE_ID: '3',
    BOOKING_PEERS: '1=ws://127.0.0.1:9,2=ws://127.0.0.1:10',
  });
  for (const secret of OLD_DEFAULTS) {
    const { headers } = dialerHeaders(deriveKey(secret, KEY_LABELS.peerProof), 1, 3, Date.now());
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${node.port}/peer`, { headers });
      ws.once('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    });
    t.is(status, 401, secret);
  }
});

test('no fixed secret or token is left in code or config', (t) => {
  const files = [
    '../../src/config.ts',
    '../../src/main.ts',
    '../../src/rpc/peer-transport.ts',
    '../../src/booking/tickets.ts',
    '../../../docker-compose.yml',
  ];
  for (const file of files) {
    const text = readFileSync(new URL(file, import.meta.url), 'utf8');
    for (const old of OLD_DEFAULTS) t.false(text.includes(old), `${file} contains ${old}`);
  }
});
