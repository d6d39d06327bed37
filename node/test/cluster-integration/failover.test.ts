/**
 * kill -9 the master while clients book through the other nodes: node 2 takes over, every
 * acknowledged booking is on every live node, no seat is sold twice. Then node 3 comes back,
 * catches up and takes over again (classic bully), and still nothing is lost.
 */
import test from 'ava';
import type { TestClient } from '../helpers/rpc-client.js';
import { bookingsOf, customer, freeSeats, reasonOf } from './helpers/booking.js';
import { waitUntil, withCluster } from './helpers/cluster.js';

interface Acked {
  code: string;
  seatIds: string[];
  commitIndex: number;
  epoch: number;
}

test('kill -9 the master under load: node 2 takes over with every acknowledged booking; node 3 returns and takes over', async (t) => {
  await withCluster(t, async (c) => {
    const first = await c.waitForMaster(3);
    const probe = await c.node(1).connect();
    const { showId, seats } = await freeSeats(probe, 60);
    t.is(seats.length, 60);

    const acked: Acked[] = [];
    const errors = new Map<string, number>();
    let stop = false;
    let attempt = 0;
    const worker = async (nodeId: number, seed: number) => {
      let client: TestClient | null = null;
      let k = seed;
      while (!stop) {
        try {
          client ??= await c.node(nodeId).connect();
          // Overlapping picks on purpose: workers contend for the same seats.
          k = (k * 1103515245 + 12345) % 2 ** 31;
          const pick = [seats[k % seats.length]!, seats[(k >> 8) % seats.length]!].filter(
            (s, i, a) => a.indexOf(s) === i,
          );
          const b = await client.call('bookings.book', {
            showId,
            seatIds: pick,
            customer: customer(seed),
            idempotencyKey: `w${seed}-${attempt++}`,
          });
          acked.push({ code: b.code, seatIds: b.seatIds, commitIndex: b.commitIndex, epoch: b.epoch });
        } catch (error) {
          const reason = reasonOf(error);
          errors.set(reason, (errors.get(reason) ?? 0) + 1);
          if (!reason.startsWith('SEATS') && !reason.startsWith('NO_MASTER')) {
            client?.close();
            client = null;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      }
      client?.close();
    };
    const workers = [worker(1, 1), worker(2, 2), worker(1, 3), worker(2, 4)];

    t.true(await waitUntil(() => acked.length >= 5, 30_000), 'bookings flow before the kill');
    const beforeKill = acked.length;
    c.node(3).kill('SIGKILL');
    const second = await c.waitForMaster(2, [1, 2]);
    t.true(second.epoch > first.epoch);
    t.true(
      await waitUntil(() => acked.filter((a) => a.epoch === second.epoch).length >= 3, 30_000),
      'bookings flow again after the failover',
    );
    stop = true;
    await Promise.all(workers);
    t.true(acked.length > beforeKill);
    t.log(`acknowledged ${acked.length} bookings; errors ${JSON.stringify([...errors])}`);

    // No seat sold twice among acknowledged bookings.
    const owner = new Map<string, string>();
    for (const a of acked) {
      for (const s of a.seatIds) {
        t.falsy(owner.get(s), `seat ${s} sold to ${owner.get(s)} and ${a.code}`);
        owner.set(s, a.code);
      }
    }
    // Every acknowledged booking is on every live node, and the seat maps agree.
    const top = Math.max(...acked.map((a) => a.commitIndex));
    await c.waitApplied([1, 2], top);
    const codes = acked.map((a) => a.code);
    for (const id of [1, 2]) {
      const found = await bookingsOf(c, id, codes);
      t.is(found.size, acked.length, `node ${id} has every acknowledged booking`);
    }
    const map = async (id: number) => {
      const client = await c.node(id).connect();
      const m = await client.call('seats.map', { showId, afterCommitIndex: top });
      client.close();
      return m.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id)).sort();
    };
    const booked1 = await map(1);
    t.deepEqual(await map(2), booked1);
    for (const s of owner.keys()) t.true(booked1.includes(s));

    // Node 3 returns: it catches up from node 2, then takes over (it has the highest id).
    c.node(3).start();
    const third = await c.waitForMaster(3);
    t.true(third.epoch > second.epoch);
    await c.waitApplied([1, 2, 3], top);
    const found3 = await bookingsOf(c, 3, codes);
    t.is(found3.size, acked.length, 'node 3 has every acknowledged booking');
    const events = await (await c.node(3).connect()).call('cluster.events', {});
    t.true(events.some((e) => e.type === 'catch-up-started' || e.type === 'became-slave'));
    t.true(events.some((e) => e.type === 'became-master' && e.lamport > 0));
  });
});
