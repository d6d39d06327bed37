import test from 'ava';
import type { Booking } from '../src/protocol/model.js';
import { RpcError, rpcError } from './helpers/rpc-client.js';
import { withNode } from './helpers/with-node.js';

const customer = (n: number) => ({ name: `Client ${n}`, email: `c${n}@example.org` });

test('100 concurrent clients racing for the same 20 seats: each seat sold once, losers told which seats were taken', (t) =>
  withNode(t, async ({ connect }) => {
    const seats = Array.from({ length: 20 }, (_, i) => `${'AB'[Math.floor(i / 10)]}${(i % 10) + 1}`);
    const clients = await Promise.all(Array.from({ length: 100 }, () => connect()));
    // Each client wants 2 adjacent seats picked from the 20: heavy overlap, many conflicts.
    const wants = clients.map((_, i) => [seats[(i * 7) % 20]!, seats[(i * 7 + 1) % 20]!]);
    const outcomes = await Promise.allSettled(
      clients.map((c, i) =>
        c.call('bookings.book', { showId: 'show-big', seatIds: wants[i]!, customer: customer(i) }),
      ),
    );
    const won = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const lost = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [{ error: o.reason as RpcError, i }] : [],
    );
    t.true(won.length > 0);
    t.is(won.length + lost.length, 100);
    const sold = won.flatMap((b) => b.seatIds);
    t.is(new Set(sold).size, sold.length, 'no seat sold twice');
    const soldSet = new Set(sold);
    for (const { error, i } of lost) {
      t.true(error instanceof RpcError);
      t.is(error.reason, 'SEATS_UNAVAILABLE');
      const taken = error.data?.seatIds ?? [];
      t.true(taken.length > 0);
      t.true(
        taken.every((s) => wants[i]!.includes(s) && soldSet.has(s)),
        `loser ${i} was told ${taken} for ${wants[i]}`,
      );
    }
    const map = await clients[0]!.call('seats.map', { showId: 'show-big' });
    const booked = map.rows.flatMap((r) => r.seats.filter((s) => s.status === 'booked').map((s) => s.id));
    t.deepEqual(booked.sort(), [...soldSet].sort(), 'the seat map agrees with the acknowledgements');
  }));

test('holds expire on the master clock: the seats free up and a late confirm gets HOLD_EXPIRED', (t) => {
  // The node's clock is moved by the test, so a slow machine cannot make the hold lapse early.
  let offsetMs = 0;
  return withNode(
    t,
    async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const hold = await a.call('seats.hold', { showId: 'show-soon', seatIds: ['A1', 'A2'] });
      const blocked = await rpcError(b.call('seats.hold', { showId: 'show-soon', seatIds: ['A2'] }));
      t.deepEqual(blocked.data?.seatIds, ['A2']);
      offsetMs = Date.parse(hold.expiresAt) - Date.now() + 1;
      const late = await rpcError(a.call('bookings.confirm', { holdId: hold.holdId, customer: customer(1) }));
      t.is(late.reason, 'HOLD_EXPIRED');
      const taken = await b.call('seats.hold', { showId: 'show-soon', seatIds: ['A2'] });
      t.deepEqual(taken.seatIds, ['A2']);
      const map = await b.call('seats.map', { showId: 'show-soon' });
      t.is(map.rows[0]!.seats.find((s) => s.id === 'A1')!.status, 'available');
    },
    { holdTtlMs: 60_000 },
    { now: () => Date.now() + offsetMs },
  );
});

test('a hold can change its seats and be released; releasing twice is harmless', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const hold = await c.call('seats.hold', { showId: 'show-soon', seatIds: ['B1', 'B2'] });
    const moved = await c.call('seats.hold', {
      showId: 'show-soon',
      seatIds: ['B2', 'B3'],
      holdId: hold.holdId,
    });
    t.is(moved.holdId, hold.holdId);
    let map = await c.call('seats.map', { showId: 'show-soon' });
    const status = (id: string) => map.rows.flatMap((r) => r.seats).find((s) => s.id === id)!.status;
    t.deepEqual([status('B1'), status('B2'), status('B3')], ['available', 'held', 'held']);
    t.deepEqual(await c.call('seats.release', { holdId: hold.holdId }), {
      holdId: hold.holdId,
      released: true,
    });
    t.deepEqual(await c.call('seats.release', { holdId: hold.holdId }), {
      holdId: hold.holdId,
      released: true,
    });
    map = await c.call('seats.map', { showId: 'show-soon' });
    t.deepEqual([status('B2'), status('B3')], ['available', 'available']);
    t.is(
      (await rpcError(c.call('bookings.confirm', { holdId: hold.holdId, customer: customer(1) }))).reason,
      'HOLD_NOT_FOUND',
    );
  }));

test('idempotent retries book once, also when the retries race each other', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const params = {
      showId: 'show-big',
      seatIds: ['C1', 'C2'],
      customer: customer(1),
      idempotencyKey: 'checkout-42',
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => c.call('bookings.book', params)));
    t.is(new Set(results.map((b) => b.id)).size, 1);
    const again = await c.call('bookings.book', params);
    t.is(again.id, results[0]!.id, 'the same request with the same key returns the first booking');
    const reused = await rpcError(c.call('bookings.book', { ...params, seatIds: ['D1'] }));
    t.is(reused.reason, 'IDEMPOTENCY_KEY_REUSED', 'a key reused with other params books nothing');
    t.false(JSON.stringify(reused).includes(results[0]!.code), 'and hands out nothing of the first booking');
    const map = await c.call('seats.map', { showId: 'show-big' });
    t.is(map.rows.flatMap((r) => r.seats).filter((s) => s.status === 'booked').length, 2);

    const hold = await c.call('seats.hold', { showId: 'show-big', seatIds: ['D5'] });
    const confirm = { holdId: hold.holdId, customer: customer(2) };
    const first = await c.call('bookings.confirm', confirm);
    const second = await c.call('bookings.confirm', confirm);
    t.is(second.id, first.id, 'confirming a confirmed hold returns its booking');
  }));

test('cancel frees the seats for someone else to book', (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const first = await c.call('bookings.book', {
      showId: 'show-soon',
      seatIds: ['C1'],
      customer: customer(1),
    });
    t.is(
      (
        await rpcError(
          c.call('bookings.book', { showId: 'show-soon', seatIds: ['C1'], customer: customer(2) }),
        )
      ).reason,
      'SEATS_UNAVAILABLE',
    );
    await c.call('bookings.cancel', { code: first.code });
    t.is(
      (await rpcError(c.call('bookings.cancel', { code: first.code }))).reason,
      'ALREADY_CANCELLED',
      'the status of a remembered row comes from the state machine',
    );
    const second = await c.call('bookings.book', {
      showId: 'show-soon',
      seatIds: ['C1'],
      customer: customer(2),
    });
    t.not(second.code, first.code);
    t.is((await c.call('bookings.get', { code: first.code })).status, 'cancelled');
    t.is((await c.call('bookings.get', { code: second.code })).status, 'confirmed');
  }));

test('a restart keeps bookings, holds, the log position and the Lamport clock', (t) =>
  withNode(t, async ({ connect, restart }) => {
    let c = await connect();
    const booking: Booking = await c.call('bookings.book', {
      showId: 'show-big',
      seatIds: ['A5'],
      customer: customer(1),
    });
    const hold = await c.call('seats.hold', { showId: 'show-big', seatIds: ['A6'] });
    const before = await c.call('cluster.status', {});
    await restart();
    c = await connect();
    const after = await c.call('cluster.status', {});
    t.is(after.commitIndex, before.commitIndex);
    t.true(after.lamport >= before.lamport, 'Lamport time never runs backwards across a restart');
    t.is((await c.call('bookings.get', { code: booking.code })).id, booking.id);
    const confirmed = await c.call('bookings.confirm', { holdId: hold.holdId, customer: customer(2) });
    t.deepEqual(confirmed.seatIds, ['A6']);
    t.true(confirmed.lamport > booking.lamport);
    t.is((await c.call('catalog.movies', {})).length, 2, 'the catalog is not imported twice');
  }));

test('seats.changed reaches a second connection promptly after each commit', (t) =>
  withNode(t, async ({ connect }) => {
    const watcher = await connect();
    const buyer = await connect();
    t.deepEqual(await watcher.call('seats.subscribe', { showId: 'show-soon' }), {
      showId: 'show-soon',
      subscribed: true,
    });
    const hold = await buyer.call('seats.hold', { showId: 'show-soon', seatIds: ['A3'] });
    const held = await watcher.waitFor(() =>
      watcher.notifications.find((n) => n.commitIndex === hold.commitIndex),
    );
    t.deepEqual(held.seats, [{ id: 'A3', status: 'held' }]);
    const booking = await buyer.call('bookings.confirm', { holdId: hold.holdId, customer: customer(1) });
    const booked = await watcher.waitFor(() =>
      watcher.notifications.find((n) => n.commitIndex === booking.commitIndex),
    );
    t.deepEqual(booked.seats, [{ id: 'A3', status: 'booked' }]);
    await buyer.call('bookings.book', { showId: 'show-big', seatIds: ['A1'], customer: customer(2) });
    t.false(
      watcher.notifications.some((n) => n.showId !== 'show-soon'),
      'only subscribed shows are sent',
    );
    t.is((await rpcError(watcher.call('seats.subscribe', { showId: 'nope' }))).reason, 'SHOW_NOT_FOUND');
  }));

test('a client cannot hoard seats: at most 40 on hold per connection and per address, and a hold renews a bounded number of times', (t) =>
  withNode(t, async ({ connect }) => {
    const c1 = await connect();
    const c2 = await connect();
    const rows = ['A', 'B', 'C', 'D'];
    const holds = [];
    for (const row of rows) {
      const seatIds = Array.from({ length: 10 }, (_, i) => `${row}${i + 1}`);
      holds.push(await c1.call('seats.hold', { showId: 'show-big', seatIds }));
    }
    const more = await rpcError(c1.call('seats.hold', { showId: 'show-soon', seatIds: ['A1'] }));
    t.is(more.reason, 'TOO_MANY_SEATS');
    // Another socket from the same address shares the address's quota.
    t.is(
      (await rpcError(c2.call('seats.hold', { showId: 'show-soon', seatIds: ['A1'] }))).reason,
      'TOO_MANY_SEATS',
    );
    await c1.call('seats.release', { holdId: holds[0]!.holdId });
    const small = await c2.call('seats.hold', { showId: 'show-soon', seatIds: ['A1'] });
    // Renewing keeps the same hold; after MAX_HOLD_RENEWALS (5) renewals it must be booked or let go.
    for (let k = 0; k < 5; k++) {
      await c2.call('seats.hold', { showId: 'show-soon', seatIds: ['A1'], holdId: small.holdId });
    }
    const renewed = await rpcError(
      c2.call('seats.hold', { showId: 'show-soon', seatIds: ['A1'], holdId: small.holdId }),
    );
    t.is(renewed.reason, 'RATE_LIMITED');
    const booking = await c2.call('bookings.confirm', { holdId: small.holdId, customer: customer(9) });
    t.deepEqual(booking.seatIds, ['A1']);
  }));
