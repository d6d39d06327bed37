/**
 * Every SQL statement of the node lives here. Callers get typed rows and never build SQL.
 * `Db` is a pool or a connection inside a transaction.
 */
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { CatalogScreen, CatalogSnapshot } from '../catalog/model.js';
import type { ClusterEvent, Movie, Show, Theater } from '../protocol/model.js';
import type { Statement } from './statements.js';

export type Db = Pool | PoolConnection;

async function rows<T>(db: Db, sql: string, values: unknown[] = []): Promise<T[]> {
  const [result] = await db.query<RowDataPacket[]>(sql, values);
  return result as unknown as T[];
}

async function exec(db: Db, sql: string, values: unknown[] = []): Promise<ResultSetHeader> {
  const [result] = await db.query<ResultSetHeader>(sql, values);
  return result;
}

// ---------- meta ----------

export async function getMeta(db: Db): Promise<Map<string, string>> {
  const list = await rows<{ k: string; v: string }>(db, 'SELECT k, v FROM meta');
  return new Map(list.map((r) => [r.k, r.v]));
}

export function metaStatement(values: Record<string, string | number>): Statement | null {
  const entries = Object.entries(values);
  if (entries.length === 0) return null;
  return {
    sql: `INSERT INTO meta (k, v) VALUES ${entries.map(() => '(?, ?)').join(', ')} ON DUPLICATE KEY UPDATE v = VALUES(v)`,
    values: entries.flatMap(([k, v]) => [k, String(v)]),
  };
}

export async function setMeta(db: Db, values: Record<string, string | number>): Promise<void> {
  const s = metaStatement(values);
  if (s) await exec(db, s.sql, [...s.values]);
}

// ---------- log ----------

/** A log entry as stored: the payload is the state machine's business, kept here as JSON. */
export interface StoredCommand<C = unknown> {
  index: number;
  epoch: number;
  lamport: number;
  command: C;
}

const kindOf = (payload: unknown): string => {
  const kind = (payload as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' ? kind.slice(0, 32) : 'command';
};

export function appendLogStatement(entries: readonly StoredCommand[]): Statement | null {
  if (entries.length === 0) return null;
  return {
    sql: `INSERT INTO log_entries (idx, epoch, lamport, kind, payload) VALUES ${entries.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
    values: entries.flatMap((e) => [
      e.index,
      e.epoch,
      e.lamport,
      kindOf(e.command),
      JSON.stringify(e.command),
    ]),
  };
}

export async function appendLog(db: Db, entries: readonly StoredCommand[]): Promise<void> {
  const s = appendLogStatement(entries);
  if (s) await exec(db, s.sql, [...s.values]);
}

export async function truncateLogFrom(db: Db, index: number): Promise<void> {
  await exec(db, 'DELETE FROM log_entries WHERE idx >= ?', [index]);
}

export async function readLog<C = unknown>(
  db: Db,
  fromIndex: number,
  toIndex = Number.MAX_SAFE_INTEGER,
): Promise<StoredCommand<C>[]> {
  const list = await rows<{ idx: number; epoch: number; lamport: number; payload: string }>(
    db,
    'SELECT idx, epoch, lamport, payload FROM log_entries WHERE idx >= ? AND idx <= ? ORDER BY idx',
    [fromIndex, toIndex],
  );
  return list.map((r) => ({
    index: Number(r.idx),
    epoch: Number(r.epoch),
    lamport: Number(r.lamport),
    command: JSON.parse(r.payload) as C,
  }));
}

export async function lastLogEntry(
  db: Db,
): Promise<{ index: number; epoch: number; lamport: number } | null> {
  const [row] = await rows<{ idx: number; epoch: number; lamport: number }>(
    db,
    'SELECT idx, epoch, lamport FROM log_entries ORDER BY idx DESC LIMIT 1',
  );
  return row ? { index: Number(row.idx), epoch: Number(row.epoch), lamport: Number(row.lamport) } : null;
}

// ---------- cluster log and hard state ----------

/** A stored entry of the replicated log: a command, or a view-change barrier (no payload). */
export type StoredEntry<C = unknown> =
  | { index: number; epoch: number; lamport: number; kind: 'command'; payload: C }
  | { index: number; epoch: number; lamport: number; kind: 'barrier' };

export async function readClusterLog<C = unknown>(db: Db, fromIndex = 1): Promise<StoredEntry<C>[]> {
  const list = await rows<{ idx: number; epoch: number; lamport: number; kind: string; payload: string }>(
    db,
    'SELECT idx, epoch, lamport, kind, payload FROM log_entries WHERE idx >= ? ORDER BY idx',
    [fromIndex],
  );
  return list.map((r) => {
    const head = { index: Number(r.idx), epoch: Number(r.epoch), lamport: Number(r.lamport) };
    return r.kind === 'barrier'
      ? { ...head, kind: 'barrier' as const }
      : { ...head, kind: 'command' as const, payload: JSON.parse(r.payload) as C };
  });
}

/** Where the stored log starts after a compaction or a snapshot install (see snapshotPointMeta). */
export interface StoredSnapshotPoint {
  index: number;
  epoch: number;
  lamport: number;
}

/** The snapshot point as the `meta` rows that hold it (written with the change it describes). */
export function snapshotPointMeta(point: StoredSnapshotPoint): Record<string, number> {
  return { snapshot_index: point.index, snapshot_epoch: point.epoch, snapshot_lamport: point.lamport };
}

/** The stored snapshot point, or undefined if the log was never compacted. */
export function snapshotPointOf(meta: ReadonlyMap<string, string>): StoredSnapshotPoint | undefined {
  const index = Number(meta.get('snapshot_index') ?? 0);
  if (!(index > 0)) return undefined;
  return {
    index,
    epoch: Number(meta.get('snapshot_epoch') ?? 0),
    lamport: Number(meta.get('snapshot_lamport') ?? 0),
  };
}

/**
 * One Ready's log changes: drop the compacted prefix, cut the uncommitted tail that lost a view
 * change, then append. (The caller stores `base` itself in meta, in the same transaction.)
 */
export function clusterLogStatements(changes: {
  base?: StoredSnapshotPoint;
  truncateFrom?: number;
  append: StoredEntry[];
}): Statement[] {
  const out: Statement[] = [];
  if (changes.base !== undefined) {
    out.push({ sql: 'DELETE FROM log_entries WHERE idx <= ?', values: [changes.base.index] });
  }
  if (changes.truncateFrom !== undefined) {
    out.push({ sql: 'DELETE FROM log_entries WHERE idx >= ?', values: [changes.truncateFrom] });
  }
  if (changes.append.length > 0) {
    out.push({
      sql: `INSERT INTO log_entries (idx, epoch, lamport, kind, payload) VALUES ${changes.append.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      values: changes.append.flatMap((e) => [
        e.index,
        e.epoch,
        e.lamport,
        e.kind === 'barrier' ? 'barrier' : kindOf(e.payload),
        e.kind === 'barrier' ? 'null' : JSON.stringify(e.payload),
      ]),
    });
  }
  return out;
}

export async function writeClusterLog(
  db: Db,
  changes: { truncateFrom?: number; append: StoredEntry[] },
): Promise<void> {
  for (const s of clusterLogStatements(changes)) await exec(db, s.sql, [...s.values]);
}

// ---------- catalog ----------

interface MovieRow {
  id: string;
  title: string;
  overview: string;
  release_date: string;
  runtime_minutes: number | null;
  genres: string;
  rating: number | null;
  poster_url: string | null;
}

const toMovie = (r: MovieRow): Movie => ({
  id: r.id,
  title: r.title,
  overview: r.overview,
  releaseDate: r.release_date,
  runtimeMinutes: r.runtime_minutes,
  genres: JSON.parse(r.genres) as string[],
  rating: r.rating,
  posterUrl: r.poster_url,
});

export async function listMovies(db: Db): Promise<Movie[]> {
  return (await rows<MovieRow>(db, 'SELECT * FROM movies ORDER BY release_date DESC, title')).map(toMovie);
}

export async function getMovie(db: Db, id: string): Promise<Movie | null> {
  const [row] = await rows<MovieRow>(db, 'SELECT * FROM movies WHERE id = ?', [id]);
  return row ? toMovie(row) : null;
}

export async function countCatalog(db: Db): Promise<{ movies: number; shows: number }> {
  const [row] = await rows<{ movies: number; shows: number }>(
    db,
    'SELECT (SELECT COUNT(*) FROM movies) AS movies, (SELECT COUNT(*) FROM shows) AS shows',
  );
  return { movies: Number(row?.movies ?? 0), shows: Number(row?.shows ?? 0) };
}

export async function listTheaters(db: Db): Promise<Theater[]> {
  const theaters = await rows<{ id: string; name: string; city: string; address: string }>(
    db,
    'SELECT id, name, city, address FROM theaters ORDER BY name',
  );
  const screens = await rows<{ id: string; theater_id: string; name: string; seat_count: number }>(
    db,
    'SELECT id, theater_id, name, seat_count FROM screens ORDER BY id',
  );
  return theaters.map((t) => ({
    ...t,
    screens: screens
      .filter((s) => s.theater_id === t.id)
      .map((s) => ({ id: s.id, name: s.name, seatCount: s.seat_count })),
  }));
}

interface ShowRow {
  id: string;
  movie_id: string;
  theater_id: string;
  screen_id: string;
  starts_at: string;
  starts_at_ms: number;
  price_standard: number;
  price_premium: number | null;
  currency: string;
  seats_total: number;
  claimed: number;
}

const toShow = (r: ShowRow): Show => ({
  id: r.id,
  movieId: r.movie_id,
  theaterId: r.theater_id,
  screenId: r.screen_id,
  startsAt: r.starts_at,
  prices:
    r.price_premium === null
      ? { standard: r.price_standard }
      : { standard: r.price_standard, premium: r.price_premium },
  currency: r.currency,
  seatsTotal: r.seats_total,
  seatsAvailable: r.seats_total - Number(r.claimed),
});

const SHOW_SELECT = `SELECT s.*, (SELECT COUNT(*) FROM seat_claims c WHERE c.show_id = s.id) AS claimed FROM shows s`;

export async function listShows(
  db: Db,
  filter: { movieId?: string; theaterId?: string; date?: string },
): Promise<Show[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.movieId !== undefined) {
    where.push('s.movie_id = ?');
    values.push(filter.movieId);
  }
  if (filter.theaterId !== undefined) {
    where.push('s.theater_id = ?');
    values.push(filter.theaterId);
  }
  if (filter.date !== undefined) {
    where.push('s.local_date = ?');
    values.push(filter.date);
  }
  const sql = `${SHOW_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.starts_at_ms, s.id`;
  return (await rows<ShowRow>(db, sql, values)).map(toShow);
}

export interface ShowWithLayout {
  show: Show;
  startsAtMs: number;
  layout: string[];
}

export async function getShowWithLayout(db: Db, showId: string): Promise<ShowWithLayout | null> {
  const [row] = await rows<ShowRow & { layout: string }>(
    db,
    `SELECT s.*, sc.layout, (SELECT COUNT(*) FROM seat_claims c WHERE c.show_id = s.id) AS claimed
       FROM shows s JOIN screens sc ON sc.id = s.screen_id WHERE s.id = ?`,
    [showId],
  );
  if (!row) return null;
  return {
    show: toShow(row),
    startsAtMs: Number(row.starts_at_ms),
    layout: JSON.parse(row.layout) as string[],
  };
}

function seatCount(screen: CatalogScreen): number {
  return screen.layout.join('').replace(/\./g, '').length;
}

/** The statements that upsert a whole snapshot: re-importing the same catalog changes nothing. */
export function catalogStatements(
  snapshot: CatalogSnapshot,
  localDate: (iso: string) => string,
): Statement[] {
  const out: Statement[] = [];
  const chunk = <T>(list: T[], size = 200): T[][] =>
    Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));
  for (const part of chunk(snapshot.movies)) {
    out.push({
      sql: `INSERT INTO movies (id, title, overview, release_date, runtime_minutes, genres, rating, poster_url)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE title = VALUES(title), overview = VALUES(overview), release_date = VALUES(release_date),
         runtime_minutes = VALUES(runtime_minutes), genres = VALUES(genres), rating = VALUES(rating), poster_url = VALUES(poster_url)`,
      values: part.flatMap((m) => [
        m.id,
        m.title,
        m.overview,
        m.releaseDate,
        m.runtimeMinutes,
        JSON.stringify(m.genres),
        m.rating,
        m.posterUrl,
      ]),
    });
  }
  for (const t of snapshot.theaters) {
    out.push({
      sql: `INSERT INTO theaters (id, name, city, address) VALUES (?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE name = VALUES(name), city = VALUES(city), address = VALUES(address)`,
      values: [t.id, t.name, t.city, t.address],
    });
    for (const s of t.screens) {
      out.push({
        sql: `INSERT INTO screens (id, theater_id, name, layout, seat_count) VALUES (?, ?, ?, ?, ?)
         ON DUPLICATE KEY UPDATE name = VALUES(name), layout = VALUES(layout), seat_count = VALUES(seat_count)`,
        values: [s.id, t.id, s.name, JSON.stringify(s.layout), seatCount(s)],
      });
    }
  }
  const screens = new Map(snapshot.theaters.flatMap((t) => t.screens.map((s) => [s.id, s] as const)));
  for (const part of chunk(snapshot.shows)) {
    out.push({
      sql: `INSERT INTO shows (id, movie_id, theater_id, screen_id, starts_at, starts_at_ms, local_date,
         price_standard, price_premium, currency, seats_total)
       VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       ON DUPLICATE KEY UPDATE movie_id = VALUES(movie_id), starts_at = VALUES(starts_at),
         starts_at_ms = VALUES(starts_at_ms), local_date = VALUES(local_date), price_standard = VALUES(price_standard),
         price_premium = VALUES(price_premium), currency = VALUES(currency), seats_total = VALUES(seats_total)`,
      values: part.flatMap((s) => {
        const screen = screens.get(s.screenId);
        return [
          s.id,
          s.movieId,
          s.theaterId,
          s.screenId,
          s.startsAt,
          Date.parse(s.startsAt),
          localDate(s.startsAt),
          s.prices.standard,
          s.prices.premium ?? null,
          s.currency,
          screen ? seatCount(screen) : 0,
        ];
      }),
    });
  }
  return out;
}

export async function upsertCatalog(db: Db, snapshot: CatalogSnapshot, localDate: (iso: string) => string) {
  for (const st of catalogStatements(snapshot, localDate)) await exec(db, st.sql, [...st.values]);
}

// ---------- seats and holds ----------

export interface ClaimRow {
  seatId: string;
  holdId: string | null;
  bookingId: string | null;
}

export async function seatClaims(db: Db, showId: string): Promise<ClaimRow[]> {
  return rows<ClaimRow>(
    db,
    'SELECT seat_id AS seatId, hold_id AS holdId, booking_id AS bookingId FROM seat_claims WHERE show_id = ?',
    [showId],
  );
}

export interface HoldRow {
  id: string;
  showId: string;
  seatIds: string[];
  expiresAtMs: number;
  state: 'active' | 'released' | 'expired' | 'confirmed';
  commitIndex: number;
}

interface RawHold {
  id: string;
  show_id: string;
  seat_ids: string;
  expires_at_ms: number;
  state: HoldRow['state'];
  commit_index: number;
}

const toHold = (r: RawHold): HoldRow => ({
  id: r.id,
  showId: r.show_id,
  seatIds: JSON.parse(r.seat_ids) as string[],
  expiresAtMs: Number(r.expires_at_ms),
  state: r.state,
  commitIndex: Number(r.commit_index),
});

export async function getHold(db: Db, holdId: string): Promise<HoldRow | null> {
  const [row] = await rows<RawHold>(db, 'SELECT * FROM holds WHERE id = ?', [holdId]);
  return row ? toHold(row) : null;
}

export async function expiredHolds(db: Db, nowMs: number, limit = 500): Promise<HoldRow[]> {
  return (
    await rows<RawHold>(
      db,
      `SELECT * FROM holds WHERE state = 'active' AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?`,
      [nowMs, limit],
    )
  ).map(toHold);
}

export async function nextHoldExpiry(db: Db): Promise<number | null> {
  const [row] = await rows<{ t: number | null }>(
    db,
    `SELECT MIN(expires_at_ms) AS t FROM holds WHERE state = 'active'`,
  );
  return row?.t == null ? null : Number(row.t);
}

// ---------- bookings ----------

export interface BookingRow {
  id: string;
  code: string;
  showId: string;
  seatIds: string[];
  customer: { name: string; email: string };
  totalCents: number;
  currency: string;
  createdAt: string;
  idempotencyKey: string | null;
  token: string;
  status: 'confirmed' | 'cancelled';
  lamport: number;
  epoch: number;
  commitIndex: number;
  holdId: string | null;
}

interface RawBooking {
  id: string;
  code: string;
  show_id: string;
  seat_ids: string;
  customer_name: string;
  customer_email: string;
  total_cents: number;
  currency: string;
  status: BookingRow['status'];
  created_at: string;
  lamport: number;
  epoch: number;
  commit_index: number;
  idempotency_key: string | null;
  hold_id: string | null;
  token: string;
}

const toBooking = (r: RawBooking): BookingRow => ({
  id: r.id,
  code: r.code,
  showId: r.show_id,
  seatIds: JSON.parse(r.seat_ids) as string[],
  customer: { name: r.customer_name, email: r.customer_email },
  totalCents: r.total_cents,
  currency: r.currency,
  status: r.status,
  createdAt: r.created_at,
  lamport: Number(r.lamport),
  epoch: Number(r.epoch),
  commitIndex: Number(r.commit_index),
  idempotencyKey: r.idempotency_key,
  holdId: r.hold_id,
  token: r.token,
});

export async function bookingBy(db: Db, column: 'id' | 'code', value: string): Promise<BookingRow | null> {
  const [row] = await rows<RawBooking>(db, `SELECT * FROM bookings WHERE ${column} = ? LIMIT 1`, [value]);
  return row ? toBooking(row) : null;
}

/** Every booking, for the chaos checker's final read and for tests. */
export async function allBookings(db: Db, afterId = '', limit = 1000): Promise<BookingRow[]> {
  return (
    await rows<RawBooking>(db, 'SELECT * FROM bookings WHERE id > ? ORDER BY id LIMIT ?', [afterId, limit])
  ).map(toBooking);
}

// ---------- the applied state, for the in-memory state machine ----------

/** Everything the booking state machine keeps in memory, read at start (nothing else writes then). */
export interface StateRows {
  appliedIndex: number;
  shows: {
    id: string;
    screenId: string;
    startsAtMs: number;
    layout: string[];
    prices: { standard: number; premium?: number };
    currency: string;
  }[];
  claims: { showId: string; seatId: string; holdId: string | null; bookingId: string | null }[];
  holds: {
    id: string;
    showId: string;
    seatIds: string[];
    expiresAtMs: number;
    state: HoldRow['state'];
    index: number;
  }[];
  bookings: {
    id: string;
    showId: string;
    seatIds: string[];
    status: BookingRow['status'];
    holdId: string | null;
    key: string | null;
    requestHash: string | null;
    index: number;
  }[];
}

export async function readStateRows(db: Db): Promise<StateRows> {
  const meta = await getMeta(db);
  const shows = await rows<{
    id: string;
    screen_id: string;
    starts_at_ms: number;
    layout: string;
    price_standard: number;
    price_premium: number | null;
    currency: string;
  }>(
    db,
    `SELECT s.id, s.screen_id, s.starts_at_ms, sc.layout, s.price_standard, s.price_premium, s.currency
       FROM shows s JOIN screens sc ON sc.id = s.screen_id`,
  );
  const claims = await rows<StateRows['claims'][number]>(
    db,
    'SELECT show_id AS showId, seat_id AS seatId, hold_id AS holdId, booking_id AS bookingId FROM seat_claims',
  );
  const holds = await rows<RawHold>(db, 'SELECT * FROM holds');
  const bookings = await rows<{
    id: string;
    show_id: string;
    seat_ids: string;
    status: BookingRow['status'];
    hold_id: string | null;
    idempotency_key: string | null;
    request_hash: string | null;
    commit_index: number;
  }>(
    db,
    'SELECT id, show_id, seat_ids, status, hold_id, idempotency_key, request_hash, commit_index FROM bookings',
  );
  return {
    appliedIndex: Number(meta.get('applied_index') ?? 0),
    shows: shows.map((r) => {
      const standard = Number(r.price_standard);
      return {
        id: r.id,
        screenId: r.screen_id,
        startsAtMs: Number(r.starts_at_ms),
        layout: JSON.parse(r.layout) as string[],
        prices: r.price_premium === null ? { standard } : { standard, premium: Number(r.price_premium) },
        currency: r.currency,
      };
    }),
    claims,
    holds: holds.map((r) => {
      const h = toHold(r);
      return {
        id: h.id,
        showId: h.showId,
        seatIds: h.seatIds,
        expiresAtMs: h.expiresAtMs,
        state: h.state,
        index: h.commitIndex,
      };
    }),
    bookings: bookings.map((r) => ({
      id: r.id,
      showId: r.show_id,
      seatIds: JSON.parse(r.seat_ids) as string[],
      status: r.status,
      holdId: r.hold_id,
      key: r.idempotency_key,
      requestHash: r.request_hash,
      index: Number(r.commit_index),
    })),
  };
}

// ---------- snapshots: the applied state, table by table ----------

/**
 * The tables that make up the applied state, which is what a snapshot carries: the catalog, the
 * holds, the seat claims, the bookings and the rejected entries (the state machine's verdicts, the
 * same on every node). Not the log, the meta rows or this node's own cluster events.
 */
export const SNAPSHOT_TABLES = [
  { name: 'movies', key: ['id'] },
  { name: 'theaters', key: ['id'] },
  { name: 'screens', key: ['id'] },
  { name: 'shows', key: ['id'] },
  { name: 'holds', key: ['id'] },
  { name: 'seat_claims', key: ['show_id', 'seat_id'] },
  { name: 'bookings', key: ['id'] },
  { name: 'rejected_entries', key: ['idx'] },
] as const satisfies readonly { name: string; key: readonly string[] }[];

export type SnapshotTable = (typeof SNAPSHOT_TABLES)[number]['name'];

export function isSnapshotTable(name: unknown): name is SnapshotTable {
  return SNAPSHOT_TABLES.some((t) => t.name === name);
}

/** Where a slave stages a snapshot it receives, next to the live table of the same shape. */
const staged = (table: SnapshotTable) => `snapshot_${table}`;

export interface SnapshotRows {
  columns: string[];
  rows: unknown[][];
  /** The key of the last row, where the next chunk starts (null: the table is done). */
  next: unknown[] | null;
}

/** The applied state at one index, read in one consistent snapshot transaction on its own connection. */
export interface StateReader {
  /** The applied index the read sees: the state is exactly the state after this entry. */
  readonly appliedIndex: number;
  /** The rows of `table` after `after` (a key from a previous chunk; null: from the start), in key order. */
  rows(table: SnapshotTable, after: unknown[] | null, limit: number): Promise<SnapshotRows>;
  close(): Promise<void>;
}

export async function openStateReader(pool: Pool): Promise<StateReader> {
  const conn = await pool.getConnection();
  try {
    // InnoDB fixes the read view here: every later read of this transaction sees one state, the
    // one whose applied_index it reads (effects and applied_index commit together).
    await conn.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const [row] = await rows<{ v: string }>(conn, "SELECT v FROM meta WHERE k = 'applied_index'");
    const appliedIndex = Number(row?.v ?? 0);
    return {
      appliedIndex,
      async rows(table, after, limit) {
        const spec = SNAPSHOT_TABLES.find((t) => t.name === table)!;
        const key: readonly string[] = spec.key;
        const values: unknown[] = [table];
        let where = '';
        if (after !== null) {
          // Keyset paging: (a > x) OR (a = x AND b > y), which MariaDB runs as a range on the key.
          const terms = key.map((_, k) => {
            const eq = key.slice(0, k).map((c, j) => {
              values.push(c, after[j]);
              return '?? = ?';
            });
            values.push(key[k], after[k]);
            return `(${[...eq, '?? > ?'].join(' AND ')})`;
          });
          where = `WHERE ${terms.join(' OR ')}`;
        }
        values.push(...key, limit);
        const [list, fields] = await conn.query<RowDataPacket[][]>(
          {
            sql: `SELECT * FROM ?? ${where} ORDER BY ${key.map(() => '??').join(', ')} LIMIT ?`,
            rowsAsArray: true,
          },
          values,
        );
        const columns = (fields ?? []).map((f) => f.name);
        const positions = key.map((c) => columns.indexOf(c));
        const last = list.at(-1) as unknown[] | undefined;
        return {
          columns,
          rows: list as unknown as unknown[][],
          next: last && list.length === limit ? positions.map((p) => last[p]) : null,
        };
      },
      async close() {
        await conn.query('ROLLBACK').catch(() => undefined);
        conn.release();
      },
    };
  } catch (error) {
    conn.release();
    throw error;
  }
}

/** Empty staging tables, shaped like the live ones, for a snapshot about to arrive. */
export async function resetSnapshotStaging(db: Db): Promise<void> {
  for (const { name } of SNAPSHOT_TABLES) {
    await exec(db, 'DROP TABLE IF EXISTS ??', [staged(name)]);
    await exec(db, 'CREATE TABLE ?? LIKE ??', [staged(name), name]);
  }
}

export async function dropSnapshotStaging(db: Db): Promise<void> {
  for (const { name } of SNAPSHOT_TABLES) await exec(db, 'DROP TABLE IF EXISTS ??', [staged(name)]);
}

const knownColumns = new Map<string, Set<string>>();

async function columnsOf(db: Db, table: SnapshotTable): Promise<Set<string>> {
  let known = knownColumns.get(table);
  if (!known) {
    const list = await rows<{ c: string }>(
      db,
      'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    known = new Set(list.map((r) => r.c));
    knownColumns.set(table, known);
  }
  return known;
}

/** Rows per INSERT into a staging table: well under max_allowed_packet whatever the chunk size. */
const STAGED_ROWS_PER_STATEMENT = 500;

/**
 * Stores one chunk of a received snapshot in its staging table. The column names come from a peer:
 * only columns the live table has are accepted, and every row must have one value per column.
 */
export async function stageSnapshotRows(
  db: Db,
  table: SnapshotTable,
  columns: readonly string[],
  values: readonly unknown[][],
): Promise<void> {
  const known = await columnsOf(db, table);
  if (
    columns.length === 0 ||
    columns.some((c) => !known.has(c)) ||
    new Set(columns).size !== columns.length
  ) {
    throw new Error(`snapshot chunk of ${table} has unknown or repeated columns`);
  }
  for (const row of values) {
    if (!Array.isArray(row) || row.length !== columns.length)
      throw new Error(`snapshot chunk of ${table} has a malformed row`);
  }
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  for (let i = 0; i < values.length; i += STAGED_ROWS_PER_STATEMENT) {
    const part = values.slice(i, i + STAGED_ROWS_PER_STATEMENT);
    await exec(
      db,
      `INSERT INTO ?? (${columns.map(() => '??').join(', ')}) VALUES ${part.map(() => tuple).join(', ')}`,
      [staged(table), ...columns, ...part.flat()],
    );
  }
}

/**
 * The one transaction that installs a staged snapshot: the live state replaced by the staged one,
 * stored log entries up to the point deleted (all after it too unless `keepAfter`: the node's log
 * agrees with the snapshot there), and `meta` (applied index, snapshot point, hard state) set.
 */
export function installSnapshotStatements(p: {
  point: StoredSnapshotPoint;
  keepAfter: boolean;
  meta: Record<string, string | number>;
}): Statement[] {
  const out: Statement[] = [];
  for (const { name } of SNAPSHOT_TABLES) {
    out.push({ sql: 'DELETE FROM ??', values: [name] });
    out.push({ sql: 'INSERT INTO ?? SELECT * FROM ??', values: [name, staged(name)] });
  }
  out.push({ sql: 'DELETE FROM log_entries WHERE idx <= ?', values: [p.point.index] });
  if (!p.keepAfter) out.push({ sql: 'DELETE FROM log_entries WHERE idx > ?', values: [p.point.index] });
  out.push(metaStatement({ ...p.meta, ...snapshotPointMeta(p.point) }) as Statement);
  return out;
}

/** Entries the state machine rejected (invariant violations), newest first. */
export async function rejectedEntries(
  db: Db,
  limit = 100,
): Promise<{ index: number; kind: string; reason: string; detail: string }[]> {
  const list = await rows<{ idx: number; kind: string; reason: string; detail: string }>(
    db,
    'SELECT idx, kind, reason, detail FROM rejected_entries ORDER BY idx DESC LIMIT ?',
    [limit],
  );
  return list.map((r) => ({ index: Number(r.idx), kind: r.kind, reason: r.reason, detail: r.detail }));
}

// ---------- events ----------

export async function insertEvents(db: Db, events: ClusterEvent[]): Promise<void> {
  if (events.length === 0) return;
  await exec(
    db,
    `INSERT IGNORE INTO events (lamport, node_id, type, at, detail) VALUES ${events.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
    events.flatMap((e) => [e.lamport, e.nodeId, e.type, e.at, JSON.stringify(e.detail)]),
  );
}

export async function recentEvents(db: Db, limit: number): Promise<ClusterEvent[]> {
  const list = await rows<{ lamport: number; node_id: number; type: string; at: string; detail: string }>(
    db,
    'SELECT * FROM (SELECT * FROM events ORDER BY lamport DESC LIMIT ?) e ORDER BY lamport, type',
    [limit],
  );
  return list.map((r) => ({
    nodeId: r.node_id,
    lamport: Number(r.lamport),
    type: r.type,
    at: r.at,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  }));
}

// ---------- transactions ----------

export async function inTransaction<T>(pool: Pool, work: (tx: PoolConnection) => Promise<T>): Promise<T> {
  const conn = await pool.getConnection();
  try {
    await conn.beginTransaction();
    const result = await work(conn);
    await conn.commit();
    return result;
  } catch (error) {
    await conn.rollback().catch(() => undefined);
    throw error;
  } finally {
    conn.release();
  }
}
