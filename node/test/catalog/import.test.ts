import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import {
  CatalogImportError,
  type CatalogSnapshot,
  type ImportOptions,
  type ImportProgress,
  importCatalog,
  loadBundledCatalog,
} from '../../src/catalog/index.js';
import { localDate } from '../../src/catalog/time.js';
import {
  type CatalogServer,
  type CatalogServerOptions,
  startCatalogServer,
} from '../helpers/catalog-server.js';

interface Context {
  servers: CatalogServer[];
}
const test = anyTest as TestFn<Context>;

test.beforeEach((t) => {
  t.context.servers = [];
});
test.afterEach.always(async (t) => {
  await Promise.all(t.context.servers.map((s) => s.close()));
});

/** The recording's first day: importing "now" then asks for exactly the recorded dates. */
const RECORDED_NOW = new Date('2026-03-23T09:00:00Z');
const KEY = 'test-key';

/** Refuses anything but loopback, so a wrong URL fails the test instead of reaching the internet. */
const localFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.hostname !== '127.0.0.1') throw new Error(`test tried to reach ${url.host}`);
  return fetch(input, init);
};

async function serve(t: ExecutionContext<Context>, opts: CatalogServerOptions = {}): Promise<CatalogServer> {
  const server = await startCatalogServer({ apiKey: KEY, ...opts });
  t.context.servers.push(server);
  return server;
}

function options(server: CatalogServer, extra: Partial<ImportOptions> = {}): ImportOptions {
  return {
    tmdbUrl: server.url,
    tmdbKey: KEY,
    showtimesUrl: server.showtimesUrl,
    now: RECORDED_NOW,
    days: 7,
    fetchImpl: localFetch,
    timeoutMs: 2_000,
    retries: 2,
    backoffMs: 1,
    maxBackoffMs: 5,
    ...extra,
  };
}

function withoutPosters(s: CatalogSnapshot): CatalogSnapshot {
  return { ...s, movies: s.movies.map((m) => ({ ...m, posterUrl: null })) };
}

test('a clean import over HTTP equals the bundled catalog, posters aside', async (t) => {
  const server = await serve(t);
  const progress: ImportProgress[] = [];
  const { snapshot, skipped } = await importCatalog(options(server, { onProgress: (p) => progress.push(p) }));
  t.deepEqual(skipped, []);
  t.deepEqual(withoutPosters(snapshot), loadBundledCatalog(RECORDED_NOW, 7));
  t.is(
    snapshot.movies.find((m) => m.id === '19')?.posterUrl,
    'https://image.tmdb.org/t/p/w342/vZIJxGnjcswPCAa52jhbl01FQkV.jpg',
  );

  for (const phase of ['tmdb', 'details', 'cinemas', 'showtimes'] as const) {
    const ps = progress.filter((p) => p.phase === phase);
    t.true(ps.length > 1, phase);
    t.deepEqual(
      ps.map((p) => p.done),
      ps.map((_, i) => i),
      `${phase} counts up by one`,
    );
    t.is(ps.at(-1)?.done, ps.at(-1)?.total, `${phase} finishes`);
  }
  t.is(progress.find((p) => p.phase === 'details')?.total, 16);
  t.is(progress.find((p) => p.phase === 'showtimes')?.total, 21, '3 cinemas x 7 days');
  t.is(server.hits('/cinemaShowTimes'), 21);
  t.true(server.requests.every((r) => !r.includes(KEY)));
});

test('against a source that is live today, the import equals the bundled catalog rebased to today', async (t) => {
  const now = new Date();
  const server = await serve(t, { today: localDate(now, 'Europe/Berlin') });
  const { snapshot, skipped } = await importCatalog(options(server, { now }));
  t.deepEqual(skipped, []);
  t.deepEqual(withoutPosters(snapshot), loadBundledCatalog(now, 7));
});

test('importing the same data twice gives the same ids', async (t) => {
  const server = await serve(t);
  const a = await importCatalog(options(server));
  const b = await importCatalog(options(server));
  t.deepEqual(
    b.snapshot.shows.map((s) => s.id),
    a.snapshot.shows.map((s) => s.id),
  );
  t.deepEqual(b.snapshot, a.snapshot);
});

test('a malformed movie is skipped and reported, its shows dropped, everything else imported', async (t) => {
  const server = await serve(t, { malformedMovies: [872] });
  const clean = loadBundledCatalog(RECORDED_NOW);
  const { snapshot, skipped } = await importCatalog(options(server));
  t.is(snapshot.movies.length, clean.movies.length - 1);
  t.false(snapshot.movies.some((m) => m.id === '872'));
  t.deepEqual(
    snapshot.shows,
    clean.shows.filter((s) => s.movieId !== '872'),
  );
  t.deepEqual(snapshot.theaters, clean.theaters);
  t.is(skipped[0]?.source, 'tmdb:movie');
  t.is(skipped[0]?.id, '872');
  t.regex(skipped[0]?.error ?? '', /runtime/);
  t.regex(skipped[0]?.error ?? '', /genres/);
  t.deepEqual(
    skipped.slice(1).map((s) => [s.source, s.id]),
    [
      ['showtimes:film', '20202/300872'],
      ['showtimes:film', '30303/300872'],
    ],
  );
  t.is(server.hits('/3/movie/872'), 1, 'a bad shape is not retried');
});

test('a 404 movie is skipped and reported without retries', async (t) => {
  const server = await serve(t, { notFoundMovies: [15] });
  const { snapshot, skipped } = await importCatalog(options(server));
  t.is(snapshot.movies.length, 15);
  t.deepEqual(skipped[0], { source: 'tmdb:movie', id: '15', error: 'HTTP 404' });
  t.is(server.hits('/3/movie/15'), 1);
});

test('a transient 500 is retried and the import is complete', async (t) => {
  const server = await serve(t, {
    fail500: { '/3/genre/movie/list': 1, '/3/movie/289': 2, '/cinemaShowTimes': 2 },
  });
  const { snapshot, skipped } = await importCatalog(options(server));
  t.deepEqual(skipped, []);
  t.deepEqual(withoutPosters(snapshot), loadBundledCatalog(RECORDED_NOW));
  t.is(server.hits('/3/genre/movie/list'), 2);
  t.is(server.hits('/3/movie/289'), 3);
  t.is(server.hits('/cinemaShowTimes'), 23);
});

test('a 500 that outlasts the retries is reported; on a request everything needs, the import fails', async (t) => {
  const server = await serve(t, { fail500: { '/3/movie/426': 10 } });
  const { snapshot, skipped } = await importCatalog(options(server, { retries: 1 }));
  t.false(snapshot.movies.some((m) => m.id === '426'));
  t.is(skipped[0]?.id, '426');
  t.regex(skipped[0]?.error ?? '', /GET \/3\/movie\/426 failed after 2 attempts: HTTP 500/);
  t.is(server.hits('/3/movie/426'), 2);

  const down = await serve(t, { fail500: { '/cinemasNearby': 10 } });
  const error = await t.throwsAsync(importCatalog(options(down, { retries: 1 })), {
    instanceOf: CatalogImportError,
  });
  t.is(error?.kind, 'upstream');
  t.regex(error?.message ?? '', /cinemasNearby failed after 2 attempts/);
});

// Timeouts of a second, against 5 s of injected delay: a loaded machine must not make the
// ordinary responses time out too.
test('a slow response times out, is retried, then reported', async (t) => {
  const server = await serve(t, { slow: { '/3/movie/1092': { ms: 5_000 } } });
  const { snapshot, skipped } = await importCatalog(options(server, { timeoutMs: 1_000, retries: 2 }));
  t.is(server.hits('/3/movie/1092'), 3, 'first try plus two retries');
  t.false(snapshot.movies.some((m) => m.id === '1092'));
  t.deepEqual(skipped[0], {
    source: 'tmdb:movie',
    id: '1092',
    error: 'GET /3/movie/1092 failed after 3 attempts: timed out after 1000 ms',
  });
  t.is(snapshot.movies.length, 15);
});

test('a response that is slow once succeeds on the retry', async (t) => {
  const server = await serve(t, { slow: { '/3/movie/now_playing': { ms: 5_000, times: 1 } } });
  const { snapshot, skipped } = await importCatalog(options(server, { timeoutMs: 1_000 }));
  t.deepEqual(skipped, []);
  t.is(snapshot.movies.length, 16);
  t.is(server.hits('/3/movie/now_playing'), 2);
});

test('a bad API key fails the import clearly, once, without echoing the key', async (t) => {
  const server = await serve(t);
  const wrong = 'not-the-key-0123456789';
  const error = await t.throwsAsync(importCatalog(options(server, { tmdbKey: wrong })), {
    instanceOf: CatalogImportError,
  });
  t.is(error?.kind, 'auth');
  t.is(error?.status, 401);
  t.regex(error?.message ?? '', /GET \/3\/configuration was refused \(HTTP 401\): Invalid API key/);
  t.false(error?.message.includes(wrong));
  t.is(server.hits('/3/configuration'), 1, 'a 4xx is not retried');
  t.is(server.hits('/3/movie/now_playing'), 0);
});

test('a v4 read access token goes as a Bearer header instead of api_key', async (t) => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ0ZXN0In0.c2lnbmF0dXJl';
  const server = await serve(t, { apiKey: token });
  const { snapshot } = await importCatalog(options(server, { tmdbKey: token }));
  t.is(snapshot.movies.length, 16);
  t.true(server.requests.every((r) => !r.includes('api_key')));
});

test('an invalid showtime from the source is skipped and reported', async (t) => {
  const server = await serve(t, { badShowtimes: [30303] });
  const clean = loadBundledCatalog(RECORDED_NOW);
  const { snapshot, skipped } = await importCatalog(options(server));
  t.is(skipped.length, 7, 'the first showing of each of the 7 days');
  t.true(skipped.every((s) => s.source === 'showtimes:showing' && s.id?.startsWith('30303/')));
  t.regex(skipped[0]?.error ?? '', /start_time: expected HH:MM/);
  t.is(snapshot.shows.length, clean.shows.length - 7);
  t.is(snapshot.movies.length, clean.movies.length);
});

test('a day with nothing on (204) is simply empty', async (t) => {
  const server = await serve(t);
  // Two days past the recording's end: days 6 and 7 of this window have no data.
  const now = new Date('2026-03-25T09:00:00Z');
  const { snapshot, skipped } = await importCatalog(options(server, { now }));
  t.deepEqual(skipped, []);
  t.deepEqual([...new Set(snapshot.shows.map((s) => s.startsAt.slice(0, 10)))].sort(), [
    '2026-03-25',
    '2026-03-26',
    '2026-03-27',
    '2026-03-28',
    '2026-03-29',
  ]);
});

test('an unreachable source is retried, then fails with the network reason', async (t) => {
  const server = await serve(t);
  const url = server.url;
  await server.close();
  t.context.servers = [];
  const error = await t.throwsAsync(
    importCatalog(options(server, { tmdbUrl: url, showtimesUrl: `${url}/` })),
    { instanceOf: CatalogImportError },
  );
  t.regex(error?.message ?? '', /\/3\/configuration failed after 3 attempts: fetch failed: ECONNREFUSED/);
});
