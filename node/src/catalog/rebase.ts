/**
 * Moves a recorded schedule to the present: every show keeps its wall-clock time and moves by
 * the same number of calendar days, so the first recorded day becomes "today" in each theater's
 * time zone. Offsets are recomputed, so 19:30 stays 19:30 across a DST change.
 */
import type { CatalogShow, CatalogSnapshot } from './model.js';
import { showId, sortShows } from './showtimes.js';
import { addDays, daysBetween, formatInZone, localDate, localTime, zonedToInstant } from './time.js';

export type TimeZoneOf = (theaterId: string) => string;

export function timeZoneLookup(
  timeZones: ReadonlyMap<string, string>,
  fallback = 'Europe/Berlin',
): TimeZoneOf {
  return (id) => timeZones.get(id) ?? fallback;
}

/** The earliest local show date, each show read in its own theater's zone; `null` when there are none. */
export function firstShowDate(shows: readonly CatalogShow[], timeZoneOf: TimeZoneOf): string | null {
  let first: string | null = null;
  for (const s of shows) {
    const d = localDate(s.startsAt, timeZoneOf(s.theaterId));
    if (first === null || d < first) first = d;
  }
  return first;
}

export interface RebaseOptions {
  now: Date;
  timeZoneOf: TimeZoneOf;
  /** The recorded day that becomes today; by default the first day that has a show. */
  from?: string;
}

export function rebaseShows(shows: readonly CatalogShow[], opts: RebaseOptions): CatalogShow[] {
  const from = opts.from ?? firstShowDate(shows, opts.timeZoneOf);
  if (from === null) return [];
  const out = shows.map((s) => {
    const tz = opts.timeZoneOf(s.theaterId);
    // "today" is per theater: near midnight UTC, Lisbon and Vienna can be on different dates.
    const shift = daysBetween(from, localDate(opts.now, tz));
    const date = addDays(localDate(s.startsAt, tz), shift);
    const startsAt = formatInZone(zonedToInstant(date, localTime(s.startsAt, tz), tz), tz);
    return { ...s, prices: { ...s.prices }, startsAt, id: showId(s.screenId, startsAt) };
  });
  return sortShows(out);
}

export interface WindowOptions {
  now: Date;
  days: number;
  timeZoneOf: TimeZoneOf;
}

/** Shows on local days today .. today + days - 1, each theater's "today" in its own zone. */
export function windowShows(shows: readonly CatalogShow[], opts: WindowOptions): CatalogShow[] {
  return shows.filter((s) => {
    const tz = opts.timeZoneOf(s.theaterId);
    const offset = daysBetween(localDate(opts.now, tz), localDate(s.startsAt, tz));
    return offset >= 0 && offset < opts.days;
  });
}

/** Rebase then keep `days` days. Movies and theaters are copied through untouched. */
export function rebaseSnapshot(
  snapshot: CatalogSnapshot,
  opts: RebaseOptions & { days: number },
): CatalogSnapshot {
  const shows = windowShows(rebaseShows(snapshot.shows, opts), opts);
  return { movies: snapshot.movies, theaters: snapshot.theaters, shows };
}
