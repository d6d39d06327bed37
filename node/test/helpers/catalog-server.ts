/**
 * Serves the bundled recording at TMDB v3 and MovieGlu-like paths on 127.0.0.1, with knobs to
 * inject the faults the importer must survive. Only ever binds loopback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUNDLED_DIR, type Recording, readRecording } from '../../src/catalog/bundled.js';
import { addDays, daysBetween } from '../../src/catalog/time.js';

export interface CatalogServerOptions {
  /** v3 key (`api_key`) or Bearer token the TMDB paths accept; anything else gets TMDB's 401. */
  apiKey?: string;
  /**
   * Behave like a live source whose schedule starts on this date (`YYYY-MM-DD`): requests for
   * `today + i` are answered from recorded day `i`, with the dates rewritten.
   */
  today?: string;
  /** `/3/movie/:id` answers with a record that fails validation. */
  malformedMovies?: number[];
  /** `/3/movie/:id` answers 404 as TMDB does (status_code 34). */
  notFoundMovies?: number[];
  /** pathname → how many requests get a 500 before it answers normally. */
  fail500?: Record<string, number>;
  /** pathname → delay before answering, for the first `times` requests (all when omitted). */
  slow?: Record<string, { ms: number; times?: number }>;
  /** Cinema ids whose first recorded showing of each day gets an impossible `start_time`. */
  badShowtimes?: number[];
  dir?: string;
}

export interface CatalogServer {
  /** `http://127.0.0.1:<port>`, the `tmdbUrl`. */
  url: string;
  /** The `showtimesUrl`. */
  showtimesUrl: string;
  /** Requests seen per pathname. */
  hits(pathname: string): number;
  /** Every request as `pathname?query` with the key redacted. */
  requests: string[];
  close(): Promise<void>;
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
  res.end(JSON.stringify(body));
};

const RECORDED_FIRST_DAY = (rec: Recording): string => {
  const dates = [...rec.showtimes.values()].flatMap((m) => [...m.keys()]).sort();
  return dates[0] ?? '1970-01-01';
};

/** Rewrites every date a cinemaShowTimes page carries, as a live source would have sent it. */
function shiftPage(page: unknown, shift: number): unknown {
  if (shift === 0) return page;
  return JSON.parse(JSON.stringify(page), (key, value) =>
    key === 'date' && typeof value === 'string' ? addDays(value, shift) : value,
  );
}

export async function startCatalogServer(opts: CatalogServerOptions = {}): Promise<CatalogServer> {
  const rec = readRecording(opts.dir ?? BUNDLED_DIR);
  const apiKey = opts.apiKey ?? 'test-key';
  const firstDay = RECORDED_FIRST_DAY(rec);
  const shift = opts.today ? daysBetween(firstDay, opts.today) : 0;
  const counts = new Map<string, number>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  /** `n` is how many requests for this pathname came before this one. */
  const handle = (req: IncomingMessage, res: ServerResponse, url: URL, n: number) => {
    const path = url.pathname;
    if (n < (opts.fail500?.[path] ?? 0)) {
      return json(res, 500, { success: false, status_code: 11, status_message: 'Internal error: injected.' });
    }

    if (path.startsWith('/3/')) {
      const key = url.searchParams.get('api_key') ?? req.headers.authorization?.replace(/^Bearer /, '');
      if (key !== apiKey) {
        return json(res, 401, {
          success: false,
          status_code: 7,
          status_message: 'Invalid API key: You must be granted a valid key.',
        });
      }
      if (path === '/3/configuration') return json(res, 200, rec.configuration);
      if (path === '/3/genre/movie/list') return json(res, 200, rec.genres);
      if (path === '/3/movie/now_playing') return json(res, 200, rec.nowPlaying);
      const m = /^\/3\/movie\/(\d+)$/.exec(path);
      const id = m ? Number(m[1]) : Number.NaN;
      const body = rec.movies.get(id);
      if (!m || body === undefined || opts.notFoundMovies?.includes(id)) {
        return json(res, 404, {
          success: false,
          status_code: 34,
          status_message: 'The resource you requested could not be found.',
        });
      }
      if (opts.malformedMovies?.includes(id)) {
        return json(res, 200, { ...(body as object), runtime: 'two hours', genres: null });
      }
      return json(res, 200, body);
    }

    if (path === '/cinemasNearby') return json(res, 200, rec.cinemasNearby);
    if (path === '/cinemaShowTimes') {
      const cinemaId = Number(url.searchParams.get('cinema_id'));
      const date = url.searchParams.get('date') ?? '';
      const byDate = rec.showtimes.get(cinemaId);
      if (!byDate) return json(res, 404, { message: 'unknown cinema_id' });
      const page = byDate.get(addDays(date, -shift));
      // MovieGlu's answer for a day with nothing on.
      if (page === undefined) return res.writeHead(204).end();
      let body = shiftPage(page, shift) as { films: { showings: Record<string, { times: object[] }> }[] };
      if (opts.badShowtimes?.includes(cinemaId)) {
        body = structuredClone(body);
        const first = Object.values(body.films[0]?.showings ?? {})[0]?.times[0];
        if (first) Object.assign(first, { start_time: '25:61' });
      }
      return json(res, 200, body);
    }
    return json(res, 404, { message: `no route ${path}` });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const shown = new URL(url);
    if (shown.searchParams.has('api_key')) shown.searchParams.set('api_key', '***');
    requests.push(shown.pathname + shown.search);
    const n = counts.get(url.pathname) ?? 0;
    const slow = opts.slow?.[url.pathname];
    const delay = slow && (slow.times === undefined || n < slow.times) ? slow.ms : 0;
    counts.set(url.pathname, n + 1);
    const answer = () => handle(req, res, url, n);
    if (delay === 0) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) answer();
    }, delay);
    timers.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    showtimesUrl: `${url}/`,
    hits: (pathname) => counts.get(pathname) ?? 0,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
