import test from 'ava';
import { startCatalogServer } from './helpers/catalog-server.js';
import { rpcError } from './helpers/rpc-client.js';
import { ADMIN_TOKEN, withNode } from './helpers/with-node.js';

const today = () => new Date().toISOString().slice(0, 10);

test('admin.importCatalog fetches over HTTP, skips and reports a malformed movie, and the shows become bookable', (t) =>
  withNode(t, async ({ connect }) => {
    const server = await startCatalogServer({ apiKey: 'k-123', today: today(), malformedMovies: [872] });
    t.teardown(() => server.close());
    const admin = await connect({ token: ADMIN_TOKEN });
    const report = await admin.call('admin.importCatalog', {
      source: 'tmdb',
      tmdbUrl: server.url,
      tmdbKey: 'k-123',
      showtimesUrl: server.showtimesUrl,
    });
    t.true(report.movies >= 12, `${report.movies} movies imported`);
    t.is(report.theaters, 3);
    t.true(report.shows > 0);
    t.true(report.skipped.some((s) => s.source === 'tmdb:movie' && s.id === '872'));

    const anyone = await connect();
    const movies = await anyone.call('catalog.movies', {});
    t.is(movies.length, report.movies + 2, 'imported movies join the ones already there');
    t.false(movies.some((m) => m.id === '872'));
    const upcoming = (await anyone.call('catalog.shows', {})).find(
      (s) => Date.parse(s.startsAt) > Date.now(),
    );
    t.truthy(upcoming, 'a show still to come');
    const map = await anyone.call('seats.map', { showId: upcoming!.id });
    const seat = map.rows[0]!.seats[0]!.id;
    const booking = await anyone.call('bookings.book', {
      showId: upcoming!.id,
      seatIds: [seat],
      customer: { name: 'Grace Hopper', email: 'grace@example.org' },
    });
    t.deepEqual(booking.seatIds, [seat]);
  }));

test('admin.importCatalog needs the admin token and, for tmdb, both source URLs', (t) =>
  withNode(t, async ({ connect }) => {
    const anon = await connect();
    t.is((await rpcError(anon.call('admin.importCatalog', { source: 'bundled' }))).reason, 'UNAUTHORIZED');
    const admin = await connect({ token: ADMIN_TOKEN });
    const missing = await rpcError(
      admin.call('admin.importCatalog', { source: 'tmdb', tmdbUrl: 'http://127.0.0.1:9/' }),
    );
    t.is(missing.code, -32602);
    t.is((missing.data as { field?: string }).field, 'showtimesUrl');
    t.is((await anon.call('catalog.movies', {})).length, 2, 'nothing changed');
  }));

test('an import the source refuses fails clearly and keeps the old catalog', (t) =>
  withNode(t, async ({ connect }) => {
    const server = await startCatalogServer({ apiKey: 'right' });
    t.teardown(() => server.close());
    const admin = await connect({ token: ADMIN_TOKEN });
    const failed = await rpcError(
      admin.call('admin.importCatalog', {
        source: 'tmdb',
        tmdbUrl: server.url,
        tmdbKey: 'wrong',
        showtimesUrl: server.showtimesUrl,
      }),
    );
    t.is(failed.code, -32001);
    t.regex(failed.message, /^catalog import failed: .*(401|key|auth)/i);
    t.is((failed.data as { kind?: string }).kind, 'auth');
    t.false(failed.message.includes('wrong'), 'the key is not echoed');
    t.is((await admin.call('catalog.movies', {})).length, 2);
  }));
