/**
 * admin.importCatalog cannot be turned against the node's own network: schemes and hosts are
 * configured, loopback and private addresses refused unless allowed, redirects checked, responses
 * capped; and a snapshot becomes several bounded log entries that add up to the whole.
 */
import test from 'ava';
import fc from 'fast-check';
import { pino } from 'pino';
import { CatalogImportError } from '../../src/catalog/importer.js';
import { type CatalogSnapshot, importCatalog } from '../../src/catalog/index.js';
import { checkUrl, isPublicAddress, UrlRefused } from '../../src/catalog/url-policy.js';
import { DEFAULT_IMPORT_POLICY, runCatalogImport, splitSnapshot } from '../../src/catalog-import.js';
import { startCatalogServer } from '../helpers/catalog-server.js';
import { fixtureCatalog } from '../helpers/fixture-catalog.js';

test('non-public addresses are recognised, IPv4-mapped forms too', (t) => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
  ]) {
    t.false(isPublicAddress(a), a);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8'])
    t.true(isPublicAddress(a), a);
});

test('the default policy refuses http, loopback names and addresses, credentials; allowed hosts are exact', async (t) => {
  for (const url of [
    'http://api.themoviedb.org/',
    'https://127.0.0.1/',
    'https://localhost/',
    'https://[::1]/',
    'https://169.254.169.254/latest/meta-data',
    'https://user:pw@api.themoviedb.org/',
    'file:///etc/passwd',
    'not a url',
  ]) {
    await t.throwsAsync(checkUrl(url, DEFAULT_IMPORT_POLICY), { instanceOf: UrlRefused }, url);
  }
  const hosts = { schemes: ['https'], hosts: ['api.themoviedb.org', '*.movieglu.com'], allowPrivate: true };
  await t.notThrowsAsync(checkUrl('https://api.themoviedb.org/3', hosts));
  await t.notThrowsAsync(checkUrl('https://api-gate2.movieglu.com/', hosts));
  await t.throwsAsync(checkUrl('https://api.themoviedb.org.evil.example/', hosts), {
    instanceOf: UrlRefused,
  });
  await t.throwsAsync(checkUrl('https://movieglu.com.evil.example/', hosts), { instanceOf: UrlRefused });
});

test('a node-side import with the default policy refuses a loopback source before fetching anything', async (t) => {
  const server = await startCatalogServer({ apiKey: 'k' });
  t.teardown(() => server.close());
  const error = await t.throwsAsync(
    runCatalogImport(
      { source: 'tmdb', tmdbUrl: server.url, showtimesUrl: server.showtimesUrl, tmdbKey: 'k' },
      async () => t.fail('nothing may be proposed'),
      pino({ level: 'silent' }),
      () => fixtureCatalog(),
    ),
  );
  t.is((error as { code?: number }).code, -32602);
  t.regex(error!.message, /tmdbUrl: .*(scheme|loopback|private)/);
  t.is(server.requests.length, 0, 'no request reached the source');
});

test('a redirect to a host outside the policy is refused, and an oversized response fails its request', async (t) => {
  const server = await startCatalogServer({ apiKey: 'k' });
  t.teardown(() => server.close());
  const base = {
    tmdbKey: 'k',
    showtimesUrl: server.showtimesUrl,
    retries: 0,
    timeoutMs: 2_000,
  };
  const capped = await t.throwsAsync(importCatalog({ ...base, tmdbUrl: server.url, maxResponseBytes: 64 }), {
    instanceOf: CatalogImportError,
  });
  t.regex(capped!.message, /over the 64-byte limit/);
  // Only 127.0.0.1 is allowed; `localhost` (the same machine by another name) is not.
  const policy = { schemes: ['http'], hosts: ['127.0.0.1'], allowPrivate: true };
  const port = new URL(server.url).port;
  const redirectFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname === '127.0.0.1') {
      return new Response(null, {
        status: 302,
        headers: { location: `http://localhost:${port}${url.pathname}${url.search}` },
      });
    }
    return fetch(input, init);
  };
  const refused = await t.throwsAsync(
    importCatalog({ ...base, tmdbUrl: server.url, urlPolicy: policy, fetchImpl: redirectFetch }),
    { instanceOf: CatalogImportError },
  );
  t.is(refused!.kind, 'refused');
  t.regex(refused!.message, /localhost/);
});

/** What upserting parts does: the last record with an id wins, per table. */
function applyAll(parts: readonly CatalogSnapshot[]) {
  const movies = new Map<string, unknown>();
  const theaters = new Map<string, unknown>();
  const shows = new Map<string, unknown>();
  for (const p of parts) {
    for (const m of p.movies) movies.set(m.id, m);
    for (const th of p.theaters) theaters.set(th.id, th);
    for (const s of p.shows) {
      if (!theaters.has(s.theaterId)) return null; // a show before its theater: seat counts unknown
      shows.set(s.id, s);
    }
  }
  return { movies, theaters, shows };
}

test('a snapshot splits into bounded parts that, applied in order, give the whole snapshot', async (t) => {
  const whole = await fixtureCatalog();
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.shuffledSubarray(whole.shows), (max, shows) => {
      const snapshot = { ...whole, shows };
      const parts = splitSnapshot(snapshot, max);
      const bounded = parts.every(
        (p) =>
          p.movies.length <= max &&
          p.shows.length <= max &&
          p.theaters.length <= Math.max(max, whole.theaters.length),
      );
      const once = applyAll([snapshot]);
      const split = applyAll(parts);
      return (
        bounded &&
        split !== null &&
        once !== null &&
        JSON.stringify([...split.movies]) === JSON.stringify([...once.movies]) &&
        JSON.stringify([...split.shows].sort()) === JSON.stringify([...once.shows].sort()) &&
        split.theaters.size === once.theaters.size &&
        parts.at(-1)!.movies.length > 0 === whole.movies.length > 0
      );
    }),
  );
  t.pass();
});
