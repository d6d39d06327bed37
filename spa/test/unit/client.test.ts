import test from 'ava';
import { newIdempotencyKey } from '../../src/api/client.ts';
import { ConnectionError, RpcError } from '../../src/api/errors.ts';
import { FakeServer, fakeClient, flush, NO_ANSWER, noMaster, Reply } from '../helpers/fakes.ts';

const booking = (over: Record<string, unknown> = {}) => ({
  id: 'b1',
  code: 'CODE1',
  showId: 's1',
  seatIds: ['C7'],
  customer: { name: 'Ada', email: 'ada@example.com' },
  totalCents: 1200,
  currency: 'EUR',
  status: 'confirmed',
  createdAt: '2030-01-01T20:00:00+01:00',
  lamport: 9,
  epoch: 2,
  commitIndex: 42,
  ticket: { token: 't', qrSvg: '<svg/>' },
  ...over,
});
const customer = { name: 'Ada', email: 'ada@example.com' };

test('a confirm that meets NO_MASTER is repeated with the same idempotency key until it lands', async (t) => {
  const server = new FakeServer();
  let attempts = 0;
  server.on('bookings.confirm', () => {
    attempts++;
    if (attempts < 3) throw noMaster();
    return booking();
  });
  const client = fakeClient(server);
  const result = await client.call('bookings.confirm', { holdId: 'h1', customer, idempotencyKey: 'k-1' });
  t.is(result.code, 'CODE1');
  const keys = server.calls('bookings.confirm').map((r) => r.params.idempotencyKey);
  t.deepEqual(keys, ['k-1', 'k-1', 'k-1']);
  client.close();
});

test('a confirm whose socket dropped mid-call is resent, same key, on the next socket', async (t) => {
  const server = new FakeServer();
  server.on('bookings.confirm', (_req, socket) => {
    if (server.sockets.indexOf(socket) === 0) {
      // The node applied it, then died before answering: only the key makes the retry safe.
      queueMicrotask(() => socket.close(1006, 'killed'));
      return NO_ANSWER;
    }
    return booking();
  });
  const client = fakeClient(server);
  const result = await client.call('bookings.confirm', { holdId: 'h1', customer, idempotencyKey: 'k-2' });
  t.is(result.status, 'confirmed');
  const calls = server.calls('bookings.confirm');
  t.is(calls.length, 2);
  t.deepEqual(
    calls.map((c) => c.params.idempotencyKey),
    ['k-2', 'k-2'],
  );
  t.true(server.sockets.length >= 2, 'it reconnected');
  client.close();
});

test('a hold that may have reached a node is not repeated blindly (it has no key)', async (t) => {
  const server = new FakeServer();
  server.on('seats.hold', (_req, socket) => {
    queueMicrotask(() => socket.close(1006, 'killed'));
    return NO_ANSWER;
  });
  const client = fakeClient(server);
  const error = await t.throwsAsync(client.call('seats.hold', { showId: 's1', seatIds: ['C7'] }), {
    instanceOf: ConnectionError,
  });
  t.true(error.sent);
  t.is(server.calls('seats.hold').length, 1);
  client.close();
});

test('a hold answered NO_MASTER is repeated: the node did nothing', async (t) => {
  const server = new FakeServer();
  let n = 0;
  server.on('seats.hold', (req) => {
    if (n++ === 0) throw noMaster();
    return {
      holdId: 'h9',
      showId: 's1',
      seatIds: req.params.seatIds,
      expiresAt: '2030-01-01T00:00:00Z',
      commitIndex: 5,
    };
  });
  const client = fakeClient(server);
  const hold = await client.call('seats.hold', { showId: 's1', seatIds: ['C7'] });
  t.is(hold.holdId, 'h9');
  t.is(server.calls('seats.hold').length, 2);
  client.close();
});

test('application errors other than NO_MASTER are not retried', async (t) => {
  const server = new FakeServer();
  server.on('bookings.confirm', () => {
    throw new Reply(1012, 'expired', { reason: 'HOLD_EXPIRED' });
  });
  const client = fakeClient(server);
  const error = await t.throwsAsync(
    client.call('bookings.confirm', { holdId: 'h', customer, idempotencyKey: 'k' }),
    {
      instanceOf: RpcError,
    },
  );
  t.is(error.reason, 'HOLD_EXPIRED');
  t.is(server.calls('bookings.confirm').length, 1);
  client.close();
});

test('an internal error is repeated for a keyed confirm, never for a hold', async (t) => {
  const server = new FakeServer();
  let confirms = 0;
  server.on('bookings.confirm', () => {
    if (++confirms === 1) throw new Reply(-32603, 'lost the master while forwarding');
    return booking();
  });
  server.on('seats.hold', () => {
    throw new Reply(-32603, 'lost the master while forwarding');
  });
  const client = fakeClient(server);
  const result = await client.call('bookings.confirm', { holdId: 'h1', customer, idempotencyKey: 'k-3' });
  t.is(result.code, 'CODE1');
  t.is(confirms, 2);
  await t.throwsAsync(client.call('seats.hold', { showId: 's1', seatIds: ['A1'] }), { instanceOf: RpcError });
  t.is(
    server.calls('seats.hold').length,
    1,
    'a hold has no key: it may have been applied, so it is not repeated',
  );
  client.close();
});

test('retries stop at the deadline and the last error surfaces', async (t) => {
  const server = new FakeServer();
  server.on('bookings.book', () => {
    throw noMaster();
  });
  let now = 0;
  const client = fakeClient(server, {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      await flush(1);
    },
    retryForMs: 5_000,
  });
  const error = await t.throwsAsync(
    client.call('bookings.book', { showId: 's', seatIds: ['A1'], customer, idempotencyKey: 'k' }),
    { instanceOf: RpcError },
  );
  t.is(error.reason, 'NO_MASTER');
  const n = server.calls('bookings.book').length;
  t.true(n > 2 && n < 50, `${n} attempts within the 5 s deadline`);
  client.close();
});

test('reads carry the highest commitIndex seen, so a slave answers only after applying our writes', async (t) => {
  const server = new FakeServer();
  server.on('bookings.confirm', () => booking({ commitIndex: 42 }));
  server.on('bookings.get', () => booking({ commitIndex: 42 }));
  server.on('catalog.movies', () => []);
  const client = fakeClient(server);
  await client.call('catalog.movies', {});
  t.is(server.calls('catalog.movies')[0]!.params.afterCommitIndex, undefined, 'nothing seen yet');
  await client.call('bookings.confirm', { holdId: 'h', customer, idempotencyKey: 'k' });
  await client.call('bookings.get', { code: 'CODE1' });
  t.is(server.calls('bookings.get')[0]!.params.afterCommitIndex, 42);
  t.is(client.commitIndex, 42);
  client.seen(7);
  t.is(client.commitIndex, 42, 'the index never goes back');
  client.close();
});

test('seat subscriptions are renewed after a reconnect, and notifications advance the commit index', async (t) => {
  const server = new FakeServer();
  server.on('seats.subscribe', (req) => ({ showId: req.params.showId, subscribed: true }));
  server.on('seats.unsubscribe', (req) => ({ showId: req.params.showId, subscribed: false }));
  const client = fakeClient(server);
  const changes: unknown[] = [];
  client.onSeatsChanged((c) => changes.push(c));
  const undo = await client.subscribeSeats('s1');
  server.latest.close(1006, 'node died');
  for (let i = 0; i < 50 && server.calls('seats.subscribe').length < 2; i++) await flush();
  t.is(server.calls('seats.subscribe').length, 2, 'resubscribed on the new socket');
  t.is(server.sockets.indexOf(server.latest), 1);
  server.latest.push({
    jsonrpc: '2.0',
    method: 'seats.changed',
    params: { showId: 's1', seats: [{ id: 'C7', status: 'held' }], commitIndex: 77 },
  });
  t.is(changes.length, 1);
  t.is(client.commitIndex, 77);
  undo();
  await flush();
  t.is(server.calls('seats.unsubscribe').length, 1);
  server.latest.close();
  await flush(40);
  t.is(server.calls('seats.subscribe').length, 2, 'no resubscribe once undone');
  client.close();
});

test('a retried cancel that finds its first attempt applied returns the cancelled booking', async (t) => {
  const server = new FakeServer();
  let n = 0;
  server.on('bookings.cancel', (_req, socket) => {
    if (n++ === 0) {
      queueMicrotask(() => socket.close(1006, 'killed'));
      return NO_ANSWER;
    }
    throw new Reply(1013, 'already', { reason: 'ALREADY_CANCELLED' });
  });
  server.on('bookings.get', () => booking({ status: 'cancelled' }));
  const client = fakeClient(server);
  const result = await client.call('bookings.cancel', { code: 'CODE1' });
  t.is(result.status, 'cancelled');
  client.close();
});

test('idempotency keys are long, random and distinct', (t) => {
  const keys = new Set(Array.from({ length: 200 }, () => newIdempotencyKey()));
  t.is(keys.size, 200);
  for (const key of keys) t.regex(key, /^[0-9a-f]{32}$/);
});
