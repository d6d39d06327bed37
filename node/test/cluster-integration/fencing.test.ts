/**
 * A paused master is replaced and fenced when it wakes; with two of three nodes down there is no
 * master (writes get NO_MASTER, reads still work), and one node back makes writes flow again.
 */
import test from 'ava';
import { RpcError } from '../helpers/rpc-client.js';
import { bookingsOf, customer, freeSeats, reasonOf } from './helpers/booking.js';
import { FAILURE_TIMEOUT_MS, waitUntil, withCluster } from './helpers/cluster.js';

test('SIGSTOP the master: a new one is elected; SIGCONT: the old one is fenced, and nothing it took alone was acknowledged', async (t) => {
  await withCluster(t, async (c) => {
    const first = await c.waitForMaster(3);
    const toOld = await c.node(3).connect();
    const { showId, seats } = await freeSeats(toOld, 4);
    c.node(3).kill('SIGSTOP');
    // Sent to the frozen master: it sits in its socket buffer until it wakes.
    const stale = toOld
      .call('bookings.book', { showId, seatIds: [seats[0]!], customer: customer('stale') })
      .then(
        (b) => ({ ok: true as const, b }),
        (e: unknown) => ({ ok: false as const, reason: reasonOf(e) }),
      );
    const second = await c.waitForMaster(2, [1, 2]);
    t.true(second.epoch > first.epoch);
    const viaNew = await (await c.node(1).connect()).call('bookings.book', {
      showId,
      seatIds: [seats[1]!],
      customer: customer('new'),
    });
    t.is(viaNew.epoch, second.epoch);

    c.node(3).kill('SIGCONT');
    const outcome = await stale;
    if (outcome.ok) {
      // Only acceptable if it went through the new master's majority (forwarded after the fence).
      t.true(outcome.b.epoch >= second.epoch, `acknowledged in stale epoch ${outcome.b.epoch}`);
      await c.waitApplied([1, 2], outcome.b.commitIndex);
      t.is((await bookingsOf(c, 1, [outcome.b.code])).size, 1);
    } else {
      t.true(['NO_MASTER', 'SEATS_UNAVAILABLE'].includes(outcome.reason), outcome.reason);
    }
    // The old master stepped down on waking, then (highest id, caught up) takes over in a newer epoch.
    const third = await c.waitForMaster(3);
    t.true(third.epoch > second.epoch);
    const events = await (await c.node(3).connect()).call('cluster.events', {});
    t.true(events.some((e) => e.type === 'stepped-down'));
    await c.waitApplied([1, 2, 3], viaNew.commitIndex);
    for (const id of [1, 2, 3]) t.is((await bookingsOf(c, id, [viaNew.code])).size, 1);
  });
});

test('two of three down: writes get NO_MASTER, reads are served; one back: writes resume', async (t) => {
  await withCluster(t, async (c) => {
    await c.waitForMaster(3);
    const client = await c.node(1).connect();
    const { showId, seats } = await freeSeats(client, 3);
    c.node(3).kill('SIGKILL');
    c.node(2).kill('SIGKILL');
    // Give node 1 time to notice; then a write must fail with NO_MASTER, not hang or succeed.
    await new Promise((r) => setTimeout(r, FAILURE_TIMEOUT_MS));
    const error = await client
      .call('bookings.book', { showId, seatIds: [seats[0]!], customer: customer(1) })
      .then(
        () => null,
        (e: unknown) => e,
      );
    t.true(error instanceof RpcError && error.reason === 'NO_MASTER', reasonOf(error));
    const map = await client.call('seats.map', { showId });
    t.is(map.showId, showId);
    t.true((await client.call('catalog.movies', {})).length > 0);
    const status = await client.call('cluster.status', {});
    t.not(status.role, 'master');

    c.node(2).start();
    await c.waitForMaster(2, [1, 2]);
    let booked = false;
    t.true(
      await waitUntil(async () => {
        try {
          await client.call('bookings.book', {
            showId,
            seatIds: [seats[1]!],
            customer: customer(2),
            idempotencyKey: 'resume-1',
          });
          booked = true;
        } catch (e) {
          if (reasonOf(e) !== 'NO_MASTER') throw e;
        }
        return booked;
      }, 20_000),
    );
  });
});
