/**
 * The offline catalog: upstream responses recorded in `bundled/`, run through the same adapters
 * as a live import, then rebased so the recording's first day is today.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogSnapshot, SkippedRecord } from './model.js';
import { rebaseSnapshot, timeZoneLookup } from './rebase.js';
import { adaptShowtimes, ScreensFile, type ShowtimesPage } from './showtimes.js';
import { adaptTmdb, type DetailsResult, parseOrThrow } from './tmdb.js';

export const BUNDLED_DIR = fileURLToPath(new URL('./bundled/', import.meta.url));

/** Every recorded response, still in upstream shape. */
export interface Recording {
  configuration: unknown;
  genres: unknown;
  nowPlaying: unknown;
  /** `/3/movie/{id}` by TMDB id. */
  movies: Map<number, unknown>;
  cinemasNearby: unknown;
  /** `cinemaShowTimes/<cinema_id>.json` is keyed by the `date` query parameter. */
  showtimes: Map<number, Map<string, unknown>>;
  screens: unknown;
}

// Synchronous on purpose: ~25 small files read once at startup, and callers (the node's
// bootstrap, tests' fixtures) want a plain function from days to a snapshot.
function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function readDir(dir: string): Map<number, unknown> {
  const names = readdirSync(dir).filter((n) => /^\d+\.json$/.test(n));
  const ids = names.map((n) => Number.parseInt(n, 10)).sort((a, b) => a - b);
  return new Map(ids.map((id) => [id, readJson(join(dir, `${id}.json`))]));
}

export function readRecording(dir: string = BUNDLED_DIR): Recording {
  const configuration = readJson(join(dir, 'configuration.json'));
  const genres = readJson(join(dir, 'genres.json'));
  const nowPlaying = readJson(join(dir, 'now_playing.json'));
  const cinemasNearby = readJson(join(dir, 'cinemasNearby.json'));
  const screens = readJson(join(dir, 'screens.json'));
  const movies = readDir(join(dir, 'movie'));
  const byCinema = readDir(join(dir, 'cinemaShowTimes'));
  const showtimes = new Map<number, Map<string, unknown>>();
  for (const [cinemaId, file] of byCinema) {
    if (typeof file !== 'object' || file === null)
      throw new Error(`cinemaShowTimes/${cinemaId}.json is not an object`);
    showtimes.set(cinemaId, new Map(Object.entries(file)));
  }
  return { configuration, genres, nowPlaying, movies, cinemasNearby, showtimes, screens };
}

export interface AdaptedCatalog {
  snapshot: CatalogSnapshot;
  skipped: SkippedRecord[];
  /** Theater id → IANA time zone. */
  timeZones: Map<string, string>;
}

/** The recording as recorded (no rebase), through the live-import adapters. */
export function adaptRecording(rec: Recording, posterSize: string | null = null): AdaptedCatalog {
  const details = new Map<number, DetailsResult>();
  for (const [id, body] of rec.movies) details.set(id, { ok: true, body });
  const tmdb = adaptTmdb({
    configuration: rec.configuration,
    genres: rec.genres,
    nowPlaying: rec.nowPlaying,
    details,
    posterSize,
  });
  const pages: ShowtimesPage[] = [];
  for (const [cinemaId, byDate] of rec.showtimes) {
    for (const [date, body] of byDate) pages.push({ cinemaId, date, body });
  }
  // A fixed order keeps reports and tie-breaks reproducible whatever order the pages came in.
  pages.sort((a, b) => a.cinemaId - b.cinemaId || a.date.localeCompare(b.date));
  const st = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages,
    screens: parseOrThrow(ScreensFile, rec.screens, 'screens.json'),
    movieIdByImdb: tmdb.movieIdByImdb,
  });
  return {
    snapshot: { movies: tmdb.movies, theaters: st.theaters, shows: st.shows },
    skipped: [...tmdb.skipped, ...st.skipped],
    timeZones: st.timeZones,
  };
}

/** The bundled screens file, for importers that have no layouts of their own. */
export function loadBundledScreens(dir: string = BUNDLED_DIR): ScreensFile {
  return parseOrThrow(ScreensFile, readJson(join(dir, 'screens.json')), 'screens.json');
}

/**
 * The offline catalog with its first recorded day moved to `now`'s date (per theater time zone),
 * keeping `days` days. Posters are always `null`: the offline app must not reach the internet.
 */
export function loadBundledCatalog(now: Date = new Date(), days = 7): CatalogSnapshot {
  const { snapshot, timeZones } = adaptRecording(readRecording());
  return rebaseSnapshot(snapshot, { now, days, timeZoneOf: timeZoneLookup(timeZones) });
}
