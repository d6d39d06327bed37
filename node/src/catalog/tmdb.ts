/**
 * TMDB v3 responses (`/3/configuration`, `/3/genre/movie/list`, `/3/movie/now_playing`,
 * `/3/movie/{id}`) into our Movie. Pure: the caller fetches (or reads the recording).
 */
import { z } from 'zod';
import type { CatalogMovie, SkippedRecord } from './model.js';
import { isLocalDate } from './time.js';

export const TmdbConfiguration = z.object({
  images: z.object({
    secure_base_url: z.url(),
    poster_sizes: z.array(z.string()),
  }),
});
export type TmdbConfiguration = z.infer<typeof TmdbConfiguration>;

const TmdbGenre = z.object({ id: z.number().int(), name: z.string().min(1) });

export const TmdbGenreList = z.object({ genres: z.array(TmdbGenre) });
export type TmdbGenreList = z.infer<typeof TmdbGenreList>;

// TMDB sends "" for an unknown release date.
const ReleaseDate = z.string().refine((s) => s === '' || isLocalDate(s), 'expected YYYY-MM-DD or ""');
const PosterPath = z.string().startsWith('/').nullable();

export const TmdbNowPlayingItem = z.object({
  id: z.number().int().positive(),
  title: z.string().min(1),
  overview: z.string(),
  release_date: ReleaseDate,
  genre_ids: z.array(z.number().int()),
  vote_average: z.number().min(0).max(10),
  vote_count: z.number().int().nonnegative(),
  poster_path: PosterPath,
});
export type TmdbNowPlayingItem = z.infer<typeof TmdbNowPlayingItem>;

/** Items stay `unknown` here so one bad item is reported instead of failing the whole page. */
export const TmdbNowPlaying = z.object({
  page: z.number().int(),
  results: z.array(z.unknown()),
  total_pages: z.number().int(),
  total_results: z.number().int(),
});

export const TmdbMovieDetails = z.object({
  id: z.number().int().positive(),
  imdb_id: z.string().nullable(),
  title: z.string().min(1),
  overview: z.string(),
  release_date: ReleaseDate,
  runtime: z.number().int().nonnegative().nullable(),
  genres: z.array(TmdbGenre),
  vote_average: z.number().min(0).max(10),
  vote_count: z.number().int().nonnegative(),
  poster_path: PosterPath,
});
export type TmdbMovieDetails = z.infer<typeof TmdbMovieDetails>;

/** The outcome of fetching `/3/movie/{id}`: its body, or why there is none. */
export type DetailsResult = { ok: true; body: unknown } | { ok: false; error: string };

export interface TmdbInput {
  configuration: unknown;
  genres: unknown;
  nowPlaying: unknown;
  details: ReadonlyMap<number, DetailsResult>;
  /**
   * Poster size from `configuration.images.poster_sizes`, or `null` for no poster URLs at all —
   * the offline catalog must never point the app at the internet.
   */
  posterSize: string | null;
}

export interface TmdbOutput {
  movies: CatalogMovie[];
  /** IMDb title id (`tt0034583`) → our movie id, how showtimes find their movie. */
  movieIdByImdb: Map<string, string>;
  skipped: SkippedRecord[];
}

/** One line per zod issue, with the path, so a report says which field was wrong. */
export function describeZodError(error: z.ZodError, max = 3): string {
  const lines = error.issues.slice(0, max).map((i) => {
    const path = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
    return `${path}: ${i.message}`;
  });
  if (error.issues.length > max) lines.push(`and ${error.issues.length - max} more`);
  return lines.join('; ');
}

export class UpstreamShapeError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: unexpected response shape: ${message}`);
    this.name = 'UpstreamShapeError';
  }
}

/** Parses a whole-response body; a bad shape here is fatal since nothing can be built without it. */
export function parseOrThrow<T>(schema: z.ZodType<T>, body: unknown, source: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new UpstreamShapeError(source, describeZodError(r.error));
  return r.data;
}

export function posterBase(configuration: TmdbConfiguration, size: string): string {
  const { secure_base_url, poster_sizes } = configuration.images;
  const chosen = poster_sizes.includes(size) ? size : 'original';
  return secure_base_url.replace(/\/?$/, '/') + chosen;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

export function adaptTmdb(input: TmdbInput): TmdbOutput {
  const configuration = parseOrThrow(TmdbConfiguration, input.configuration, 'tmdb:configuration');
  const genreList = parseOrThrow(TmdbGenreList, input.genres, 'tmdb:genres');
  const nowPlaying = parseOrThrow(TmdbNowPlaying, input.nowPlaying, 'tmdb:now_playing');
  const base = input.posterSize === null ? null : posterBase(configuration, input.posterSize);
  const genreNames = new Map(genreList.genres.map((g) => [g.id, g.name]));

  const movies: CatalogMovie[] = [];
  const movieIdByImdb = new Map<string, string>();
  const skipped: SkippedRecord[] = [];
  const seen = new Set<number>();

  for (const [index, raw] of nowPlaying.results.entries()) {
    const item = TmdbNowPlayingItem.safeParse(raw);
    if (!item.success) {
      const rawId = (raw as { id?: unknown } | null)?.id;
      skipped.push({
        source: 'tmdb:now_playing',
        id: typeof rawId === 'number' || typeof rawId === 'string' ? String(rawId) : `#${index}`,
        error: describeZodError(item.error),
      });
      continue;
    }
    const { id } = item.data;
    if (seen.has(id)) continue;
    seen.add(id);

    const fetched: DetailsResult = input.details.get(id) ?? { ok: false, error: 'no details' };
    if (!fetched.ok) {
      skipped.push({ source: 'tmdb:movie', id: String(id), error: fetched.error });
      continue;
    }
    const details = TmdbMovieDetails.safeParse(fetched.body);
    if (!details.success) {
      skipped.push({ source: 'tmdb:movie', id: String(id), error: describeZodError(details.error) });
      continue;
    }
    const d = details.data;
    if (d.id !== id) {
      skipped.push({ source: 'tmdb:movie', id: String(id), error: `details are for movie ${d.id}` });
      continue;
    }

    // The list's genre_ids keep TMDB's ordering; details fill in names the genre list lacks.
    const detailNames = new Map(d.genres.map((g) => [g.id, g.name]));
    const ids = item.data.genre_ids.length > 0 ? item.data.genre_ids : d.genres.map((g) => g.id);
    const genres = [
      ...new Set(ids.map((g) => genreNames.get(g) ?? detailNames.get(g)).filter((n) => n !== undefined)),
    ];
    const posterPath = d.poster_path ?? item.data.poster_path;

    movies.push({
      id: String(id),
      title: d.title,
      overview: d.overview || item.data.overview,
      releaseDate: d.release_date || item.data.release_date,
      runtimeMinutes: d.runtime && d.runtime > 0 ? d.runtime : null,
      genres,
      // A 0.0 average from nobody's votes is not a rating.
      rating: d.vote_count > 0 ? round1(d.vote_average) : null,
      posterUrl: base !== null && posterPath !== null ? base + posterPath : null,
    });
    if (d.imdb_id) movieIdByImdb.set(d.imdb_id, String(id));
  }
  return { movies, movieIdByImdb, skipped };
}
