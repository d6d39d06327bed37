/**
 * Holds and idempotency keys survive a failover: a hold taken before the master dies is confirmed
 * after, and a retried idempotent booking books once.
 */
import test from 'ava';
import { bookingsOf, customer, freeSeats } from './helpers/booking.js';
import { waitUntil, withCluster } from './helpers/cluster.js';

test('a hold taken before a failover is confirmed after it; an idempotent retry across the failover books once', async (t) => {
  await withCluster(t, async (c) => {
    await c.waitForMaster(3);
    const client = await c.node(1).connect();
    const { showId, seats } = await freeSeats(client, 4);
    const hold = await client.call('seats.hold', { showId, seatIds: [seats[0]!, seats[1]!] });
    const first = await client.call('bookings.book', {
      showId,
      seatIds: [seats[2]!],
      customer: customer('idem'),
      idempotencyKey: 'across-failover',
    });
    await c.waitApplied([1, 2], first.commitIndex);

    c.node(3).kill('SIGKILL');
    await c.waitForMaster(2, [1, 2]);

    let confirmed: Awaited<ReturnType<typeof client.call<'bookings.confirm'>>> | null = null;
    t.true(
      await waitUntil(async () => {
        try {
          confirmed = await client.call('bookings.confirm', {
            holdId: hold.holdId,
            customer: customer('hold'),
          });
        } catch {
          confirmed = null;
        }
        return confirmed !== null;
      }, 20_000),
    );
    t.deepEqual([...confirmed!.seatIds].sort(), [seats[0]!, seats[1]!].sort());

    const retry = await client.call('bookings.book', {
      showId,
      seatIds: [seats[2]!],
      customer: customer('idem'),
      idempotencyKey: 'across-failover',
    });
    t.is(retry.code, first.code);
    t.is(retry.id, first.id);
    const map = await client.call('seats.map', { showId, afterCommitIndex: confirmed!.commitIndex });
    const booked = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id));
    t.deepEqual(booked.sort(), [seats[0]!, seats[1]!, seats[2]!].sort());
    t.is((await bookingsOf(c, 2, [first.code, confirmed!.code])).size, 2);
  });
});
