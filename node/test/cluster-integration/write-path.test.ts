/**
 * The write path under load and under a bad entry, with real processes:
 * - a committed entry that conflicts with the state at its index (a second booking of a sold seat,
 *   the shape of the entry that once wedged every node) is rejected the same way on every node,
 *   and the cluster goes on booking;
 * - load with no fault causes no election.
 */
import test from 'ava';
import mysql from 'mysql2/promise';
import { MYSQL_SERVER } from '../helpers/with-node.js';
import { customer, freeSeats, futureShows } from './helpers/booking.js';
import { waitUntil, withCluster } from './helpers/cluster.js';

test('a committed entry that double-books a seat is rejected on every node, and the cluster books on', async (t) => {
  await withCluster(t, async (c) => {
    await c.waitForMaster();
    const client = await c.node(1).connect();
    const { showId, seats } = await freeSeats(client, 3);
    const first = await client.call('bookings.book', {
      showId,
      seatIds: [seats[0]!],
      customer: customer('first'),
      idempotencyKey: 'write-path-first',
    });
    await c.waitApplied([1, 2, 3], first.commitIndex);
    client.close();
    await c.stop();

    // The entry a blind decision would have made: the same seat again, with a key of its own,
    // appended to every node's log as committed (what a view change hands a new master).
    for (const db of c.databases) {
      const conn = await mysql.createConnection({ uri: `${MYSQL_SERVER}/${db}` });
      try {
        const [rows] = await conn.query(
          "SELECT idx, epoch, lamport, payload FROM log_entries WHERE kind = 'booking.create' ORDER BY idx DESC LIMIT 1",
        );
        const original = (rows as { idx: number; epoch: number; lamport: number; payload: string }[])[0]!;
        const [last] = await conn.query('SELECT MAX(idx) AS idx, MAX(lamport) AS lamport FROM log_entries');
        const top = (last as { idx: number; lamport: number }[])[0]!;
        const command = JSON.parse(original.payload) as { booking: Record<string, unknown> };
        command.booking = {
          ...command.booking,
          id: 'b_conflicting_entry_of_the_test',
          code: 'CONF11CT1NGENTRY',
          idempotencyKey: 'write-path-conflict',
        };
        const idx = Number(top.idx) + 1;
        await conn.query(
          "INSERT INTO log_entries (idx, epoch, lamport, kind, payload) VALUES (?, ?, ?, 'booking.create', ?)",
          [idx, original.epoch, Number(top.lamport) + 1, JSON.stringify(command)],
        );
        await conn.query("UPDATE meta SET v = ? WHERE k = 'commit_index'", [String(idx)]);
      } finally {
        await conn.end();
      }
    }

    for (const n of c.nodes) n.start();
    await c.waitForMaster(undefined, undefined, 60_000);
    let last = '';
    t.true(
      await waitUntil(async () => {
        const ss = await c.statuses();
        last = JSON.stringify(ss.map((s) => [s.nodeId, s.commitIndex, s.appliedIndex, s.rejectedEntries]));
        return ss.length === 3 && ss.every((s) => s.appliedIndex >= s.commitIndex && s.rejectedEntries === 1);
      }, 60_000),
      `every node applied past the bad entry and rejected it: ${last}`,
    );
    for (const n of c.nodes) {
      t.is(await c.metric(n.id, 'booking_apply_rejections_total'), 1, `node ${n.id} counted one rejection`);
    }
    const again = await c.node(2).connect();
    const map = await again.call('seats.map', { showId });
    const status = new Map(map.rows.flatMap((r) => r.seats.map((s) => [s.id, s.status] as const)));
    t.is(status.get(seats[0]!), 'booked', 'the first booking keeps its seat');
    // The cluster still books: apply did not stop.
    let next = null;
    t.true(
      await waitUntil(async () => {
        next = await again
          .call('bookings.book', { showId, seatIds: [seats[1]!], customer: customer('next') })
          .catch(() => null);
        return next !== null;
      }, 30_000),
    );
    const found = await again.call('bookings.get', { code: first.code });
    t.is(found.status, 'confirmed');
  });
});

test('twenty seconds of booking load with no fault causes no election', async (t) => {
  await withCluster(t, async (c) => {
    const before = await c.waitForMaster();
    const electionsBefore = (
      await Promise.all(c.nodes.map((n) => c.metric(n.id, 'booking_elections_started_total')))
    ).reduce((a, b) => a + b, 0);
    const clients = await Promise.all(c.nodes.flatMap((n) => [n.connect(), n.connect(), n.connect()]));
    // Every node has the catalog before the clock starts: a slave may apply the import after the election.
    const future = (await Promise.all(clients.filter((_, i) => i % 3 === 0).map(futureShows)))[0]!;
    const deadline = Date.now() + 20_000;
    let booked = 0;
    let refused = 0;
    await Promise.all(
      clients.map(async (client, k) => {
        for (let round = 0; Date.now() < deadline; round++) {
          const show = future[(k * 7 + round) % future.length]!;
          const map = await client.call('seats.map', { showId: show.id });
          const free = map.rows.flatMap((r) =>
            r.seats.filter((s) => s.status === 'available').map((s) => s.id),
          );
          if (free.length === 0) continue;
          try {
            const b = await client.call('bookings.book', {
              showId: show.id,
              seatIds: [free[(k * 13 + round) % free.length]!],
              customer: customer(`load-${k}`),
            });
            booked++;
            if (round % 2 === 0) await client.call('bookings.cancel', { code: b.code });
          } catch {
            refused++; // a seat another client took first
          }
        }
      }),
    );
    for (const client of clients) client.close();
    const after = await c.waitForMaster();
    const electionsAfter = (
      await Promise.all(c.nodes.map((n) => c.metric(n.id, 'booking_elections_started_total')))
    ).reduce((a, b) => a + b, 0);
    t.log(`${booked} bookings, ${refused} refused, epoch ${before.epoch} → ${after.epoch}`);
    t.true(booked > 100, `only ${booked} bookings`);
    t.is(after.epoch, before.epoch, 'no election moved the epoch');
    t.is(after.nodeId, before.nodeId);
    t.is(electionsAfter - electionsBefore, 0, 'no node even started an election');
  });
});
