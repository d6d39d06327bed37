/**
 * Hostile clients on /rpc against real nodes: batches are charged per call, a batch past the cap
 * is one error, a client that stops reading is closed and takes its buffers with it, junk show
 * ids by the hundred thousand get bounded answers, too many sockets from one address or from a
 * foreign origin are refused at the upgrade. An honest client on the same node is measured
 * alongside: its calls keep succeeding (figures are logged, not asserted).
 */
import test from 'ava';
import fc from 'fast-check';
import WebSocket from 'ws';
import { waitUntil } from '../cluster-integration/helpers/cluster.js';
import { TestClient } from '../helpers/rpc-client.js';
import { withNode } from '../helpers/with-node.js';
import { spawnNode } from './helpers.js';

type Reply = { id: number; result?: unknown; error?: { code: number; data?: { reason?: string } } };

const batch = (method: string, n: number, from = 0, params: (i: number) => unknown = () => ({})) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: from + i, method, params: params(i) })),
  );

/** Times honest calls on their own socket while `work` runs. */
async function honestAlongside<T>(
  url: string,
  work: () => Promise<T>,
): Promise<{ result: T; ms: number[]; failed: number }> {
  const honest = await TestClient.connect(url);
  const ms: number[] = [];
  let failed = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        await honest.call('cluster.status', {});
        ms.push(performance.now() - started);
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    const result = await work();
    return { result, ms, failed };
  } finally {
    running = false;
    await loop;
    honest.close();
  }
}

const p = (ms: number[], q: number) =>
  [...ms].sort((a, b) => a - b)[Math.floor((ms.length - 1) * q)] ?? Number.NaN;

test('rpc.discover x100 in one frame costs 100 tokens; past the bucket the calls are RATE_LIMITED, one by one', (t) =>
  withNode(
    t,
    async ({ connect, rpcUrl }) => {
      const hostile = await connect();
      const { result, ms, failed } = await honestAlongside(rpcUrl, async () => {
        const first = (await hostile.raw(batch('rpc.discover', 100, 0), 10_000)) as Reply[];
        const second = (await hostile.raw(batch('rpc.discover', 100, 100), 10_000)) as Reply[];
        return { first, second };
      });
      t.is(result.first.length, 100);
      t.true(
        result.first.every((r) => r.result !== undefined),
        'the first 100 fit the bucket of 150',
      );
      const limited = result.second.filter((r) => r.error?.data?.reason === 'RATE_LIMITED');
      const answered = result.second.filter((r) => r.result !== undefined);
      t.is(result.second.length, 100);
      t.true(
        answered.length <= 55 && limited.length >= 45,
        `${answered.length} answered, ${limited.length} limited`,
      );
      t.deepEqual(
        result.second.map((r) => r.id),
        Array.from({ length: 100 }, (_, i) => 100 + i),
        'every refusal carries its call id, in order',
      );
      t.is(failed, 0, 'the honest client never failed');
      t.log(
        `honest cluster.status: ${ms.length} calls, p50 ${p(ms, 0.5).toFixed(1)} ms, max ${p(ms, 1).toFixed(1)} ms`,
      );
    },
    {},
    { rate: { burst: 150, perSecond: 1 } },
  ));

test('a batch over the cap is one -32600 error and runs nothing; junk frames are charged too', (t) =>
  withNode(
    t,
    async ({ connect }) => {
      const c = await connect();
      const over = (await c.raw(batch('rpc.discover', 101))) as { error: { code: number } };
      t.is(over.error.code, -32600);
      // Invalid elements cost a token each: a flood of junk is a flood like any other.
      const junk = (await c.raw(JSON.stringify(Array.from({ length: 30 }, () => null)))) as Reply[];
      t.is(junk.length, 30);
      t.true(junk.some((r) => r.error?.data?.reason === 'RATE_LIMITED'));
    },
    {},
    { rate: { burst: 20, perSecond: 1 } },
  ));

test('generated hostile batches always get a bounded, well-formed answer, one reply at most per call', (t) =>
  withNode(
    t,
    async ({ connect }) => {
      const c = await connect();
      const call = fc.record({
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)),
        method: fc.constantFrom(
          'rpc.discover',
          'seats.map',
          'catalog.movie',
          '__proto__',
          'peer.message',
          'x',
        ),
        params: fc.oneof(
          fc.constant({}),
          fc.record({ showId: fc.string({ maxLength: 40 }) }),
          fc.constant([]),
        ),
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.oneof(call, fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 100 }),
          async (calls) => {
            const reply = await c.raw(JSON.stringify(calls), 10_000);
            if (reply === null)
              return calls.every((x) => typeof x === 'object' && x !== null && !('id' in x));
            const replies = (Array.isArray(reply) ? reply : [reply]) as Record<string, unknown>[];
            return (
              replies.length <= calls.length &&
              replies.every((r) => r.jsonrpc === '2.0' && 'id' in r && 'result' in r !== 'error' in r) &&
              JSON.stringify(reply).length < 100 * 64 * 1024
            );
          },
        ),
        { numRuns: 60 },
      );
      t.pass();
    },
    {},
    { rate: { burst: 1_000_000, perSecond: 1_000_000 } },
  ));

test('junk show ids by the hundred thousand: each gets SHOW_NOT_FOUND, the node stays bounded and serves others', async (t) => {
  const node = await spawnNode(t, {
    BOOKING_LIMIT_RPC_RATE_BURST: '1000000',
    BOOKING_LIMIT_RPC_RATE_PER_SECOND: '1000000',
  });
  const hostile = await TestClient.connect(node.rpcUrl);
  t.teardown(() => hostile.close());
  const before = await node.metric('process_resident_memory_bytes');
  let notFound = 0;
  let other = 0;
  const { ms, failed } = await honestAlongside(node.rpcUrl, async () => {
    for (let frame = 0; frame < 1000; frame++) {
      const replies = (await hostile.raw(
        batch('seats.map', 100, frame * 100, (i) => ({ showId: `junk-${frame}-${i}-${'z'.repeat(i % 50)}` })),
        30_000,
      )) as Reply[];
      for (const r of replies) {
        if (r.error?.data?.reason === 'SHOW_NOT_FOUND') notFound++;
        else other++;
      }
    }
  });
  const after = await node.metric('process_resident_memory_bytes');
  t.is(notFound, 100_000);
  t.is(other, 0);
  t.is(failed, 0, 'the honest client never failed');
  t.log(
    `rss ${(before / 2 ** 20).toFixed(0)} -> ${(after / 2 ** 20).toFixed(0)} MiB; honest p50 ${p(ms, 0.5).toFixed(1)} ms max ${p(ms, 1).toFixed(1)} ms`,
  );
  // A lock or cache entry per junk id would be 100,000 entries that never go away.
  t.true(after - before < 128 * 2 ** 20, `rss grew by ${((after - before) / 2 ** 20).toFixed(0)} MiB`);
});

test('a client that sends and stops reading is closed, its buffers go, and an honest client is unaffected', async (t) => {
  const node = await spawnNode(t, {
    BOOKING_CATALOG: 'none',
    BOOKING_LIMIT_RPC_PAUSE_BUFFERED_BYTES: String(256 * 1024),
    BOOKING_LIMIT_RPC_MAX_BUFFERED_BYTES: String(2 * 1024 * 1024),
    BOOKING_LIMIT_RPC_SLOW_READER_MS: '2000',
  });
  const external = () => node.metric('nodejs_external_memory_bytes');
  const before = await external();
  const { result, failed, ms } = await honestAlongside(node.rpcUrl, async () => {
    const hostile = new WebSocket(node.rpcUrl);
    await new Promise((resolve, reject) => {
      hostile.once('open', resolve);
      hostile.once('error', reject);
    });
    t.is(await node.metric('booking_ws_connections'), 2);
    hostile.pause(); // reads nothing from now on
    const frame = batch('rpc.discover', 100);
    // Unsent replies live in Buffers: external memory. Sampled while the attack runs.
    let peak = before;
    const closed = await waitUntil(async () => {
      if (hostile.readyState === WebSocket.OPEN) hostile.send(frame);
      peak = Math.max(peak, await external());
      return (await node.metric('booking_ws_connections')) === 1;
    }, 30_000);
    hostile.terminate();
    return { closed, peak };
  });
  t.true(result.closed, 'the node closed the socket that did not read');
  t.is(failed, 0);
  t.log(
    `external memory ${(before / 2 ** 20).toFixed(1)} -> peak ${(result.peak / 2 ** 20).toFixed(1)} MiB; honest p50 ${p(ms, 0.5).toFixed(1)} ms max ${p(ms, 1).toFixed(1)} ms`,
  );
  // Each frame's answer is 2.3 MB: kept for a client that never reads, it would grow without end.
  t.true(result.peak - before < 48 * 2 ** 20, `grew by ${((result.peak - before) / 2 ** 20).toFixed(0)} MiB`);
});

test('sockets per address are capped at the upgrade (429); X-Real-IP counts only from a trusted proxy', async (t) => {
  const node = await spawnNode(t, {
    BOOKING_CATALOG: 'none',
    BOOKING_LIMIT_RPC_MAX_CONNECTIONS_PER_ADDRESS: '3',
  });
  const open = (headers: Record<string, string> = {}) =>
    new Promise<WebSocket | number>((resolve, reject) => {
      const ws = new WebSocket(node.rpcUrl, { headers });
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    });
  const sockets: WebSocket[] = [];
  t.teardown(() => {
    for (const s of sockets) s.terminate();
  });
  // The test connects from 127.0.0.1, which is a trusted proxy: X-Real-IP names the client.
  for (const ip of ['203.0.113.7', '203.0.113.7', '203.0.113.7', '203.0.113.8']) {
    const ws = await open({ 'x-real-ip': ip });
    if (typeof ws === 'number') return t.fail(`refused ${ip} with ${ws}`);
    sockets.push(ws);
  }
  t.is(await open({ 'x-real-ip': '203.0.113.7' }), 429, 'a fourth socket from one client address');
  const other = await open({ 'x-real-ip': '203.0.113.9' });
  t.not(typeof other, 'number', 'another address still gets in');
  if (typeof other !== 'number') sockets.push(other);
  sockets.shift()!.terminate();
  t.true(
    await waitUntil(async () => {
      const again = await open({ 'x-real-ip': '203.0.113.7' });
      if (typeof again === 'number') return false;
      sockets.push(again);
      return true;
    }, 5_000),
    'a closed socket frees its place',
  );
});

test('a browser page from a foreign origin cannot open /rpc; its own host and non-browsers can', async (t) => {
  const node = await spawnNode(t, { BOOKING_CATALOG: 'none' });
  const status = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(node.rpcUrl, { headers });
      ws.once('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    });
  t.is(await status({ origin: 'https://evil.example' }), 403);
  t.is(await status({ origin: 'null' }), 403);
  t.is(await status({ origin: `http://127.0.0.1:${node.port}` }), 101);
  t.is(await status({}), 101);
});
