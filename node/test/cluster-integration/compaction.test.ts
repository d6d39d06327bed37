/**
 * Log compaction and snapshot install with real processes (issue 11): with BOOKING_SNAPSHOT_EVERY
 * = 500, node 1 is down while 4,000 writes (bookings and cancellations) are acknowledged through
 * nodes 2 and 3. The master's retained log stays bounded; node 1 comes back, catches up by
 * snapshot (the entries it lacks are compacted away everywhere), has every acknowledged booking
 * with its last acknowledged status, and the cluster books through it afterwards.
 */
import test from 'ava';
import type { TestClient } from '../helpers/rpc-client.js';
import { customer, futureShows, reasonOf } from './helpers/booking.js';
import { type Cluster, type ClusterNode, waitUntil, withCluster } from './helpers/cluster.js';

const EVERY = 500;
const WRITES = 4000;
const WORKERS = 8;
/** What the master may retain: a compaction keeps half of EVERY, plus what is applied meanwhile. */
const RETAINED_BOUND = 1500;

interface Acked {
  code: string;
  showId: string;
  seatId: string;
  status: 'confirmed' | 'cancelled';
  commitIndex: number;
}

async function metric(node: ClusterNode, name: string, labels = ''): Promise<number | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${node.port}/metrics`);
    const text = await res.text();
    const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'm');
    for (const line of text.split('\n')) {
      const m = re.exec(line);
      if (m && (labels === '' || m[1]!.includes(labels))) return Number(m[2]);
    }
    return null;
  } catch {
    return null;
  }
}

/** Free seats of future shows, as (show, seat) pairs, until `count` are found. */
async function seatPool(client: TestClient, count: number): Promise<{ showId: string; seatId: string }[]> {
  const future = await futureShows(client);
  const pool: { showId: string; seatId: string }[] = [];
  for (const show of future) {
    const map = await client.call('seats.map', { showId: show.id });
    for (const r of map.rows) {
      for (const s of r.seats) if (s.status === 'available') pool.push({ showId: show.id, seatId: s.id });
    }
    if (pool.length >= count) break;
  }
  return pool;
}

/** Retries a write while the cluster is briefly without a master; anything else is a failure. */
async function write<T>(
  connect: () => Promise<TestClient>,
  call: (c: TestClient) => Promise<T>,
  errors: Map<string, number>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let client: TestClient | null = null;
    try {
      client = await connect();
      return await call(client);
    } catch (error) {
      const reason = reasonOf(error);
      errors.set(reason, (errors.get(reason) ?? 0) + 1);
      if (!reason.startsWith('NO_MASTER') || attempt > 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function bookAndCancel(c: Cluster, pool: { showId: string; seatId: string }[]) {
  const acked = new Map<string, Acked>();
  const errors = new Map<string, number>();
  let writes = 0;
  let next = 0;
  const worker = async (w: number) => {
    // Writes go through node 2 (a slave: forwarded) and node 3 (the master).
    const node = c.node(w % 2 === 0 ? 2 : 3);
    let client: TestClient | null = null;
    const connect = async () => {
      if (!client || client.closeCode !== undefined) client = await node.connect();
      return client;
    };
    let seat: { showId: string; seatId: string } | undefined;
    for (let k = 0; writes < WRITES; k++) {
      seat ??= pool[next++];
      if (!seat) throw new Error('ran out of seats');
      const key = `w${w}-${k}`;
      const b = await write(
        connect,
        (cl) =>
          cl.call('bookings.book', {
            showId: seat!.showId,
            seatIds: [seat!.seatId],
            customer: customer(key),
            idempotencyKey: key,
          }),
        errors,
      );
      writes++;
      acked.set(b.code, { code: b.code, ...seat, status: 'confirmed', commitIndex: b.commitIndex });
      if (k % 2 === 0 && writes < WRITES) {
        // Every other booking is cancelled and its seat booked again by the next one.
        const cancelled = await write(
          connect,
          (cl) =>
            cl.call('bookings.cancel', { code: b.code }).catch((error: unknown) => {
              // Only this worker cancels this booking: an earlier attempt that timed out took effect.
              if (reasonOf(error) === 'ALREADY_CANCELLED') return cl.call('bookings.get', { code: b.code });
              throw error;
            }),
          errors,
        );
        writes++;
        acked.set(b.code, { ...acked.get(b.code)!, status: 'cancelled', commitIndex: cancelled.commitIndex });
      } else seat = undefined;
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return { acked: [...acked.values()], writes, errors };
}

test('a node that was down for 4,000 writes catches up by snapshot and has every acknowledged booking', async (t) => {
  t.timeout(10 * 60_000);
  await withCluster(
    t,
    async (c) => {
      await c.waitForMaster(3);
      const probe = await c.node(2).connect();
      const pool = await seatPool(probe, WRITES);
      // Two bookings in three keep their seat: about 2,700 seats are taken in the end.
      t.true(pool.length >= (WRITES * 2) / 3 + 10, `enough free seats (${pool.length})`);
      const before = (await c.node(1).status())!;
      c.node(1).kill('SIGKILL');
      await c.waitForMaster(3, [2, 3]);

      // The master's retained log, sampled while the writes run: it must stay bounded throughout.
      let maxRetained = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const r = await metric(c.node(3), 'booking_log_retained_entries');
          if (r !== null) maxRetained = Math.max(maxRetained, r);
          await new Promise((res) => setTimeout(res, 200));
        }
      })();
      const started = Date.now();
      const { acked, writes, errors } = await bookAndCancel(c, pool);
      sampling = false;
      await sampler;
      t.log(
        `${writes} writes acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s; retries ${JSON.stringify([...errors])}`,
      );
      t.true(writes >= WRITES);
      const top = Math.max(...acked.map((a) => a.commitIndex));
      t.true(top - before.commitIndex >= WRITES, 'every write is a log entry node 1 lacks');

      const retained = (await metric(c.node(3), 'booking_log_retained_entries'))!;
      maxRetained = Math.max(maxRetained, retained);
      t.log(`the master retained at most ${maxRetained} entries`);
      t.true(
        maxRetained > 0 && maxRetained <= RETAINED_BOUND,
        `master retained at most ${maxRetained} entries`,
      );
      const firstIndex = (await metric(c.node(3), 'booking_log_first_index'))!;
      t.true(
        firstIndex > before.commitIndex + 1,
        `the master compacted past node 1's log (first ${firstIndex})`,
      );
      t.true((await metric(c.node(3), 'booking_snapshot_index'))! >= firstIndex - 1);

      // Node 1 returns: the master no longer has the entries it lacks, so it sends a snapshot.
      c.node(1).start();
      await c.waitApplied([1], top, 120_000);
      const installs = await metric(c.node(1), 'booking_snapshot_installs_total', 'outcome="ok"');
      t.true((installs ?? 0) >= 1, `node 1 installed a snapshot (${installs})`);
      // The master counts its transfer once node 1's answer to the last part is back.
      t.true(
        await waitUntil(
          async () => ((await metric(c.node(3), 'booking_snapshot_sends_total', 'outcome="ok"')) ?? 0) >= 1,
          10_000,
        ),
        'the master sent a snapshot',
      );
      t.true((await metric(c.node(1), 'booking_snapshot_index'))! > before.commitIndex);
      t.true((await metric(c.node(1), 'booking_log_retained_entries'))! <= RETAINED_BOUND);
      const events = await (await c.node(1).connect()).call('cluster.events', {});
      t.true(events.some((e) => e.type === 'snapshot-installed'));

      // Every acknowledged booking, with its last acknowledged status: a sample by code...
      const n1 = await c.node(1).connect();
      const step = Math.max(1, Math.floor(acked.length / 400));
      let checked = 0;
      for (let i = 0; i < acked.length; i += step) {
        const a = acked[i]!;
        const b = await n1.call('bookings.get', { code: a.code });
        t.is(b.status, a.status, `booking ${a.code}`);
        t.deepEqual(b.seatIds, [a.seatId]);
        checked++;
      }
      t.log(`checked ${checked} of ${acked.length} bookings by code on node 1`);
      // ...and every seat, through the seat maps of node 1 (its in-memory state, reloaded).
      const expected = new Map<string, Set<string>>();
      for (const a of acked) {
        if (!expected.has(a.showId)) expected.set(a.showId, new Set());
        if (a.status === 'confirmed') expected.get(a.showId)!.add(a.seatId);
      }
      for (const [showId, seats] of expected) {
        const map = await n1.call('seats.map', { showId });
        const booked = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id));
        t.deepEqual(booked.sort(), [...seats].sort(), `seat map of ${showId} on node 1`);
        const m3 = await probe.call('seats.map', { showId });
        t.deepEqual(
          m3.rows.flatMap((r) => r.seats.map((s) => s.status)),
          map.rows.flatMap((r) => r.seats.map((s) => s.status)),
          `node 1 and node 2 agree on ${showId}`,
        );
      }

      // The cluster books through node 1 afterwards, and node 1 sees the result.
      const free = pool.slice(-5);
      let after: Awaited<ReturnType<typeof n1.call<'bookings.book'>>> | null = null;
      for (const seat of free) {
        try {
          after = await n1.call('bookings.book', {
            showId: seat.showId,
            seatIds: [seat.seatId],
            customer: customer('after'),
            idempotencyKey: 'after-snapshot',
          });
          break;
        } catch (error) {
          if (!reasonOf(error).startsWith('SEATS')) throw error;
        }
      }
      t.truthy(after, 'a booking through node 1 after the snapshot');
      const got = await n1.call('bookings.get', { code: after!.code, afterCommitIndex: after!.commitIndex });
      t.is(got.status, 'confirmed');
      await c.waitApplied([1, 2, 3], after!.commitIndex);

      // Restarted, node 1 loads its log from the installed snapshot point and the state it covers;
      // node 2 loads from its own compaction point.
      for (const id of [1, 2]) {
        c.node(id).kill('SIGKILL');
        await new Promise((r) => setTimeout(r, 200));
        c.node(id).start();
        await c.waitApplied([id], after!.commitIndex, 60_000);
        t.true((await metric(c.node(id), 'booking_log_first_index'))! > before.commitIndex + 1);
        const client = await c.node(id).connect();
        for (const a of [acked[0]!, acked.at(-1)!, ...acked.slice(0, 50)]) {
          t.is((await client.call('bookings.get', { code: a.code })).status, a.status);
        }
        t.is((await client.call('bookings.get', { code: after!.code })).status, 'confirmed');
      }
    },
    { env: { BOOKING_SNAPSHOT_EVERY: String(EVERY) } },
  );
});
