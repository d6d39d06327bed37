import test from 'ava';
import { ConnectionError, RpcError, TimeoutError } from '../../src/api/errors.ts';
import { backoffDelay, RpcSocket, type SocketState } from '../../src/api/socket.ts';
import { FakeClock, FakeServer, flush, NO_ANSWER, Reply } from '../helpers/fakes.ts';

function setup(opts: { random?: () => number } = {}) {
  const server = new FakeServer();
  const clock = new FakeClock();
  const socket = new RpcSocket('ws://test/rpc', {
    factory: server.factory,
    timers: clock,
    random: opts.random ?? (() => 0.5),
    timeoutMs: 1_000,
    backoff: { baseMs: 100, capMs: 1_000 },
  });
  const states: SocketState[] = [];
  socket.onState((s) => states.push(s));
  return { server, clock, socket, states };
}

test('backoff grows exponentially, stays under the cap, and is jittered within [exp/2, exp]', (t) => {
  const opts = { baseMs: 100, capMs: 1_000 };
  t.deepEqual(
    [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 1)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
  t.deepEqual(
    [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0)),
    [50, 100, 200, 400, 500, 500],
  );
  t.is(
    backoffDelay(1_000, opts, () => 0.5),
    750,
    'a huge attempt count does not overflow',
  );
});

test('answers resolve and errors reject with the reason from error.data', async (t) => {
  const { server, socket } = setup();
  server.on('echo', (req) => req.params);
  server.on('fail', () => {
    throw new Reply(1010, 'taken', { reason: 'SEATS_UNAVAILABLE', seatIds: ['C7'] });
  });
  await flush();
  t.deepEqual(await socket.request('echo', { a: 1 }), { a: 1 });
  const error = await t.throwsAsync(socket.request('fail', {}), { instanceOf: RpcError });
  t.is(error.reason, 'SEATS_UNAVAILABLE');
  t.deepEqual(error.seatIds, ['C7']);
});

test('calls made before the socket opens are sent once it opens', async (t) => {
  const { server, socket } = setup();
  server.on('ping', () => 'pong');
  const answer = socket.request('ping', {});
  t.is(server.requests.length, 0);
  t.is(await answer, 'pong');
  t.is(server.calls('ping').length, 1);
});

test('a close rejects calls in flight at once, marked as possibly sent', async (t) => {
  const { server, socket } = setup();
  server.on('slow', () => NO_ANSWER);
  await flush();
  const call = socket.request('slow', {});
  await flush();
  server.latest.close(1006, 'node died');
  const error = await t.throwsAsync(call, { instanceOf: ConnectionError });
  t.true(error.sent);
});

test('a call with no answer times out on its own timer', async (t) => {
  const { server, socket, clock } = setup();
  server.on('slow', () => NO_ANSWER);
  await flush();
  const call = socket.request('slow', {}, 300);
  await flush();
  clock.advance(299);
  await flush();
  clock.advance(1);
  const error = await t.throwsAsync(call, { instanceOf: TimeoutError });
  t.regex(error.message, /slow .* 300 ms/);
});

test('reconnects with capped backoff, resets after success, and reports each state', async (t) => {
  const { server, socket, clock, states } = setup({ random: () => 1 });
  await flush();
  t.is(socket.state, 'open');
  server.up = false;
  server.latest.close(1006, 'gone');
  t.is(socket.state, 'reconnecting');
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    delays.push(Math.min(...clock.pending));
    clock.advance(Math.min(...clock.pending));
    await flush();
  }
  t.deepEqual(delays, [100, 200, 400, 800, 1_000, 1_000]);
  server.up = true;
  clock.advance(Math.min(...clock.pending));
  await flush();
  t.is(socket.state, 'open');
  server.latest.close(1006, 'again');
  t.deepEqual(clock.pending, [100], 'the attempt counter starts over after a good connection');
  t.deepEqual(states.slice(0, 3), ['connecting', 'open', 'reconnecting']);
});

test('onOpen tells a reconnect from the first connection', async (t) => {
  const { server, socket, clock } = setup();
  const opens: boolean[] = [];
  socket.onOpen(({ reconnect }) => opens.push(reconnect));
  await flush();
  server.latest.close();
  clock.advance(1_000);
  await flush();
  t.deepEqual(opens, [false, true]);
});

test('close() stops for good: pending calls fail and no reconnect is scheduled', async (t) => {
  const { server, socket, clock } = setup();
  server.on('slow', () => NO_ANSWER);
  await flush();
  const call = socket.request('slow', {});
  socket.close();
  await t.throwsAsync(call, { instanceOf: ConnectionError });
  t.is(socket.state, 'closed');
  t.deepEqual(clock.pending, []);
  await t.throwsAsync(socket.request('slow', {}), { instanceOf: ConnectionError });
});

test('notifications reach listeners; garbage frames are ignored', async (t) => {
  const { server, socket } = setup();
  const seen: [string, unknown][] = [];
  socket.onNotification((method, params) => seen.push([method, params]));
  await flush();
  server.latest.onmessage?.({ data: 'not json' });
  server.latest.onmessage?.({ data: '[null, 3, {"jsonrpc":"2.0","id":999,"result":1}]' });
  server.latest.push({ jsonrpc: '2.0', method: 'seats.changed', params: { showId: 's1' } });
  t.deepEqual(seen, [['seats.changed', { showId: 's1' }]]);
});
