import test from 'ava';
import {
  adaptRecording,
  readRecording,
  rebaseShows,
  timeZoneLookup,
  windowShows,
} from '../../src/catalog/index.js';
import type { CatalogShow } from '../../src/catalog/model.js';
import { addDays, localDate, localTime, zonedIso } from '../../src/catalog/time.js';

test('local wall times get the offset in force that day', (t) => {
  t.is(zonedIso('2026-11-24', '19:30', 'Europe/Berlin'), '2026-11-24T19:30:00+01:00');
  t.is(zonedIso('2026-07-01', '19:30', 'Europe/Berlin'), '2026-07-01T19:30:00+02:00');
  t.is(zonedIso('2026-03-29', '01:30', 'Europe/Berlin'), '2026-03-29T01:30:00+01:00');
  t.is(zonedIso('2026-03-29', '03:30', 'Europe/Berlin'), '2026-03-29T03:30:00+02:00');
  t.is(zonedIso('2026-07-01', '19:30', 'America/New_York'), '2026-07-01T19:30:00-04:00');
  t.is(zonedIso('2026-07-01', '19:30', 'Asia/Kolkata'), '2026-07-01T19:30:00+05:30');
});

test('times skipped or repeated by a DST change are resolved like Temporal "compatible"', (t) => {
  t.is(zonedIso('2026-03-29', '02:30', 'Europe/Berlin'), '2026-03-29T03:30:00+02:00', 'gap: moved forward');
  t.is(zonedIso('2026-10-25', '02:30', 'Europe/Berlin'), '2026-10-25T02:30:00+02:00', 'overlap: earlier');
  t.throws(() => zonedIso('2026-02-30', '19:30', 'Europe/Berlin'), { instanceOf: RangeError });
  t.throws(() => zonedIso('2026-02-10', '24:00', 'Europe/Berlin'), { instanceOf: RangeError });
});

function recorded() {
  const { snapshot, timeZones } = adaptRecording(readRecording());
  return { shows: snapshot.shows, timeZoneOf: timeZoneLookup(timeZones) };
}

test('the recording itself spans the spring DST change', (t) => {
  const { shows } = recorded();
  const berlin = shows.filter((s) => s.theaterId === 't-10101');
  t.true(
    berlin.filter((s) => s.startsAt.startsWith('2026-03-28')).every((s) => s.startsAt.endsWith('+01:00')),
  );
  t.true(
    berlin.filter((s) => s.startsAt.startsWith('2026-03-29')).every((s) => s.startsAt.endsWith('+02:00')),
  );
});

test('rebasing across the autumn DST change keeps wall times and shifts whole days', (t) => {
  const { shows, timeZoneOf } = recorded();
  // Recorded 23..29 March (clocks go forward on the 29th); rebased onto 21..27 October
  // (clocks go back on the 25th).
  const now = new Date('2026-10-21T08:00:00Z');
  const rebased = rebaseShows(shows, { now, timeZoneOf });
  t.is(rebased.length, shows.length);

  const byKey = (s: CatalogShow) =>
    `${s.screenId} ${s.movieId} ${localTime(s.startsAt, timeZoneOf(s.theaterId))}`;
  const shift = 212; // days from 2026-03-23 to 2026-10-21
  const originals = new Map<string, number>();
  for (const s of shows) {
    const k = `${byKey(s)} ${localDate(s.startsAt, timeZoneOf(s.theaterId))}`;
    originals.set(k, (originals.get(k) ?? 0) + 1);
  }
  for (const s of rebased) {
    const tz = timeZoneOf(s.theaterId);
    const date = localDate(s.startsAt, tz);
    t.true(
      originals.has(`${byKey(s)} ${addDays(date, -shift)}`),
      `${s.id} is a recorded show moved by ${shift} days`,
    );
    t.is(s.startsAt.slice(0, 10), date, 'the ISO date is the local date');
    t.is(s.startsAt.slice(-6), date < '2026-10-25' ? '+02:00' : '+01:00', s.startsAt);
  }
  const dates = [...new Set(rebased.map((s) => s.startsAt.slice(0, 10)))].sort();
  t.deepEqual(dates, [
    '2026-10-21',
    '2026-10-22',
    '2026-10-23',
    '2026-10-24',
    '2026-10-25',
    '2026-10-26',
    '2026-10-27',
  ]);

  const nineteen = rebased.filter((s) => s.startsAt.slice(11, 16) === '19:30');
  t.true(nineteen.length > 0);
  t.true(
    nineteen.every((s) => s.id.startsWith(s.screenId)),
    'ids are re-derived from the new start',
  );
  t.deepEqual(
    rebased.map((s) => s.prices),
    rebased.map((s) => shows.find((o) => byKey(o) === byKey(s))!.prices),
    'prices depend on wall time, which rebase keeps',
  );
});

test('rebasing onto the first recorded day changes nothing', (t) => {
  const { shows, timeZoneOf } = recorded();
  t.deepEqual(rebaseShows(shows, { now: new Date('2026-03-23T12:00:00+01:00'), timeZoneOf }), shows);
});

test('windowShows keeps exactly the requested local days', (t) => {
  const { shows, timeZoneOf } = recorded();
  const two = windowShows(shows, { now: new Date('2026-03-24T12:00:00Z'), days: 2, timeZoneOf });
  t.deepEqual([...new Set(two.map((s) => s.startsAt.slice(0, 10)))].sort(), ['2026-03-24', '2026-03-25']);
  t.deepEqual(windowShows(shows, { now: new Date('2026-05-01T12:00:00Z'), days: 7, timeZoneOf }), []);
});
