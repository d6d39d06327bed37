/**
 * /peer before the proof: the proof is in the upgrade headers, so a stranger is refused with 401
 * before the socket is a WebSocket and nothing it sends is read. Forged, tampered, stale and
 * replayed upgrades are refused; a flood of them leaves the node serving its clients.
 */
import test from 'ava';
import fc from 'fast-check';
import WebSocket from 'ws';
import { deriveKey, KEY_LABELS } from '../../src/config.js';
import { checkDialer, dialerHeaders, HEADER, ReplayGuard } from '../../src/rpc/peer-auth.js';
import { TestClient } from '../helpers/rpc-client.js';
import { randomSecret, spawnNode } from './helpers.js';

const SKEW = 30_000;

test('checkDialer: a valid upgrade passes once; any tampered header, another pair, a stale clock or a replay fails', (t) => {
  const key = deriveKey(randomSecret(), KEY_LABELS.peerProof);
  const peers = new Set([1, 2]);
  const now = 1_800_000_000_000;
  const { headers, nonce } = dialerHeaders(key, 1, 3, now);
  const guard = new ReplayGuard(100, 2 * SKEW);
  t.deepEqual(checkDialer(key, headers, 3, peers, now, SKEW, guard), { ok: true, from: 1, nonce });
  t.like(checkDialer(key, headers, 3, peers, now, SKEW, guard), { ok: false, why: 'replayed nonce' });
  t.like(checkDialer(key, dialerHeaders(key, 1, 3, now - SKEW - 1).headers, 3, peers, now, SKEW, guard), {
    ok: false,
  });
  t.like(checkDialer(key, dialerHeaders(key, 1, 2, now).headers, 3, peers, now, SKEW, guard), { ok: false });
  t.like(checkDialer(key, dialerHeaders(key, 9, 3, now).headers, 3, peers, now, SKEW, guard), { ok: false });
  const other = deriveKey(randomSecret(), KEY_LABELS.peerProof);
  t.like(checkDialer(key, dialerHeaders(other, 1, 3, now).headers, 3, peers, now, SKEW, guard), {
    ok: false,
  });
  fc.assert(
    fc.property(
      fc.constantFrom(HEADER.id, HEADER.ts, HEADER.nonce, HEADER.proof),
      fc.nat(),
      fc.string({ minLength: 1, maxLength: 2 }),
      (name, at, junk) => {
        const fresh = dialerHeaders(key, 1, 3, now).headers;
        const value = fresh[name]!;
        const i = at % value.length;
        const tampered = value.slice(0, i) + junk + value.slice(i + 1);
        if (tampered === value) return true;
        return !checkDialer(
          key,
          { ...fresh, [name]: tampered },
          3,
          peers,
          now,
          SKEW,
          new ReplayGuard(10, SKEW),
        ).ok;
      },
    ),
  );
});

test('ReplayGuard is bounded: when full it refuses, and expired nonces make room', (t) => {
  const guard = new ReplayGuard(3, 1000);
  t.is(guard.admit('a', 0), 'fresh');
  t.is(guard.admit('b', 0), 'fresh');
  t.is(guard.admit('c', 0), 'fresh');
  t.is(guard.admit('d', 10), 'full');
  t.is(guard.admit('a', 10), 'replayed');
  t.is(guard.admit('d', 1001), 'fresh');
  t.is(guard.size, 1);
});

function upgrade(port: number, headers: Record<string, string>): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peer`, { headers });
    ws.once('upgrade', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

test('a node refuses forged, stale and replayed /peer upgrades with 401 and accepts a valid one once', async (t) => {
  const secret = randomSecret();
  const node = await spawnNode(t, {
    BOOKING_NODE_ID: '3',
    BOOKING_SECRET: secret,
    BOOKING_PEERS: '1=ws://127.0.0.1:9,2=ws://127.0.0.1:10',
  });
  const key = deriveKey(secret, KEY_LABELS.peerProof);
  t.is((await upgrade(node.port, {})).status, 401, 'no headers');
  t.is(
    (
      await upgrade(
        node.port,
        dialerHeaders(deriveKey(randomSecret(), KEY_LABELS.peerProof), 1, 3, Date.now()).headers,
      )
    ).status,
    401,
  );
  t.is(
    (await upgrade(node.port, dialerHeaders(key, 1, 3, Date.now() - 120_000).headers)).status,
    401,
    'stale',
  );
  t.is((await upgrade(node.port, dialerHeaders(key, 7, 3, Date.now()).headers)).status, 401, 'unknown node');
  // The ticket key is not the peer key: a key derived for another purpose proves nothing here.
  t.is(
    (
      await upgrade(
        node.port,
        dialerHeaders(deriveKey(secret, KEY_LABELS.ticketSigning), 1, 3, Date.now()).headers,
      )
    ).status,
    401,
  );
  const valid = dialerHeaders(key, 1, 3, Date.now()).headers;
  const first = await upgrade(node.port, valid);
  t.is(first.status, 101);
  first.ws?.terminate();
  t.is((await upgrade(node.port, valid)).status, 401, 'the same upgrade replayed');
});

test('a flood of pre-auth /peer upgrades gets 401s, no socket, and an honest client keeps working', async (t) => {
  const node = await spawnNode(t, {
    BOOKING_NODE_ID: '3',
    BOOKING_PEERS: '1=ws://127.0.0.1:9,2=ws://127.0.0.1:10',
  });
  const honest = await TestClient.connect(node.rpcUrl);
  t.teardown(() => honest.close());
  const junkKey = deriveKey(randomSecret(), KEY_LABELS.peerProof);
  const statuses: number[] = [];
  let honestOk = 0;
  for (let round = 0; round < 10; round++) {
    const attempts = Array.from({ length: 50 }, (_, i) =>
      upgrade(node.port, i % 2 ? dialerHeaders(junkKey, 1, 3, Date.now()).headers : { [HEADER.id]: '1' }),
    );
    const [results] = await Promise.all([
      Promise.all(attempts),
      honest.call('cluster.status', {}).then(() => honestOk++),
    ]);
    statuses.push(...results.map((r) => r.status));
    for (const r of results) r.ws?.terminate();
  }
  t.is(statuses.length, 500);
  t.true(statuses.every((s) => s === 401));
  t.is(honestOk, 10);
  t.truthy(await honest.call('cluster.status', {}));
});
