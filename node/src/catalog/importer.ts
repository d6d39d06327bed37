/**
 * Live import over HTTP: TMDB v3 for movies, a MovieGlu-shaped source for cinemas and showtimes.
 * Each request has its own timeout and is retried with capped exponential backoff on network
 * errors, timeouts, 5xx and 429. A bad or missing record is skipped and reported; only the
 * requests everything depends on (configuration, genres, now playing, cinemas) and a rejected
 * key fail the whole import. With a URL policy, every request and every redirect target is
 * checked first (url-policy.ts), and no response body may exceed `maxResponseBytes`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadBundledScreens } from './bundled.js';
import type { CatalogSnapshot, SkippedRecord } from './model.js';
import { timeZoneLookup, windowShows } from './rebase.js';
import {
  adaptShowtimes,
  DEFAULT_VENUE,
  MgCinema,
  MgCinemasNearby,
  type ScreensFile,
  type ShowtimesPage,
} from './showtimes.js';
import { addDays, localDate } from './time.js';
import { adaptTmdb, type DetailsResult, parseOrThrow, TmdbNowPlaying, TmdbNowPlayingItem } from './tmdb.js';
import { checkUrl, type Resolver, type UrlPolicy, UrlRefused } from './url-policy.js';

/** Bodies above this fail their request, unless the caller sets its own cap. */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export type ImportPhase = 'tmdb' | 'details' | 'cinemas' | 'showtimes';

export interface ImportProgress {
  phase: ImportPhase;
  done: number;
  total: number;
}

export interface ImportOptions {
  /** TMDB origin, e.g. `https://api.themoviedb.org` (a trailing `/3` is accepted too). */
  tmdbUrl?: string;
  /** A v3 API key (sent as `api_key`) or a v4 read access token (sent as a Bearer header). */
  tmdbKey: string;
  /** Base URL of the MovieGlu-shaped source; `cinemasNearby` and `cinemaShowTimes` are resolved against it. */
  showtimesUrl: string;
  /** Extra headers for the showtimes source (MovieGlu wants client, x-api-key, authorization, territory). */
  showtimesHeaders?: Record<string, string>;
  now?: Date;
  days?: number;
  fetchImpl?: typeof fetch;
  /** Per request, including reading the body. */
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Requests in flight at once for movie details and showtimes. */
  concurrency?: number;
  /** TMDB poster size (`w342`); `original` when the configuration lacks it. */
  posterSize?: string;
  /** Layouts, zones and prices per cinema; by default the bundled `screens.json`. */
  screens?: ScreensFile;
  language?: string;
  region?: string;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** Checked before every request and redirect; none: any URL (library use, tests with fetchImpl). */
  urlPolicy?: UrlPolicy;
  /** How `urlPolicy` resolves host names (tests); the system resolver by default. */
  resolve?: Resolver;
  /** Largest response body; default DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /** Redirects followed per request, each target checked; default 3. */
  maxRedirects?: number;
}

export interface ImportResult {
  snapshot: CatalogSnapshot;
  skipped: SkippedRecord[];
}

export type ImportErrorKind = 'auth' | 'upstream' | 'shape' | 'refused';

export class CatalogImportError extends Error {
  constructor(
    message: string,
    readonly kind: ImportErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CatalogImportError';
  }
}

/** A request that failed after its retries, or with a status not worth retrying. */
class RequestFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Got {
  status: number;
  /** `null` for 204 and 404. */
  body: unknown;
}

interface HttpOptions {
  fetchImpl: typeof fetch;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  maxBackoffMs: number;
  signal: AbortSignal | undefined;
  secrets: string[];
  policy: UrlPolicy | undefined;
  resolve: Resolver | undefined;
  maxBytes: number;
  maxRedirects: number;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

function errorText(e: unknown, timeoutMs: number): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError') return `timed out after ${timeoutMs} ms`;
    // undici says only "fetch failed"; the reason (ECONNREFUSED, ...) is in the cause.
    const cause =
      e.cause instanceof Error ? `: ${(e.cause as { code?: string }).code ?? e.cause.message}` : '';
    return `${e.message}${cause}`;
  }
  return String(e);
}

function retryAfterMs(res: Response): number | null {
  const v = res.headers.get('retry-after');
  if (!v) return null;
  const secs = Number(v);
  if (Number.isFinite(secs)) return secs * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Upstream error text worth showing: TMDB's `status_message`, else the start of the body. */
function upstreamMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { status_message?: unknown; message?: unknown };
    if (typeof j.status_message === 'string') return j.status_message;
    if (typeof j.message === 'string') return j.message;
  } catch {}
  return text.slice(0, 200);
}

/** The body as text, refused past `max` bytes without reading the rest. */
async function readCapped(res: Response, max: number, label: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > max) {
    await res.body?.cancel().catch(() => undefined);
    throw new RequestFailed(
      `GET ${label}: response of ${declared} bytes is over the ${max}-byte limit`,
      res.status,
    );
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new RequestFailed(`GET ${label}: response is over the ${max}-byte limit`, res.status);
    }
    parts.push(value);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Fetches `url`, following redirects by hand so each target passes the policy first. */
async function fetchChecked(url: URL, label: string, init: RequestInit, o: HttpOptions): Promise<Response> {
  let target = url;
  for (let hop = 0; ; hop++) {
    if (o.policy) {
      try {
        await checkUrl(target, o.policy, o.resolve);
      } catch (e) {
        if (e instanceof UrlRefused) throw new CatalogImportError(`GET ${label}: ${e.message}`, 'refused');
        throw e;
      }
    }
    const res = await o.fetchImpl(target, { ...init, redirect: 'manual' });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel().catch(() => undefined);
    if (hop >= o.maxRedirects)
      throw new RequestFailed(`GET ${label}: more than ${o.maxRedirects} redirects`, res.status);
    target = new URL(location, target);
  }
}

/**
 * GET `url` as JSON. `label` is what reports show: the path without the query, so a key in
 * the query string never lands in a message or a log line.
 */
async function getJson(
  url: URL,
  label: string,
  headers: Record<string, string>,
  o: HttpOptions,
): Promise<Got> {
  let last = '';
  for (let attempt = 0; ; attempt++) {
    let wait: number | null = null;
    try {
      const signal = o.signal
        ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
        : AbortSignal.timeout(o.timeoutMs);
      const res = await fetchChecked(
        url,
        label,
        { headers: { accept: 'application/json', ...headers }, signal },
        o,
      );
      const text = await readCapped(res, o.maxBytes, label);
      if (res.status === 204 || res.status === 404) return { status: res.status, body: null };
      if (res.ok) {
        try {
          return { status: res.status, body: JSON.parse(text) };
        } catch {
          throw new RequestFailed(`GET ${label}: response is not JSON`, res.status);
        }
      }
      const detail = redact(upstreamMessage(text), o.secrets);
      if (res.status === 401 || res.status === 403) {
        throw new CatalogImportError(
          `GET ${label} was refused (HTTP ${res.status}): ${detail}`,
          'auth',
          res.status,
        );
      }
      if (res.status !== 429 && res.status < 500) {
        throw new RequestFailed(`GET ${label}: HTTP ${res.status}: ${detail}`, res.status);
      }
      last = `HTTP ${res.status}`;
      if (res.status === 429) wait = retryAfterMs(res);
    } catch (e) {
      if (e instanceof CatalogImportError || e instanceof RequestFailed) throw e;
      if (o.signal?.aborted) throw o.signal.reason;
      last = redact(errorText(e, o.timeoutMs), o.secrets);
    }
    if (attempt >= o.retries) {
      throw new RequestFailed(`GET ${label} failed after ${attempt + 1} attempts: ${last}`);
    }
    // Equal jitter: at least half the step, so retries from many nodes do not line up.
    const step = Math.min(o.maxBackoffMs, o.backoffMs * 2 ** attempt);
    const delay = Math.min(o.maxBackoffMs, wait ?? step / 2 + Math.random() * (step / 2));
    await sleep(delay, undefined, o.signal ? { signal: o.signal } : undefined);
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

function isBearerToken(key: string): boolean {
  // TMDB v4 read access tokens are JWTs; v3 keys are 32 hex characters.
  return /^eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(key);
}

function fatal(e: unknown, kind: ImportErrorKind = 'upstream'): never {
  if (e instanceof CatalogImportError) throw e;
  if (e instanceof RequestFailed) throw new CatalogImportError(e.message, kind, e.status);
  if (e instanceof Error && e.name === 'UpstreamShapeError') throw new CatalogImportError(e.message, 'shape');
  throw e;
}

export async function importCatalog(opts: ImportOptions): Promise<ImportResult> {
  const now = opts.now ?? new Date();
  const days = opts.days ?? 7;
  const http: HttpOptions = {
    fetchImpl: opts.fetchImpl ?? fetch,
    timeoutMs: opts.timeoutMs ?? 10_000,
    retries: opts.retries ?? 3,
    backoffMs: opts.backoffMs ?? 250,
    maxBackoffMs: opts.maxBackoffMs ?? 5_000,
    signal: opts.signal,
    secrets: [opts.tmdbKey, ...Object.values(opts.showtimesHeaders ?? {})],
    policy: opts.urlPolicy,
    resolve: opts.resolve,
    maxBytes: opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    maxRedirects: opts.maxRedirects ?? 3,
  };
  const concurrency = opts.concurrency ?? 4;
  const progress = opts.onProgress ?? (() => {});
  const screens = opts.screens ?? loadBundledScreens();

  const tmdbBase = (opts.tmdbUrl ?? 'https://api.themoviedb.org').replace(/\/+$/, '').replace(/\/3$/, '');
  const bearer = isBearerToken(opts.tmdbKey);
  const tmdbHeaders: Record<string, string> = bearer ? { authorization: `Bearer ${opts.tmdbKey}` } : {};
  const tmdb = (path: string, query: Record<string, string> = {}) => {
    const url = new URL(`${tmdbBase}/3/${path}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    if (!bearer) url.searchParams.set('api_key', opts.tmdbKey);
    return getJson(url, `/3/${path}`, tmdbHeaders, http);
  };
  const lang = { language: opts.language ?? 'en-US' };

  // Configuration first and alone: a bad key should fail once, not in five parallel requests.
  progress({ phase: 'tmdb', done: 0, total: 3 });
  const configuration = await tmdb('configuration').catch((e) => fatal(e));
  progress({ phase: 'tmdb', done: 1, total: 3 });
  const genres = await tmdb('genre/movie/list', lang).catch((e) => fatal(e));
  progress({ phase: 'tmdb', done: 2, total: 3 });
  const nowPlaying = await tmdb('movie/now_playing', {
    ...lang,
    page: '1',
    ...(opts.region ? { region: opts.region } : {}),
  }).catch((e) => fatal(e));
  progress({ phase: 'tmdb', done: 3, total: 3 });
  for (const [what, got] of [
    ['configuration', configuration],
    ['genre list', genres],
    ['now playing', nowPlaying],
  ] as const) {
    if (got.body === null) fatal(new RequestFailed(`TMDB ${what}: HTTP ${got.status}`, got.status));
  }

  let ids: number[];
  try {
    ids = parseOrThrow(TmdbNowPlaying, nowPlaying.body, 'tmdb:now_playing').results.flatMap((r) => {
      const item = TmdbNowPlayingItem.safeParse(r);
      return item.success ? [item.data.id] : [];
    });
  } catch (e) {
    fatal(e);
  }
  ids = [...new Set(ids)];

  const details = new Map<number, DetailsResult>();
  let detailsDone = 0;
  progress({ phase: 'details', done: 0, total: ids.length });
  await mapLimit(ids, concurrency, async (id) => {
    try {
      const got = await tmdb(`movie/${id}`, lang);
      details.set(
        id,
        got.body === null ? { ok: false, error: `HTTP ${got.status}` } : { ok: true, body: got.body },
      );
    } catch (e) {
      if (!(e instanceof RequestFailed)) throw e;
      details.set(id, { ok: false, error: e.message });
    }
    progress({ phase: 'details', done: ++detailsDone, total: ids.length });
  });

  let movies: ReturnType<typeof adaptTmdb>;
  try {
    movies = adaptTmdb({
      configuration: configuration.body,
      genres: genres.body,
      nowPlaying: nowPlaying.body,
      details,
      posterSize: opts.posterSize ?? 'w342',
    });
  } catch (e) {
    fatal(e);
  }

  const stBase = opts.showtimesUrl.replace(/\/*$/, '/');
  const stHeaders = {
    'api-version': 'v200',
    'device-datetime': now.toISOString(),
    ...opts.showtimesHeaders,
  };
  const showtimes = (path: string, query: Record<string, string>) => {
    const url = new URL(path, stBase);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return getJson(
      url,
      `/${path}${query['cinema_id'] ? ` cinema ${query['cinema_id']}` : ''}`,
      stHeaders,
      http,
    );
  };

  progress({ phase: 'cinemas', done: 0, total: 1 });
  const nearby = await showtimes('cinemasNearby', { n: '25' }).catch((e) => fatal(e));
  if (nearby.body === null) fatal(new RequestFailed(`cinemasNearby: HTTP ${nearby.status}`, nearby.status));
  progress({ phase: 'cinemas', done: 1, total: 1 });

  let cinemaIds: number[];
  try {
    cinemaIds = parseOrThrow(MgCinemasNearby, nearby.body, 'showtimes:cinemasNearby').cinemas.flatMap((c) => {
      const r = MgCinema.safeParse(c);
      return r.success ? [r.data.cinema_id] : [];
    });
  } catch (e) {
    fatal(e);
  }
  cinemaIds = [...new Set(cinemaIds)];

  // One request per cinema and local day, MovieGlu style; "today" is the cinema's own.
  const requests = cinemaIds.flatMap((cinemaId) => {
    const tz = screens[String(cinemaId)]?.timeZone ?? DEFAULT_VENUE.timeZone;
    const today = localDate(now, tz);
    return Array.from({ length: days }, (_, i) => ({ cinemaId, date: addDays(today, i) }));
  });
  const pageSkips: SkippedRecord[] = [];
  let pagesDone = 0;
  progress({ phase: 'showtimes', done: 0, total: requests.length });
  const pages = await mapLimit(requests, concurrency, async (r): Promise<ShowtimesPage | null> => {
    try {
      const got = await showtimes('cinemaShowTimes', { cinema_id: String(r.cinemaId), date: r.date });
      if (got.status === 404) {
        pageSkips.push({
          source: 'showtimes:cinemaShowTimes',
          id: `${r.cinemaId}/${r.date}`,
          error: 'HTTP 404',
        });
        return null;
      }
      return { ...r, body: got.body };
    } catch (e) {
      if (!(e instanceof RequestFailed)) throw e;
      pageSkips.push({
        source: 'showtimes:cinemaShowTimes',
        id: `${r.cinemaId}/${r.date}`,
        error: e.message,
      });
      return null;
    } finally {
      progress({ phase: 'showtimes', done: ++pagesDone, total: requests.length });
    }
  });

  let st: ReturnType<typeof adaptShowtimes>;
  try {
    st = adaptShowtimes({
      cinemasNearby: nearby.body,
      pages: pages.filter((p) => p !== null),
      screens,
      movieIdByImdb: movies.movieIdByImdb,
    });
  } catch (e) {
    fatal(e);
  }
  const shows = windowShows(st.shows, { now, days, timeZoneOf: timeZoneLookup(st.timeZones) });
  return {
    snapshot: { movies: movies.movies, theaters: st.theaters, shows },
    // Pages finish in any order; sorted, two runs over the same data report the same way.
    skipped: [
      ...movies.skipped,
      ...pageSkips.sort((a, b) => (a.id ?? '').localeCompare(b.id ?? '')),
      ...st.skipped,
    ],
  };
}
