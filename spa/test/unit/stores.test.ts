/**
 * The setup stores, run for real in Node: Pinia, the api layer and the booking client on a fake
 * socket server. No browser, no DOM; what the views show is what these stores hold.
 */
import type { Movie, SeatMap, Show } from '@booking/node/protocol';
import test from 'ava';
import { createPinia, setActivePinia } from 'pinia';
import { provideClient } from '../../src/api/index.ts';
import { normaliseCode, useBookingStore } from '../../src/stores/booking.ts';
import { matchesMovie, useCatalogStore } from '../../src/stores/catalog.ts';
import { type DraftStorage, isEmail, useCheckoutStore } from '../../src/stores/checkout.ts';
import { clientProbe, type NodeProbe, useClusterStore } from '../../src/stores/cluster.ts';
import { useSeatsStore } from '../../src/stores/seats.ts';
import { FakeServer, fakeClient, flush, noMaster, Reply } from '../helpers/fakes.ts';
import { mapOf } from '../helpers/maps.ts';

const show: Show = {
  id: 's1',
  movieId: 'm1',
  theaterId: 't1',
  screenId: 'sc1',
  startsAt: '2030-01-01T20:00:00+01:00',
  prices: { standard: 1000, premium: 1500 },
  currency: 'EUR',
  seatsTotal: 8,
  seatsAvailable: 8,
};
const movie: Movie = {
  id: 'm1',
  title: 'Vertigo',
  overview: 'A retired detective, a woman, a tower.',
  releaseDate: '1958-05-09',
  runtimeMinutes: 128,
  genres: ['Mystery', 'Romance'],
  rating: 8.3,
  posterUrl: null,
};
const booking = (over: Record<string, unknown> = {}) => ({
  id: 'b1',
  code: 'ABCDEFGHJKLMNPQR',
  showId: 's1',
  seatIds: ['A2', 'A3'],
  customer: { name: 'Ada', email: 'ada@example.com' },
  totalCents: 2000,
  currency: 'EUR',
  status: 'confirmed',
  createdAt: '2030-01-01T18:00:00+01:00',
  lamport: 9,
  epoch: 2,
  commitIndex: 12,
  ticket: { token: 't', qrSvg: '<svg/>' },
  ...over,
});

function setup(map: SeatMap = mapOf(['SSSS.SPPS', 'SSSSSSSSW'])) {
  setActivePinia(createPinia());
  const server = new FakeServer();
  server.on('seats.map', () => map);
  const client = fakeClient(server);
  provideClient(client);
  return { server, client, map };
}

test.afterEach(() => provideClient(null));

test.serial('seats: picking, the ten-seat limit, prices per kind and the total', async (t) => {
  const { client } = setup();
  const seats = useSeatsStore();
  seats.open(show, movie);
  await seats.loadMap();
  seats.toggle('A1');
  seats.toggle('A6');
  t.deepEqual(seats.selected, ['A1', 'A6']);
  t.is(seats.statusOf('A1'), 'selected');
  t.deepEqual(
    seats.lines.map((l) => [l.id, l.kind, l.cents]),
    [
      ['A1', 'standard', 1000],
      ['A6', 'premium', 1500],
    ],
  );
  t.is(seats.totalCents, 2500);
  seats.toggle('A1');
  t.deepEqual(seats.selected, ['A6'], 'a second toggle unpicks');
  for (const id of ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'A2']) seats.toggle(id);
  t.is(seats.selected.length, 10);
  seats.toggle('A3');
  t.is(seats.selected.length, 10);
  t.regex(seats.error ?? '', /at most 10/);
  client.close();
});

test.serial(
  'seats: a seat someone else takes leaves the selection with a notice; stale pushes are ignored',
  async (t) => {
    const { client } = setup();
    const seats = useSeatsStore();
    seats.open(show, movie);
    await seats.loadMap();
    seats.toggle('A1');
    seats.toggle('A2');
    seats.applyChange({ showId: 's1', seats: [{ id: 'A2', status: 'held' }], commitIndex: 5 });
    t.deepEqual(seats.selected, ['A1']);
    t.regex(seats.notice ?? '', /A2 was just taken/);
    seats.applyChange({ showId: 's1', seats: [{ id: 'A2', status: 'available' }], commitIndex: 4 });
    t.is(seats.statusOf('A2'), 'held', 'an older notification does not undo a newer one');
    seats.applyChange({ showId: 'other', seats: [{ id: 'A1', status: 'booked' }], commitIndex: 9 });
    t.is(seats.statusOf('A1'), 'selected', 'another show’s change is not ours');
    client.close();
  },
);

test.serial('seats: our own hold’s push racing ahead of its answer does not read as "taken"', async (t) => {
  const { server, client } = setup();
  server.on('seats.hold', (req, socket) => {
    const seatIds = req.params.seatIds as string[];
    // The node pushes the change to subscribers before it answers the hold itself.
    socket.push({
      jsonrpc: '2.0',
      method: 'seats.changed',
      params: { showId: 's1', seats: seatIds.map((id) => ({ id, status: 'held' })), commitIndex: 7 },
    });
    return { holdId: 'h1', showId: 's1', seatIds, expiresAt: '2030-01-01T19:05:00+01:00', commitIndex: 7 };
  });
  const seats = useSeatsStore();
  seats.open(show, movie);
  await seats.loadMap();
  client.onSeatsChanged((change) => seats.applyChange(change));
  seats.toggle('A2');
  seats.toggle('A3');
  t.true(await seats.holdSelected());
  t.deepEqual(seats.selected, ['A2', 'A3']);
  t.is(seats.notice, null);
  t.is(seats.hold?.holdId, 'h1');
  t.is(seats.statusOf('A2'), 'selected');
  client.close();
});

test.serial(
  'seats: a hold refused with SEATS_UNAVAILABLE drops exactly the taken seats and re-reads the map',
  async (t) => {
    const { server, client } = setup();
    server.on('seats.hold', () => {
      throw new Reply(1010, 'taken', { reason: 'SEATS_UNAVAILABLE', seatIds: ['A3'] });
    });
    const seats = useSeatsStore();
    seats.open(show, movie);
    await seats.loadMap();
    seats.toggle('A2');
    seats.toggle('A3');
    t.false(await seats.holdSelected());
    t.deepEqual(seats.selected, ['A2']);
    t.regex(seats.error ?? '', /A3 just went to someone else/);
    await flush();
    t.is(server.calls('seats.map').length, 2);
    client.close();
  },
);

test.serial('seats: hold, release, expiry, best seats and the single-seat warning', async (t) => {
  const { server, client } = setup();
  server.on('seats.hold', (req) => ({
    holdId: 'h2',
    showId: 's1',
    seatIds: req.params.seatIds,
    expiresAt: '2030-01-01T19:05:00.000+01:00',
    commitIndex: 3,
  }));
  server.on('seats.release', (req) => ({ holdId: req.params.holdId, released: true }));
  const seats = useSeatsStore();
  seats.open(show, movie);
  await seats.loadMap();

  seats.toggle('B1');
  seats.toggle('B3');
  t.deepEqual(seats.stranded, ['B2'], 'B1 + B3 would leave B2 alone');
  seats.toggle('B2');
  t.deepEqual(seats.stranded, []);

  t.true(seats.suggest(3));
  t.is(seats.selected.length, 3);
  t.true(
    seats.selected.every((id) => id.startsWith('B')),
    'the best block is in the back row here',
  );

  t.true(await seats.holdSelected());
  t.is(seats.remainingMs(Date.parse('2030-01-01T19:04:00.000+01:00')), 60_000);
  seats.toggle('A1');
  t.is(seats.selected.length, 3, 'a held selection is locked');
  await seats.release();
  t.is(seats.hold, null);
  t.deepEqual(
    server.calls('seats.release').map((r) => r.params.holdId),
    ['h2'],
  );

  t.true(await seats.holdSelected());
  seats.expire();
  t.true(seats.expired);
  t.is(seats.hold, null);
  t.deepEqual(seats.selected, []);
  client.close();
});

test.serial(
  'checkout: one idempotency key per hold, kept across a reload, repeated through NO_MASTER',
  async (t) => {
    const { server, client } = setup();
    let attempts = 0;
    server.on('bookings.confirm', () => {
      if (++attempts < 3) throw noMaster();
      return booking();
    });
    const saved = new Map<string, string>();
    const storage: DraftStorage = {
      getItem: (k) => saved.get(k) ?? null,
      setItem: (k, v) => void saved.set(k, v),
      removeItem: (k) => void saved.delete(k),
    };
    const hold = {
      holdId: 'h1',
      showId: 's1',
      seatIds: ['A2', 'A3'],
      expiresAt: '2030-01-01T19:05:00+01:00',
      commitIndex: 3,
    };
    const checkout = useCheckoutStore();
    checkout.useStorage(storage);
    const draft = checkout.begin({ hold, show, movieTitle: 'Vertigo', lines: [], totalCents: 2000 });
    t.regex(draft.idempotencyKey, /^[0-9a-f]{32}$/);
    t.is(
      checkout.begin({ hold, show, movieTitle: 'Vertigo', lines: [], totalCents: 2000 }).idempotencyKey,
      draft.idempotencyKey,
    );

    // A reload: a fresh store finds the same draft, and so the same key.
    setActivePinia(createPinia());
    const reloaded = useCheckoutStore();
    reloaded.useStorage(storage);
    t.is(reloaded.restore()?.idempotencyKey, draft.idempotencyKey);

    reloaded.name = 'Ada';
    reloaded.email = 'not an email';
    t.false(reloaded.valid);
    t.is(await reloaded.confirm(), null, 'an invalid form sends nothing');
    reloaded.email = ' ada@example.com ';
    t.true(reloaded.valid);
    const result = await reloaded.confirm();
    t.is(result?.code, 'ABCDEFGHJKLMNPQR');
    t.deepEqual(
      server.calls('bookings.confirm').map((r) => r.params.idempotencyKey),
      [draft.idempotencyKey, draft.idempotencyKey, draft.idempotencyKey],
    );
    t.deepEqual(server.calls('bookings.confirm')[0]?.params.customer, {
      name: 'Ada',
      email: 'ada@example.com',
    });
    t.is(reloaded.draft, null);
    t.false(saved.has('booking.checkout'), 'a finished checkout leaves nothing behind');

    const other = { ...hold, holdId: 'h9' };
    t.not(
      reloaded.begin({ hold: other, show, movieTitle: 'Vertigo', lines: [], totalCents: 0 }).idempotencyKey,
      draft.idempotencyKey,
    );
    t.true(isEmail('a@b.co'));
    t.false(isEmail('a@b'));
    client.close();
  },
);

test.serial('checkout: an expired hold is told in words, not codes', async (t) => {
  const { server, client } = setup();
  server.on('bookings.confirm', () => {
    throw new Reply(1012, 'expired', { reason: 'HOLD_EXPIRED' });
  });
  const checkout = useCheckoutStore();
  checkout.useStorage(null);
  const hold = {
    holdId: 'h1',
    showId: 's1',
    seatIds: ['A2'],
    expiresAt: '2030-01-01T19:05:00+01:00',
    commitIndex: 3,
  };
  checkout.begin({ hold, show, movieTitle: 'Vertigo', lines: [], totalCents: 1000 });
  checkout.name = 'Ada';
  checkout.email = 'ada@example.com';
  t.is(await checkout.confirm(), null);
  t.regex(checkout.error ?? '', /hold on these seats has expired/);
  t.is(server.calls('bookings.confirm').length, 1, 'a rule saying no is not retried');
  client.close();
});

test.serial(
  'booking lookup: codes are cleaned of spaces; cancel shows the cancelled booking; unknown codes say so',
  async (t) => {
    const { server, client } = setup();
    server.on('bookings.get', (req) => {
      if (req.params.code !== 'ABCDEFGHJKLMNPQR')
        throw new Reply(1005, 'nope', { reason: 'BOOKING_NOT_FOUND' });
      return booking();
    });
    server.on('bookings.cancel', () => booking({ status: 'cancelled', commitIndex: 13 }));
    t.is(normaliseCode(' ABCD EFGH\tJKLM NPQR\n'), 'ABCDEFGHJKLMNPQR');
    const store = useBookingStore();
    t.is((await store.load(' ABCDEFGH JKLMNPQR '))?.code, 'ABCDEFGHJKLMNPQR');
    t.true(await store.cancel());
    t.is(store.booking?.status, 'cancelled');
    t.is(client.commitIndex, 13, 'the cancel’s commit index is what later reads wait for');
    t.is(await store.load('WRONG'), null);
    t.is(store.error, 'No booking has that code.');
    t.is(await store.load('   '), null);
    t.regex(store.error ?? '', /Enter the booking code/);
    client.close();
  },
);

test.serial(
  'catalog: search matches title and overview, genre filters, genres are listed once',
  async (t) => {
    const { server, client } = setup();
    const other = {
      ...movie,
      id: 'm2',
      title: 'Casablanca',
      overview: 'Of all the gin joints.',
      genres: ['Drama', 'Romance'],
    };
    server.on('catalog.movies', () => [movie, other]);
    const catalog = useCatalogStore();
    await catalog.loadMovies();
    t.deepEqual(catalog.genres, ['Drama', 'Mystery', 'Romance']);
    catalog.search = 'TOWER';
    t.deepEqual(
      catalog.visible.map((m) => m.id),
      ['m1'],
    );
    catalog.search = '';
    catalog.genre = 'Drama';
    t.deepEqual(
      catalog.visible.map((m) => m.id),
      ['m2'],
    );
    t.false(matchesMovie(movie, 'vertigo', 'Drama'));
    client.close();
  },
);

test.serial(
  'cluster dashboard: nodes found from peers, a silent node shown down, the highest epoch names the master, events merged',
  async (t) => {
    setActivePinia(createPinia());
    const status = (nodeId: number, role: 'master' | 'slave', epoch: number, masterId: number) => ({
      nodeId,
      role,
      masterId,
      epoch,
      lamport: 10 * nodeId,
      commitIndex: 5,
      appliedIndex: 5,
      peers: [1, 2, 3]
        .filter((id) => id !== nodeId)
        .map((id) => ({ nodeId: id, url: `ws://n${id}`, alive: true, role: null, commitIndex: null })),
    });
    const down = new Set<number>();
    const views = new Map<number, ReturnType<typeof status>>([
      [1, status(1, 'slave', 1, 3)],
      [2, status(2, 'slave', 1, 3)],
      [3, status(3, 'master', 1, 3)],
    ]);
    const asked: (number | undefined)[] = [];
    const probe = (id: number): NodeProbe => ({
      status: async () => {
        if (down.has(id)) throw new Error('connection refused');
        return views.get(id)!;
      },
      events: async (since) => {
        if (id === 1) asked.push(since);
        return [
          {
            nodeId: id,
            lamport: id + (since ?? 0),
            type: 'role.changed',
            at: '2030-01-01T00:00:00Z',
            detail: {},
          },
        ];
      },
      close: () => {},
    });
    const cluster = useClusterStore();
    cluster.useProbes(probe);
    await cluster.pollOnce([1]);
    t.deepEqual(
      cluster.list.map((n) => n.id),
      [1, 2, 3],
      'peers of the first node are discovered',
    );
    await cluster.pollOnce();
    t.is(cluster.masterId, 3);
    t.true(cluster.list.every((n) => n.health === 'up'));

    // The master dies; node 2 wins the election at epoch 2 while node 1 still names the old master.
    down.add(3);
    views.set(2, status(2, 'master', 2, 2));
    await cluster.pollOnce();
    t.is(cluster.nodes[3]?.health, 'down');
    t.is(cluster.nodes[3]?.status?.role, 'master', 'last known role is kept for the "last seen as" line');
    t.is(cluster.masterId, 2);
    t.is(asked[0], undefined);
    t.true((asked[1] ?? 0) > 0, 'later rounds ask only for newer events');
    const order = cluster.events.map((e) => [e.lamport, e.nodeId]);
    t.deepEqual(
      order,
      [...order].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
      'one timeline in Lamport order',
    );
  },
);

test.serial(
  'cluster dashboard: a node that does not answer is given up on at its timeout, not retried',
  async (t) => {
    const server = new FakeServer();
    server.up = false;
    const probe = clientProbe(fakeClient(server, { timeoutMs: 20 }));
    const error = await t.throwsAsync(probe.status());
    t.regex(error.message, /no connection/);
    t.is(server.requests.length, 0);
    probe.close();
  },
);
