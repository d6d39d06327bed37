import test from 'ava';
import {
  adaptRecording,
  type CatalogSnapshot,
  loadBundledCatalog,
  readRecording,
  seatCount,
} from '../../src/catalog/index.js';
import { localDate } from '../../src/catalog/time.js';
import { Movie } from '../../src/protocol/model.js';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;
// Mid-morning UTC: the same calendar date in Berlin and Vienna.
const NOW = new Date('2026-11-24T10:00:00Z');

function distinctDates(snapshot: CatalogSnapshot, theaterId: string): string[] {
  return [
    ...new Set(snapshot.shows.filter((s) => s.theaterId === theaterId).map((s) => s.startsAt.slice(0, 10))),
  ];
}

test('the recording adapts without a single skipped record', (t) => {
  const { skipped, snapshot } = adaptRecording(readRecording());
  t.deepEqual(skipped, []);
  t.true(snapshot.shows.length > 0);
});

test('movies: at least 12, valid wire shapes, genres named, no poster URLs offline', (t) => {
  const { movies } = loadBundledCatalog(NOW);
  t.true(movies.length >= 12);
  t.is(movies.length, 16);
  for (const m of movies) {
    t.notThrows(() => Movie.parse(m), m.id);
    t.regex(m.id, /^\d+$/, 'movie id is the TMDB id');
    t.true(m.genres.length > 0, `${m.title} has genres`);
    t.true(m.overview.length > 20);
    t.is(m.posterUrl, null, 'the offline catalog must not point at the internet');
  }
  const casablanca = movies.find((m) => m.id === '289');
  t.deepEqual(casablanca?.genres, ['Drama', 'Romance']);
  t.is(casablanca?.runtimeMinutes, 102);
  t.is(casablanca?.rating, 8.2, 'vote_average 8.152 rounded to one decimal');
  t.is(movies.find((m) => m.id === '990004')?.rating, null, 'no votes is no rating');
  t.deepEqual(movies.find((m) => m.id === '990002')?.genres, ['Animation', 'Family', 'Science Fiction']);
});

test('theaters: 3, each with 2+ screens, all layouts distinct and well formed', (t) => {
  const { theaters } = loadBundledCatalog(NOW);
  t.deepEqual(
    theaters.map((th) => th.id),
    ['t-10101', 't-20202', 't-30303'],
  );
  const layouts = new Set<string>();
  for (const th of theaters) {
    t.true(th.screens.length >= 2, th.name);
    th.screens.forEach((s, i) => {
      t.is(s.id, `${th.id}-s${i + 1}`);
      for (const row of s.layout) t.regex(row, /^[SPW.]+$/);
      t.true(s.layout.join('').includes('W'), `${s.name} has wheelchair places`);
      layouts.add(JSON.stringify(s.layout));
    });
  }
  const screens = theaters.flatMap((th) => th.screens);
  t.is(layouts.size, screens.length, 'no two screens share a layout');
  const sizes = new Set(screens.map((s) => seatCount(s.layout)));
  t.true(sizes.size >= 5, 'screens differ in size');
  t.true(
    screens.some((s) => !s.layout.join('').includes('P')),
    'at least one screen has no premium seats',
  );
  t.true(
    screens.some((s) => s.layout.some((row) => /[SPW]\.+[SPW]/.test(row))),
    'some screens have aisles',
  );
});

test('shows: 7 days from today, ISO with offset, references resolve, prices in cents', (t) => {
  const snap = loadBundledCatalog(NOW);
  const movies = new Set(snap.movies.map((m) => m.id));
  const screens = new Map(
    snap.theaters.flatMap((th) => th.screens.map((s) => [s.id, { th: th.id, s }] as const)),
  );
  const ids = new Set<string>();
  for (const show of snap.shows) {
    t.regex(show.startsAt, ISO_WITH_OFFSET);
    t.true(movies.has(show.movieId), `${show.id} movie`);
    const screen = screens.get(show.screenId);
    t.truthy(screen, `${show.id} screen`);
    t.is(screen?.th, show.theaterId, `${show.id} screen belongs to its theater`);
    t.false(ids.has(show.id), `${show.id} unique`);
    ids.add(show.id);
    t.true(Number.isInteger(show.prices.standard) && show.prices.standard > 0);
    const hasPremium = screen?.s.layout.join('').includes('P') ?? false;
    t.is(show.prices.premium !== undefined, hasPremium, `${show.id} premium price iff premium seats`);
    if (show.prices.premium !== undefined) t.true(show.prices.premium > show.prices.standard);
    t.is(show.currency, 'EUR');
  }
  for (const th of snap.theaters) {
    const dates = distinctDates(snap, th.id);
    t.is(dates.length, 7, th.name);
    t.is(dates.sort()[0], '2026-11-24');
  }
  t.true(snap.shows.length / 7 >= 20, 'a realistic number of shows per day');
  t.deepEqual(
    [...new Set(snap.shows.map((s) => s.movieId))].sort(),
    [...movies].sort(),
    'every movie plays somewhere',
  );
});

test('prices vary by theater and by time of day', (t) => {
  const { shows } = loadBundledCatalog(NOW);
  const berlin = shows.filter((s) => s.theaterId === 't-10101');
  const at = (time: string) => berlin.find((s) => s.startsAt.slice(11, 16) === time)?.prices.standard;
  t.is(at('14:00'), 950, 'matinee');
  t.is(at('20:00') ?? at('20:30'), 1150, 'evening');
  t.is(at('22:45'), 1050, 'late');
  const evening = (theaterId: string) =>
    shows.find((s) => s.theaterId === theaterId && s.startsAt.slice(11, 13) === '19')?.prices.standard;
  t.not(evening('t-10101'), evening('t-20202'));
  t.not(evening('t-20202'), evening('t-30303'));
});

test('ids are stable across loads; an earlier or later day gives other show ids', (t) => {
  const a = loadBundledCatalog(NOW);
  const b = loadBundledCatalog(new Date(NOW));
  t.deepEqual(a, b);
  const later = loadBundledCatalog(new Date('2026-11-25T10:00:00Z'));
  t.deepEqual(later.movies, a.movies);
  t.deepEqual(later.theaters, a.theaters);
  t.is(later.shows.length, a.shows.length);
  t.false(later.shows.some((s) => a.shows[0]?.id === s.id));
});

test('days narrows the window, and "today" is each theater\'s own', (t) => {
  t.is(distinctDates(loadBundledCatalog(NOW, 3), 't-10101').length, 3);
  // 23:30 UTC on the 23rd is already the 24th in Berlin and Vienna.
  const lateUtc = new Date('2026-11-23T23:30:00Z');
  const snap = loadBundledCatalog(lateUtc, 7);
  t.is(localDate(lateUtc, 'Europe/Berlin'), '2026-11-24');
  t.is(distinctDates(snap, 't-30303').sort()[0], '2026-11-24');
});
