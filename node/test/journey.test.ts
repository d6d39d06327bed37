import test from 'ava';
import { Booking as BookingSchema, SeatMap as SeatMapSchema } from '../src/protocol/model.js';
import { rpcError } from './helpers/rpc-client.js';
import { withNode } from './helpers/with-node.js';

test('a customer browses, holds, books, looks up, verifies and cancels over one WebSocket', (t) =>
  withNode(t, async ({ connect }) => {
    const client = await connect();

    const movies = await client.call('catalog.movies', {});
    t.deepEqual(movies.map((m) => m.title).sort(), ['Orbit of Ash', 'The Quiet Harbour']);
    const movie = await client.call('catalog.movie', { movieId: '101' });
    t.is(movie.shows.length, 1);
    const show = movie.shows[0]!;
    t.is(show.seatsAvailable, show.seatsTotal);
    const theaters = await client.call('catalog.theaters', {});
    t.is(theaters[0]!.screens.length, 2);
    const date = show.startsAt.slice(0, 10);
    const shows = await client.call('catalog.shows', { date });
    t.true(shows.some((s) => s.id === show.id));

    const map = SeatMapSchema.parse(await client.call('seats.map', { showId: show.id }));
    t.is(map.rows.length, 5);
    t.deepEqual(
      map.rows[0]!.seats.map((s) => s.col),
      [1, 2, 3, 5, 6, 7],
      'the aisle is the missing column 4',
    );
    t.is(map.rows[3]!.seats[0]!.kind, 'premium');
    t.is(map.rows[4]!.seats[0]!.kind, 'wheelchair');

    const hold = await client.call('seats.hold', { showId: show.id, seatIds: ['D1', 'D2'] });
    t.true(Date.parse(hold.expiresAt) > Date.now());
    const afterHold = await client.call('seats.map', { showId: show.id, afterCommitIndex: hold.commitIndex });
    t.is(afterHold.rows[3]!.seats[0]!.status, 'held');

    const booking = BookingSchema.parse(
      await client.call('bookings.confirm', {
        holdId: hold.holdId,
        customer: { name: 'Ada Lovelace', email: 'ada@example.org' },
      }),
    );
    t.is(booking.status, 'confirmed');
    t.is(booking.totalCents, 2 * 1800, 'premium seats are charged the premium price');
    t.regex(booking.code, /^[0-9A-Z]{16}$/);
    t.true(booking.ticket.qrSvg.startsWith('<svg'));
    t.true(booking.lamport > 0);

    const found = await client.call('bookings.get', { code: booking.code.toLowerCase() });
    t.is(found.id, booking.id);
    const verified = await client.call('tickets.verify', { token: booking.ticket.token });
    t.true(verified.valid);
    t.is(verified.booking.id, booking.id);
    t.deepEqual(verified.booking.seatIds, booking.seatIds);
    // A door scanner learns nothing that could cancel the booking or reach the customer.
    t.false(JSON.stringify(verified).includes(booking.code));
    t.false(JSON.stringify(verified).includes(booking.customer.email));

    const shown = await client.call('catalog.shows', { movieId: '101' });
    t.is(shown[0]!.seatsAvailable, show.seatsTotal - 2);

    const cancelled = await client.call('bookings.cancel', { code: booking.code });
    t.is(cancelled.status, 'cancelled');
    t.true(cancelled.commitIndex > booking.commitIndex);
    const freed = await client.call('seats.map', { showId: show.id });
    t.is(freed.rows[3]!.seats[0]!.status, 'available');
    t.is(
      (await rpcError(client.call('tickets.verify', { token: booking.ticket.token }))).reason,
      'INVALID_TICKET',
    );
    t.is(
      (await rpcError(client.call('bookings.cancel', { code: booking.code }))).reason,
      'ALREADY_CANCELLED',
    );

    const status = await client.call('cluster.status', {});
    t.is(status.role, 'master');
    t.is(status.masterId, status.nodeId);
    t.true(status.commitIndex >= cancelled.commitIndex);
  }));

test('booking rules: unknown things, too many seats, started shows, a forged ticket', (t) =>
  withNode(t, async ({ connect }) => {
    const client = await connect();
    const reason = async (p: Promise<unknown>) => (await rpcError(p)).reason;
    t.is(await reason(client.call('catalog.movie', { movieId: 'nope' })), 'MOVIE_NOT_FOUND');
    t.is(await reason(client.call('seats.map', { showId: 'nope' })), 'SHOW_NOT_FOUND');
    t.is(await reason(client.call('seats.hold', { showId: 'show-soon', seatIds: ['Z9'] })), 'SEAT_NOT_FOUND');
    const eleven = ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8', 'A9', 'A10', 'B1'];
    t.is(await reason(client.call('seats.hold', { showId: 'show-big', seatIds: eleven })), 'TOO_MANY_SEATS');
    t.is(
      await reason(client.call('seats.hold', { showId: 'show-started', seatIds: ['A1'] })),
      'SHOW_STARTED',
    );
    t.is(await reason(client.call('seats.release', { holdId: 'h_nope' })), 'HOLD_NOT_FOUND');
    t.is(await reason(client.call('bookings.get', { code: 'ZZZZZZZZZZZZZZZZ' })), 'BOOKING_NOT_FOUND');
    t.is(await reason(client.call('tickets.verify', { token: 'e30.AAAA' })), 'INVALID_TICKET');
    const customer = { name: 'Bob', email: 'bob@example.org' };
    const booking = await client.call('bookings.book', { showId: 'show-big', seatIds: ['A1'], customer });
    const [body] = booking.ticket.token.split('.');
    const forged = `${Buffer.from(JSON.stringify({ v: 1, b: booking.id, s: 'show-big', st: ['A2'], iat: '' })).toString('base64url')}.${booking.ticket.token.split('.')[1]}`;
    t.not(body, forged.split('.')[0]);
    t.is(await reason(client.call('tickets.verify', { token: forged })), 'INVALID_TICKET');
    const taken = await rpcError(
      client.call('bookings.book', { showId: 'show-big', seatIds: ['A2', 'A1'], customer }),
    );
    t.is(taken.reason, 'SEATS_UNAVAILABLE');
    t.deepEqual(taken.data?.seatIds, ['A1']);
    t.is(await reason(client.call('admin.importCatalog', { source: 'bundled' })), 'UNAUTHORIZED');
  }));
