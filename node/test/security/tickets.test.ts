/**
 * Tickets are standard JWTs (JWS compact, EdDSA): a scanner verifies them offline with a stock
 * JOSE library and the published key; forged and tampered tickets are refused, by the library and
 * by a node's tickets.verify.
 */
import test from 'ava';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify } from 'jose';
import {
  signTicket,
  type TicketPayload,
  TicketSigner,
  ticketFor,
  ticketJwks,
  verifyTicket,
} from '../../src/booking/tickets.js';
import { rpcError } from '../helpers/rpc-client.js';
import { withNode } from '../helpers/with-node.js';
import { randomSecret } from './helpers.js';

const payload: TicketPayload = {
  v: 1,
  b: 'b_1',
  s: 's_1',
  st: ['A1', 'A2'],
  iat: '2026-12-01T20:00:00.000Z',
};
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

test('a booking signs to the same ticket every time (nodes sign on answer and store no token)', (t) => {
  const secret = randomSecret();
  const booking = { id: 'b_1', showId: 's_1', seatIds: ['A1', 'A2'], createdAt: payload.iat };
  const token = ticketFor(secret, booking);
  t.is(ticketFor(secret, { ...booking, seatIds: [...booking.seatIds] }), token, 'Ed25519 is deterministic');
  t.is(token, signTicket(secret, payload), 'the same claims as a ticket signed from its payload');
  t.deepEqual(verifyTicket(secret, token), payload);
  t.not(ticketFor(randomSecret(), booking), token, 'another cluster key, another token');
  t.not(ticketFor(secret, { ...booking, seatIds: ['A1'] }), token, 'other seats, another token');
  for (const capacity of [0, 1, 100]) {
    const signer = new TicketSigner(secret, capacity);
    t.is(signer.tokenFor(booking), token, `signer (capacity ${capacity})`);
    t.is(signer.tokenFor(booking), token, `signer again (capacity ${capacity})`);
    t.is(signer.tokenFor({ ...booking, id: 'b_2' }), ticketFor(secret, { ...booking, id: 'b_2' }));
  }
});

test('a ticket verifies offline with jose and the published JWKS; signing is cheap', async (t) => {
  const secret = randomSecret();
  const token = signTicket(secret, payload);
  const { payload: claims, protectedHeader } = await jwtVerify(token, createLocalJWKSet(ticketJwks(secret)), {
    issuer: 'booking',
    algorithms: ['EdDSA'],
  });
  t.is(protectedHeader.alg, 'EdDSA');
  // One key per cluster: the header does not name it (every character costs QR size), the JWKS does.
  t.is(protectedHeader.kid, undefined);
  t.is(ticketJwks(secret).keys.length, 1);
  t.like(claims, { sub: 'b_1', show: 's_1', seats: ['A1', 'A2'] });
  t.deepEqual(verifyTicket(secret, token), payload);
  const runs = 2000;
  const started = performance.now();
  for (let i = 0; i < runs; i++) signTicket(secret, { ...payload, b: `b_${i}` });
  t.log(`one sign: ${(((performance.now() - started) / runs) * 1000).toFixed(1)} µs`);
});

test('forged and tampered tickets are refused by jose and by verifyTicket', async (t) => {
  const secret = randomSecret();
  const jwks = createLocalJWKSet(ticketJwks(secret));
  const good = signTicket(secret, payload);
  const [header, claims, signature] = good.split('.') as [string, string, string];
  const forged = [
    signTicket(randomSecret(), payload), // another cluster's key
    `${header}.${b64({ iss: 'booking', sub: 'b_2', show: 's_1', seats: ['A1'], iat: 1 })}.${signature}`,
    `${b64({ alg: 'none', typ: 'JWT' })}.${claims}.`,
    `${b64({ alg: 'HS256', typ: 'JWT' })}.${claims}.${signature}`,
    `${header}.${claims}`,
    'x'.repeat(10_000),
  ];
  for (const token of forged) {
    t.is(verifyTicket(secret, token), null);
    await t.throwsAsync(jwtVerify(token, jwks, { algorithms: ['EdDSA'] }));
  }
  await fc.assert(
    fc.asyncProperty(
      fc.nat(),
      fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
      async (at, ch) => {
        const i = at % good.length;
        if (good[i] === '.' || good[i] === ch) return true;
        const tampered = good.slice(0, i) + ch + good.slice(i + 1);
        // Flipping only the unused low bits of the signature's last character decodes to the same bytes.
        const same = Buffer.from(tampered.split('.')[2] ?? '', 'base64url').equals(
          Buffer.from(signature, 'base64url'),
        );
        if (same && i >= header.length + claims.length + 2) return true;
        return verifyTicket(secret, tampered) === null;
      },
    ),
  );
});

test("a node's tickets.verify accepts its own ticket and refuses forged ones with INVALID_TICKET", (t) =>
  withNode(t, async ({ connect }) => {
    const c = await connect();
    const show = (await c.call('catalog.shows', {})).find((s) => Date.parse(s.startsAt) > Date.now())!;
    const map = await c.call('seats.map', { showId: show.id });
    const seat = map.rows.flatMap((r) => r.seats).find((s) => s.status === 'available')!;
    const booking = await c.call('bookings.book', {
      showId: show.id,
      seatIds: [seat.id],
      customer: { name: 'Ada', email: 'ada@example.org' },
    });
    const verified = await c.call('tickets.verify', { token: booking.ticket.token });
    t.true(verified.valid);
    const [header, , signature] = booking.ticket.token.split('.') as [string, string, string];
    for (const token of [
      signTicket(randomSecret(), { ...payload, b: booking.id, s: show.id }),
      `${header}.${b64({ iss: 'booking', sub: booking.id, show: show.id, seats: ['Z99'], iat: 1 })}.${signature}`,
    ]) {
      t.is((await rpcError(c.call('tickets.verify', { token }))).reason, 'INVALID_TICKET');
    }
  }));
