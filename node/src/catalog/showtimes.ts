/**
 * MovieGlu-shaped responses (`cinemasNearby`, `cinemaShowTimes?cinema_id=&date=`) plus our own
 * screens file into theaters and shows. MovieGlu knows neither seat layouts, time zones nor
 * prices, so those come from `screens.json` (see docs/catalog.md). Pure.
 */
import { z } from 'zod';
import type { CatalogShow, CatalogTheater, SkippedRecord } from './model.js';
import {
  formatInZone,
  isLocalDate,
  isLocalTime,
  isValidTimeZone,
  localTime,
  zonedToInstant,
} from './time.js';
import { describeZodError, parseOrThrow } from './tmdb.js';

export const MgCinema = z.object({
  cinema_id: z.number().int().positive(),
  cinema_name: z.string().min(1),
  address: z.string(),
  address2: z.string().nullish(),
  city: z.string(),
  postcode: z.string().nullish(),
});
export type MgCinema = z.infer<typeof MgCinema>;

export const MgCinemasNearby = z.object({ cinemas: z.array(z.unknown()) });

export const MgTime = z.object({
  start_time: z.string().refine(isLocalTime, 'expected HH:MM'),
  end_time: z.string().nullish(),
  screen_name: z.string().min(1).nullish(),
});

export const MgFilm = z.object({
  film_id: z.number().int(),
  imdb_id: z.number().int().nullish(),
  imdb_title_id: z.string().nullish(),
  film_name: z.string(),
  // Keyed by version ("Standard", "3D", ...); times stay unknown so one bad time is reported alone.
  showings: z.record(z.string(), z.object({ times: z.array(z.unknown()) })),
});

export const MgCinemaShowTimes = z.object({
  cinema: z.object({ cinema_id: z.number().int() }),
  films: z.array(z.unknown()),
});

const Layout = z
  .array(z.string().regex(/^[SPW.]+$/, 'layout rows use S, P, W and . only'))
  .min(1)
  .refine((rows) => rows.some((r) => /[SPW]/.test(r)), 'layout has no seats');

export const Venue = z.object({
  timeZone: z.string().refine(isValidTimeZone, 'unknown IANA time zone'),
  currency: z.string().regex(/^[A-Z]{3}$/),
  prices: z.object({ standard: z.number().int().positive(), premium: z.number().int().positive() }),
  /** From the listed local time on, both prices are adjusted by `adjust` cents; the last band that started wins. */
  timeOfDay: z
    .array(z.object({ from: z.string().refine(isLocalTime), adjust: z.number().int() }))
    .default([]),
  screens: z.array(z.object({ name: z.string().min(1), layout: Layout })),
});
export type Venue = z.infer<typeof Venue>;

/** `screens.json`: MovieGlu `cinema_id` → what MovieGlu does not tell us. */
export const ScreensFile = z.record(z.string().regex(/^\d+$/), Venue);
export type ScreensFile = z.infer<typeof ScreensFile>;

/** For a cinema or screen that `screens.json` does not know (a live MovieGlu source). */
export const DEFAULT_VENUE: Omit<Venue, 'screens'> = {
  timeZone: 'Europe/Berlin',
  currency: 'EUR',
  prices: { standard: 1100, premium: 1400 },
  timeOfDay: [],
};
export const DEFAULT_LAYOUT: readonly string[] = [
  ...Array(8).fill('SSSSS.SSSSSSSS.SSSSS'),
  'PPPPP.PPPPPPPP.PPPPP',
  'WW...............WW',
];
/** MovieGlu omits the screen unless asked; such showings go to one screen of this name. */
export const UNNAMED_SCREEN = 'Main';

export const theaterId = (cinemaId: number | string): string => `t-${cinemaId}`;
export const screenId = (theater: string, n: number): string => `${theater}-s${n}`;

/** Deterministic from screen and instant, so importing the same data twice yields the same ids. */
export function showId(screen: string, startsAt: string): string {
  const compact = new Date(startsAt).toISOString().slice(0, 16).replace(/[-:]/g, '');
  return `${screen}-${compact}Z`;
}

export function seatCount(layout: readonly string[]): number {
  return layout.reduce((n, row) => n + row.replace(/\./g, '').length, 0);
}

export function priceAt(
  venue: Pick<Venue, 'prices' | 'timeOfDay'>,
  time: string,
  layout: readonly string[],
): CatalogShow['prices'] {
  let adjust = 0;
  for (const band of [...venue.timeOfDay].sort((a, b) => a.from.localeCompare(b.from))) {
    if (band.from <= time) adjust = band.adjust;
  }
  const standard = Math.max(0, venue.prices.standard + adjust);
  if (!layout.some((row) => row.includes('P'))) return { standard };
  return { standard, premium: Math.max(0, venue.prices.premium + adjust) };
}

export function imdbTitleId(film: { imdb_id?: number | null; imdb_title_id?: string | null }): string | null {
  if (film.imdb_title_id && /^tt\d+$/.test(film.imdb_title_id)) return film.imdb_title_id;
  if (typeof film.imdb_id === 'number' && film.imdb_id > 0)
    return `tt${String(film.imdb_id).padStart(7, '0')}`;
  return null;
}

/** One `cinemaShowTimes` response, with the `date` it was asked for (times carry no date). */
export interface ShowtimesPage {
  cinemaId: number;
  date: string;
  /** `null` for MovieGlu's 204 No Content: nothing showing that day. */
  body: unknown;
}

export interface ShowtimesInput {
  cinemasNearby: unknown;
  pages: readonly ShowtimesPage[];
  screens: ScreensFile;
  movieIdByImdb: ReadonlyMap<string, string>;
}

export interface ShowtimesOutput {
  theaters: CatalogTheater[];
  shows: CatalogShow[];
  skipped: SkippedRecord[];
  /** Theater id → IANA time zone, what `rebase` and date windows need. */
  timeZones: Map<string, string>;
}

interface TheaterBuild {
  theater: CatalogTheater;
  venue: Omit<Venue, 'screens'>;
  screensByName: Map<string, CatalogTheater['screens'][number]>;
}

export function adaptShowtimes(input: ShowtimesInput): ShowtimesOutput {
  const nearby = parseOrThrow(MgCinemasNearby, input.cinemasNearby, 'showtimes:cinemasNearby');
  const skipped: SkippedRecord[] = [];
  const builds = new Map<number, TheaterBuild>();

  for (const [index, raw] of nearby.cinemas.entries()) {
    const c = MgCinema.safeParse(raw);
    if (!c.success) {
      const rawId = (raw as { cinema_id?: unknown } | null)?.cinema_id;
      skipped.push({
        source: 'showtimes:cinema',
        id: rawId === undefined ? `#${index}` : String(rawId),
        error: describeZodError(c.error),
      });
      continue;
    }
    if (builds.has(c.data.cinema_id)) continue;
    const id = theaterId(c.data.cinema_id);
    const known = input.screens[String(c.data.cinema_id)];
    const theater: CatalogTheater = {
      id,
      name: c.data.cinema_name,
      city: c.data.city,
      address: [c.data.address, c.data.address2, c.data.postcode].filter((s) => s).join(', '),
      screens: (known?.screens ?? []).map((s, i) => ({
        id: screenId(id, i + 1),
        name: s.name,
        layout: [...s.layout],
      })),
    };
    builds.set(c.data.cinema_id, {
      theater,
      venue: known ?? DEFAULT_VENUE,
      screensByName: new Map(theater.screens.map((s) => [s.name, s])),
    });
  }

  // Screens the screens file does not know are added in name order, not arrival order, so their
  // ids do not depend on which page happened to mention them first.
  const unknownScreens = new Map<number, Set<string>>();
  interface Pending {
    cinemaId: number;
    movieId: string;
    date: string;
    time: string;
    screenName: string;
    where: string;
  }
  const pending: Pending[] = [];
  const unmatched = new Map<string, { count: number; error: string }>();

  for (const page of input.pages) {
    const build = builds.get(page.cinemaId);
    const pageId = `${page.cinemaId}/${page.date}`;
    if (!build) {
      skipped.push({ source: 'showtimes:cinemaShowTimes', id: pageId, error: 'cinema not in cinemasNearby' });
      continue;
    }
    if (page.body === null || page.body === undefined) continue;
    const parsed = MgCinemaShowTimes.safeParse(page.body);
    if (!parsed.success) {
      skipped.push({
        source: 'showtimes:cinemaShowTimes',
        id: pageId,
        error: describeZodError(parsed.error),
      });
      continue;
    }
    if (parsed.data.cinema.cinema_id !== page.cinemaId) {
      skipped.push({
        source: 'showtimes:cinemaShowTimes',
        id: pageId,
        error: `response is for cinema ${parsed.data.cinema.cinema_id}`,
      });
      continue;
    }
    for (const [index, rawFilm] of parsed.data.films.entries()) {
      const film = MgFilm.safeParse(rawFilm);
      if (!film.success) {
        const rawId = (rawFilm as { film_id?: unknown } | null)?.film_id;
        skipped.push({
          source: 'showtimes:film',
          id: `${pageId}/${rawId === undefined ? `#${index}` : String(rawId)}`,
          error: describeZodError(film.error),
        });
        continue;
      }
      const times = Object.values(film.data.showings).flatMap((s) => s.times);
      const imdb = imdbTitleId(film.data);
      const movieId = imdb === null ? undefined : input.movieIdByImdb.get(imdb);
      if (movieId === undefined) {
        // Aggregated per cinema and film: one line for "this movie was skipped", not one per show.
        const key = `${page.cinemaId}/${film.data.film_id}`;
        const error =
          imdb === null
            ? `film "${film.data.film_name}" has no IMDb id to match a movie`
            : `film "${film.data.film_name}" (${imdb}) matches no imported movie`;
        const u = unmatched.get(key) ?? { count: 0, error };
        u.count += times.length;
        unmatched.set(key, u);
        continue;
      }
      for (const [ti, rawTime] of times.entries()) {
        const where = `${pageId}/${film.data.film_id}#${ti}`;
        const t = MgTime.safeParse(rawTime);
        if (!t.success) {
          skipped.push({ source: 'showtimes:showing', id: where, error: describeZodError(t.error) });
          continue;
        }
        if (!isLocalDate(page.date)) {
          skipped.push({ source: 'showtimes:showing', id: where, error: `invalid date ${page.date}` });
          continue;
        }
        const screenName = t.data.screen_name ?? UNNAMED_SCREEN;
        if (!build.screensByName.has(screenName)) {
          const set = unknownScreens.get(page.cinemaId) ?? new Set();
          set.add(screenName);
          unknownScreens.set(page.cinemaId, set);
        }
        pending.push({
          cinemaId: page.cinemaId,
          movieId,
          date: page.date,
          time: t.data.start_time,
          screenName,
          where,
        });
      }
    }
  }
  for (const [key, u] of unmatched) {
    skipped.push({ source: 'showtimes:film', id: key, error: `${u.error}; dropped ${u.count} showings` });
  }

  for (const [cinemaId, names] of unknownScreens) {
    const build = builds.get(cinemaId)!;
    for (const name of [...names].sort()) {
      const screen = {
        id: screenId(build.theater.id, build.theater.screens.length + 1),
        name,
        layout: [...DEFAULT_LAYOUT],
      };
      build.theater.screens.push(screen);
      build.screensByName.set(name, screen);
    }
  }

  const shows: CatalogShow[] = [];
  const seenIds = new Set<string>();
  for (const p of pending) {
    const build = builds.get(p.cinemaId)!;
    const screen = build.screensByName.get(p.screenName)!;
    const instant = zonedToInstant(p.date, p.time, build.venue.timeZone);
    const startsAt = formatInZone(instant, build.venue.timeZone);
    const id = showId(screen.id, startsAt);
    if (seenIds.has(id)) {
      skipped.push({
        source: 'showtimes:showing',
        id: p.where,
        error: `${screen.name} already has a show at ${startsAt}`,
      });
      continue;
    }
    seenIds.add(id);
    shows.push({
      id,
      movieId: p.movieId,
      theaterId: build.theater.id,
      screenId: screen.id,
      startsAt,
      // Priced by the wall time actually shown, which differs from p.time only inside a DST gap.
      prices: priceAt(build.venue, localTime(instant, build.venue.timeZone), screen.layout),
      currency: build.venue.currency,
    });
  }
  sortShows(shows);

  const theaters = [...builds.values()].map((b) => b.theater);
  const timeZones = new Map([...builds.values()].map((b) => [b.theater.id, b.venue.timeZone]));
  return { theaters, shows, skipped, timeZones };
}

export function sortShows(shows: CatalogShow[]): CatalogShow[] {
  return shows.sort(
    (a, b) => Date.parse(a.startsAt) - Date.parse(b.startsAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
