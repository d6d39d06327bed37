/**
 * Readiness: the pure decision for every state, then the states of real nodes: one node of three
 * alone (no quorum), a node whose catalog is still loading, a revived node catching up, ready.
 */
import test from 'ava';
import { pino } from 'pino';
import type { CatalogSnapshot } from '../src/catalog/model.js';
import { freePort } from '../src/free-ports.js';
import { READY_MAX_LAG, type ReadinessSnapshot, readiness } from '../src/health.js';
import { startNode } from '../src/main.js';
import type { ClusterStatus } from '../src/protocol/model.js';
import { dropDatabase } from '../src/store/db.js';
import { freeSeats } from './cluster-integration/helpers/booking.js';
import { waitUntil, withCluster } from './cluster-integration/helpers/cluster.js';
import { fixtureCatalog } from './helpers/fixture-catalog.js';
import { testConfig } from './helpers/with-node.js';

// ---- the decision ---------------------------------------------------------------------------

const peer = (
  nodeId: number,
  alive: boolean,
  role: 'master' | 'slave' | null = 'slave',
  commitIndex = 10,
) => ({
  nodeId,
  url: `ws://127.0.0.1:${7100 + nodeId}`,
  alive,
  role,
  commitIndex: alive ? commitIndex : null,
});

function slaveOf3(overrides: Partial<ClusterStatus> = {}): ClusterStatus {
  return {
    nodeId: 1,
    role: 'slave',
    masterId: 3,
    epoch: 2,
    lamport: 40,
    commitIndex: 10,
    appliedIndex: 10,
    peers: [peer(2, true), peer(3, true, 'master')],
    ...overrides,
  };
}

const snap = (status: ClusterStatus, more: Partial<ReadinessSnapshot> = {}): ReadinessSnapshot => ({
  status,
  serving: status.role === 'master',
  catalog: 'loaded',
  stopping: false,
  ...more,
});

const reasonOf = (s: ReadinessSnapshot) => {
  const r = readiness(s);
  return r.ready ? 'ready' : r.reason;
};

test('a caught-up slave of a live master with the catalog is ready', (t) => {
  t.deepEqual(readiness(snap(slaveOf3())), { ready: true });
  t.is(
    reasonOf(snap(slaveOf3({ peers: [peer(2, false), peer(3, true, 'master')] }))),
    'ready',
    '2 of 3 is a majority',
  );
});

test('a lone node is ready as its own master', (t) => {
  const solo: ClusterStatus = { ...slaveOf3(), role: 'master', masterId: 1, peers: [] };
  t.is(reasonOf(snap(solo)), 'ready');
});

test('without a majority in reach: no-quorum, whatever the role says', (t) => {
  const alone = slaveOf3({ role: 'candidate', masterId: null, peers: [peer(2, false), peer(3, false)] });
  const verdict = readiness(snap(alone));
  t.like(verdict, { ready: false, reason: 'no-quorum' });
  t.regex((verdict as { detail: string }).detail, /reaches 1 of 3 nodes; a majority is 2/);
  const masterAlone = slaveOf3({ role: 'master', masterId: 1, peers: [peer(2, false), peer(3, false)] });
  t.is(reasonOf(snap(masterAlone)), 'no-quorum');
});

test('an election, a silent master or an unfinished view change: no-master', (t) => {
  t.is(reasonOf(snap(slaveOf3({ role: 'candidate', masterId: null }))), 'no-master');
  t.is(reasonOf(snap(slaveOf3({ masterId: null }))), 'no-master');
  const silent = slaveOf3({ peers: [peer(2, true), peer(3, false)] });
  t.is(reasonOf(snap(silent)), 'no-master');
  const takingOver = slaveOf3({ role: 'master', masterId: 1 });
  t.is(reasonOf(snap(takingOver, { serving: false })), 'no-master');
  t.is(reasonOf(snap(takingOver, { serving: true })), 'ready');
});

test('applied far behind what the master committed: catching-up; a small lag is fine', (t) => {
  const master = (commitIndex: number) => [peer(2, true), peer(3, true, 'master', commitIndex)];
  t.is(reasonOf(snap(slaveOf3({ appliedIndex: 10, peers: master(10 + READY_MAX_LAG) }))), 'ready');
  t.is(reasonOf(snap(slaveOf3({ appliedIndex: 10, peers: master(11 + READY_MAX_LAG) }))), 'catching-up');
  // Its own commit index counts too: committed entries not yet applied here.
  t.is(reasonOf(snap(slaveOf3({ appliedIndex: 0, commitIndex: 500 }))), 'catching-up');
  const master1 = slaveOf3({ role: 'master', masterId: 1, appliedIndex: 0, commitIndex: 500 });
  t.is(reasonOf(snap(master1)), 'catching-up');
});

test('catalog: loading, unreadable, or not expected with BOOKING_CATALOG=none', (t) => {
  t.is(reasonOf(snap(slaveOf3(), { catalog: 'loading' })), 'catalog-loading');
  t.is(reasonOf(snap(slaveOf3(), { catalog: 'unreadable' })), 'database-unavailable');
  t.is(reasonOf(snap(slaveOf3(), { catalog: 'not-expected' })), 'ready');
});

test('a node whose applied entries cannot be written (its database is down) is not ready', (t) => {
  t.is(
    reasonOf(snap(slaveOf3({ applyError: 'connect ECONNREFUSED 127.0.0.1:3306' }))),
    'database-unavailable',
  );
  t.is(reasonOf(snap(slaveOf3({ applyError: null }))), 'ready');
});

test('a stopping node is not ready, first of all', (t) => {
  t.is(reasonOf(snap(slaveOf3(), { stopping: true })), 'shutting-down');
  t.is(reasonOf(snap(slaveOf3({ peers: [] }), { stopping: true, catalog: 'loading' })), 'shutting-down');
});

// ---- real nodes -------------------------------------------------------------------------------

interface Probe {
  status: number;
  body: { ready?: boolean; reason?: string; role?: string; masterId?: number | null };
}

async function probe(port: number, path = '/readyz'): Promise<Probe | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, body: (await res.json()) as Probe['body'] };
  } catch {
    return null; // not listening (yet, or any more)
  }
}

/** Polls /readyz until `until` holds; returns every distinct reason seen on the way, in order. */
async function watch(port: number, until: (p: Probe) => boolean, timeoutMs: number, everyMs = 10) {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await probe(port);
    const label = p === null ? 'down' : p.status === 200 ? 'ready' : (p.body.reason ?? `http ${p.status}`);
    if (seen.at(-1) !== label) seen.push(label);
    if (p && until(p)) return seen;
    if (Date.now() > deadline) throw new Error(`readiness never got there; seen ${seen.join(' → ')}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

test('a lone node answers 503 catalog-loading until its catalog is in, then 200; /livez is 200 throughout', async (t) => {
  const port = await freePort();
  const config = testConfig({ port });
  let release!: (c: CatalogSnapshot) => void;
  const catalog = new Promise<CatalogSnapshot>((resolve) => {
    release = resolve;
  });
  const starting = startNode(config, { logger: pino({ level: 'silent' }), bundledCatalog: () => catalog });
  try {
    const seen = await watch(port, (p) => p.body.reason === 'catalog-loading', 30_000);
    t.deepEqual(
      seen.filter((s) => s !== 'down'),
      ['catalog-loading'],
    );
    t.is((await probe(port, '/livez'))?.status, 200);
    const healthz = await probe(port, '/healthz');
    t.is(healthz?.status, 200, '/healthz stays as it was: 200 whatever the state');
    t.like(healthz?.body, { role: 'master' });
    release(fixtureCatalog());
    const node = await starting;
    t.like((await probe(port))?.body, { ready: true, role: 'master', masterId: 1 });
    await node.close();
  } finally {
    release(fixtureCatalog());
    await (await starting.catch(() => null))?.close();
    await dropDatabase(config.mysqlUrl).catch(() => undefined);
  }
});

test('one node of three alone: 503 no-quorum; with a second node both turn ready; a revived lower node catches up first', async (t) => {
  await withCluster(t, async (c) => {
    // Only node 1: the others are killed before they could listen (start-up takes far longer).
    await Promise.all([c.node(2).stop(), c.node(3).stop()]);
    const alone = await watch(c.node(1).port, (p) => p.body.reason === 'no-quorum', 60_000);
    t.log(`node 1 alone: ${alone.join(' → ')}`);
    const again = await probe(c.node(1).port);
    t.is(again?.status, 503);
    t.like(again?.body, { ready: false, reason: 'no-quorum', masterId: null });

    // Node 3 joins and becomes master; node 2, lower than the master, is revived later: it follows
    // (bully: it cannot take over), so it must catch up as a slave, which is what we want to see.
    c.node(3).start();
    const pair = await watch(c.node(1).port, (p) => p.status === 200, 90_000, 50);
    t.log(`node 1 with node 3: ${pair.join(' → ')}`);
    t.true(await waitUntil(async () => (await probe(c.node(3).port))?.status === 200, 30_000));
    t.like((await probe(c.node(1).port))?.body, { ready: true, masterId: 3 });

    // Entries for node 3 to catch up on: hold and release one seat, two entries a round.
    const client = await c.node(1).connect();
    const { showId, seats } = await freeSeats(client, 1);
    // Far more than the lag bound, so that catching up outlasts the probes (50 ms apart) on a fast box.
    const rounds = READY_MAX_LAG * 8;
    for (let k = 0; k < rounds; k++) {
      const hold = await client.call('seats.hold', { showId, seatIds: seats });
      await client.call('seats.release', { holdId: hold.holdId });
    }
    // Applying one entry per transaction makes its catching up last long enough to be seen.
    c.node(2).env.BOOKING_LIMIT_MAX_BATCH_ENTRIES = '1';
    c.node(2).start();
    const revived = await watch(c.node(2).port, (p) => p.status === 200, 90_000);
    t.log(`node 2 revived behind ${rounds * 2} entries: ${revived.join(' → ')}`);
    t.true(revived.includes('catching-up'), 'the revived node said it was catching up');
    t.is(revived.at(-1), 'ready');
    t.false(revived.slice(revived.indexOf('catching-up')).includes('down'));
  });
});
