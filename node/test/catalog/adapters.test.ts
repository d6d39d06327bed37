import test from 'ava';
import {
  adaptShowtimes,
  adaptTmdb,
  DEFAULT_LAYOUT,
  type DetailsResult,
  type Recording,
  readRecording,
  ScreensFile,
  type ShowtimesPage,
} from '../../src/catalog/index.js';

const rec: Recording = readRecording();
const screens = ScreensFile.parse(rec.screens);

function details(overrides: Record<number, DetailsResult> = {}): Map<number, DetailsResult> {
  const m = new Map<number, DetailsResult>();
  for (const [id, body] of rec.movies) m.set(id, overrides[id] ?? { ok: true, body });
  return m;
}

function tmdb(posterSize: string | null, overrides: Record<number, DetailsResult> = {}) {
  return adaptTmdb({
    configuration: rec.configuration,
    genres: rec.genres,
    nowPlaying: rec.nowPlaying,
    details: details(overrides),
    posterSize,
  });
}

function pages(mutate?: (page: ShowtimesPage) => void): ShowtimesPage[] {
  const out: ShowtimesPage[] = [];
  for (const [cinemaId, byDate] of rec.showtimes) {
    for (const [date, body] of byDate) {
      const page = { cinemaId, date, body: structuredClone(body) };
      mutate?.(page);
      out.push(page);
    }
  }
  return out;
}

type Page = {
  films: { film_id: number; imdb_title_id?: string; showings: Record<string, { times: object[] }> }[];
};

test('tmdb: poster URLs come from the configuration when asked for', (t) => {
  const { movies } = tmdb('w342');
  t.is(
    movies.find((m) => m.id === '289')?.posterUrl,
    'https://image.tmdb.org/t/p/w342/rCzGbVqf7kUqDy1bdIWyMGjRO8L.jpg',
  );
  t.is(movies.find((m) => m.id === '990003')?.posterUrl, null, 'no poster_path, no URL');
  t.regex(
    tmdb('w9999').movies[0]?.posterUrl ?? '',
    /\/t\/p\/original\//,
    'an unknown size falls back to original',
  );
  t.true(tmdb(null).movies.every((m) => m.posterUrl === null));
});

test('tmdb: maps IMDb ids to our movie ids for the showtimes adapter', (t) => {
  const { movieIdByImdb } = tmdb(null);
  t.is(movieIdByImdb.get('tt0034583'), '289');
  t.is(movieIdByImdb.size, 16);
});

test('tmdb: a malformed or missing details record skips that movie only, saying why', (t) => {
  const body = { ...(rec.movies.get(426) as object), runtime: 'long', vote_average: 11 };
  const out = tmdb(null, { 426: { ok: true, body }, 15: { ok: false, error: 'HTTP 404' } });
  t.is(out.movies.length, 14);
  t.false(out.movies.some((m) => m.id === '426' || m.id === '15'));
  t.is(out.movieIdByImdb.get('tt0052357'), undefined);
  t.deepEqual(
    out.skipped.map((s) => [s.source, s.id]),
    [
      ['tmdb:movie', '15'],
      ['tmdb:movie', '426'],
    ],
  );
  t.regex(out.skipped[1]!.error, /runtime: .*number/);
  t.regex(out.skipped[1]!.error, /vote_average/);
  t.is(out.skipped[0]!.error, 'HTTP 404');
});

test('tmdb: a bad now_playing item is reported with its index; a bad page shape throws', (t) => {
  const np = structuredClone(rec.nowPlaying) as { results: unknown[] };
  np.results.push({ title: 'No id' });
  const out = adaptTmdb({
    configuration: rec.configuration,
    genres: rec.genres,
    nowPlaying: np,
    details: details(),
    posterSize: null,
  });
  t.is(out.movies.length, 16);
  t.deepEqual(
    out.skipped.map((s) => [s.source, s.id]),
    [['tmdb:now_playing', '#16']],
  );
  t.throws(
    () =>
      adaptTmdb({
        configuration: rec.configuration,
        genres: {},
        nowPlaying: np,
        details: details(),
        posterSize: null,
      }),
    { message: /tmdb:genres.*genres/ },
  );
});

test('showtimes: a showing with an impossible time is skipped and reported, the rest kept', (t) => {
  const clean = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages: pages(),
    screens,
    movieIdByImdb: tmdb(null).movieIdByImdb,
  });
  const out = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages: pages((p) => {
      if (p.cinemaId === 20202 && p.date === '2026-03-25') {
        const times = Object.values((p.body as Page).films[0]!.showings)[0]!.times;
        Object.assign(times[0]!, { start_time: '7pm' });
      }
    }),
    screens,
    movieIdByImdb: tmdb(null).movieIdByImdb,
  });
  t.is(out.shows.length, clean.shows.length - 1);
  t.is(out.skipped.length, 1);
  t.is(out.skipped[0]?.source, 'showtimes:showing');
  t.regex(out.skipped[0]?.id ?? '', /^20202\/2026-03-25\/\d+#0$/);
  t.regex(out.skipped[0]?.error ?? '', /start_time: expected HH:MM/);
});

test('showtimes: shows of a movie that was not imported are dropped and reported once per cinema', (t) => {
  const ids = tmdb(null).movieIdByImdb;
  ids.delete('tt0045152'); // Singin' in the Rain, on in Munich and Vienna
  const out = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages: pages(),
    screens,
    movieIdByImdb: ids,
  });
  t.false(out.shows.some((s) => s.movieId === '872'));
  t.deepEqual(
    out.skipped.map((s) => s.id),
    ['20202/300872', '30303/300872'],
  );
  t.regex(out.skipped[0]!.error, /Singin' in the Rain.*tt0045152.*dropped \d+ showings/);
});

test('showtimes: a screen the screens file does not know gets the default layout', (t) => {
  const out = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages: pages((p) => {
      if (p.cinemaId !== 30303) return;
      for (const f of (p.body as Page).films) {
        for (const v of Object.values(f.showings))
          for (const time of v.times) delete (time as { screen_name?: string }).screen_name;
      }
    }),
    screens,
    movieIdByImdb: tmdb(null).movieIdByImdb,
  });
  const vienna = out.theaters.find((th) => th.id === 't-30303')!;
  t.deepEqual(
    vienna.screens.map((s) => [s.id, s.name]),
    [
      ['t-30303-s1', 'Saal Gold'],
      ['t-30303-s2', 'Saal Blau'],
      ['t-30303-s3', 'Main'],
    ],
  );
  t.deepEqual(vienna.screens[2]!.layout, [...DEFAULT_LAYOUT]);
  t.true(out.shows.filter((s) => s.theaterId === 't-30303').every((s) => s.screenId === 't-30303-s3'));
});

test('showtimes: two films on one screen at one time keep the first, report the second', (t) => {
  const out = adaptShowtimes({
    cinemasNearby: rec.cinemasNearby,
    pages: pages((p) => {
      if (p.cinemaId !== 10101 || p.date !== '2026-03-23') return;
      const films = (p.body as Page).films;
      const first = Object.values(films[0]!.showings)[0]!.times[0]!;
      Object.values(films[1]!.showings)[0]!.times.push({ ...first });
    }),
    screens,
    movieIdByImdb: tmdb(null).movieIdByImdb,
  });
  t.is(out.skipped.length, 1);
  t.regex(out.skipped[0]!.error, /already has a show at 2026-03-23T\d\d:\d\d:00\+01:00/);
});
