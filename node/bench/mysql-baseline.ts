/**
 * The alternative the cluster is measured against: what a user would build instead, one MySQL
 * doing the same bookings straight through mysql2, no replication, no RPC. The node's own schema
 * (its migrations), so both sides write the same rows.
 *
 * The strongest simple design (`book`): one durable transaction per booking that inserts the
 * seat claims and the booking and lets the (show, seat) primary key decide; no read before the
 * write. `bookWithRead` is the weaker design the first benchmarks used (read the show's claims
 * first), kept for `--baseline-read`. A cancel is one transaction. Ticket signing is left out (a
 * random token of the node's token length): the baseline measures the database path.
 *
 * Used by both benchmarks: `npm run bench:node` (one node) and `booking bench --baseline`.
 */
import { randomBytes } from 'node:crypto';
import type { Pool, PoolConnection } from 'mysql2/promise';
import { newBookingCode, newId } from '../src/booking/codes.js';
import { parseLayout } from '../src/booking/layout.js';
import { loadBundledCatalog } from '../src/catalog/bundled.js';
import { dropDatabase, openDatabase } from '../src/store/db.js';
import { localDateOf } from '../src/store/local-date.js';
import { migrate } from '../src/store/migrations.js';
import { inTransaction, seatClaims, upsertCatalog } from '../src/store/queries.js';

/** Seats of one show: all of them (`shows()`), or the ones one booking takes. */
export interface ShowSeats {
  showId: string;
  seatIds: string[];
}

export class SeatsTaken extends Error {
  readonly reason = 'SEATS_UNAVAILABLE';
}

export class MysqlBaseline {
  readonly #token = randomBytes(96).toString('base64url');

  private constructor(
    private readonly pool: Pool,
    readonly databaseUrl: string,
    private readonly catalogShows: ShowSeats[],
  ) {}

  /** Creates a fresh database on `serverUrl`, migrates it and loads the bundled catalog. */
  static async open(serverUrl: string, connections: number): Promise<MysqlBaseline> {
    const databaseUrl = `${serverUrl.replace(/\/$/, '')}/booking_bench_baseline_${randomBytes(4).toString('hex')}`;
    const pool = await openDatabase(databaseUrl, connections);
    try {
      await migrate(pool);
      const snapshot = loadBundledCatalog(new Date());
      const baseline = new MysqlBaseline(pool, databaseUrl, []);
      await inTransaction(pool, (tx) => upsertCatalog(tx, snapshot, localDateOf));
      const layouts = new Map(snapshot.theaters.flatMap((t) => t.screens.map((s) => [s.id, s.layout])));
      const soon = Date.now() + 3600_000;
      for (const show of snapshot.shows) {
        if (Date.parse(show.startsAt) < soon) continue;
        const seatIds = parseLayout(layouts.get(show.screenId) ?? []).flatMap((r) =>
          r.seats.map((s) => s.id),
        );
        baseline.catalogShows.push({ showId: show.id, seatIds });
      }
      return baseline;
    } catch (error) {
      await pool.end().catch(() => undefined);
      await dropDatabase(databaseUrl).catch(() => undefined);
      throw error;
    }
  }

  /** The future shows of the bundled catalog with all their seats (a fresh database: all free). */
  shows(): ShowSeats[] {
    return this.catalogShows;
  }

  /** Books a pair in one transaction, the key deciding; resolves with the booking code. */
  async book(pair: ShowSeats, customer: { name: string; email: string }): Promise<string> {
    try {
      return await inTransaction(this.pool, (tx) => this.#insert(tx, pair, customer));
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw new SeatsTaken('seats taken');
      throw error;
    }
  }

  /** The weaker design: read the show's claims first, then insert (`--baseline-read`). */
  async bookWithRead(pair: ShowSeats, customer: { name: string; email: string }): Promise<string> {
    try {
      return await inTransaction(this.pool, async (tx) => {
        const wanted = new Set(pair.seatIds);
        const taken = (await seatClaims(tx, pair.showId)).filter((c) => wanted.has(c.seatId));
        if (taken.length > 0) throw new SeatsTaken(`seats taken: ${taken.map((c) => c.seatId).join(' ')}`);
        return this.#insert(tx, pair, customer);
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY') throw new SeatsTaken('seats taken');
      throw error;
    }
  }

  async #insert(
    tx: PoolConnection,
    pair: ShowSeats,
    customer: { name: string; email: string },
  ): Promise<string> {
    const id = newId('b');
    const code = newBookingCode();
    await tx.query(
      `INSERT INTO seat_claims (show_id, seat_id, booking_id) VALUES ${pair.seatIds.map(() => '(?, ?, ?)').join(', ')}`,
      pair.seatIds.flatMap((seat) => [pair.showId, seat, id]),
    );
    await tx.query(
      `INSERT INTO bookings (id, code, show_id, seat_ids, customer_name, customer_email, total_cents, currency,
         status, created_at, lamport, epoch, commit_index, idempotency_key, hold_id, token)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'EUR', 'confirmed', ?, 0, 0, 0, NULL, NULL, ?)`,
      [
        id,
        code,
        pair.showId,
        JSON.stringify(pair.seatIds),
        customer.name,
        customer.email,
        1200 * pair.seatIds.length,
        new Date().toISOString(),
        this.#token,
      ],
    );
    return code;
  }

  async cancel(code: string): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const [rows] = await tx.query(
        'SELECT id, show_id, seat_ids FROM bookings WHERE code = ? AND status = ? FOR UPDATE',
        [code, 'confirmed'],
      );
      const row = (rows as { id: string; show_id: string; seat_ids: string }[])[0];
      if (!row) throw Object.assign(new Error('not found'), { reason: 'BOOKING_NOT_FOUND' });
      const seats = JSON.parse(row.seat_ids) as string[];
      await tx.query(`UPDATE bookings SET status = 'cancelled' WHERE id = ?`, [row.id]);
      // By the primary key (show, seat), as a node does: no secondary index is needed.
      await tx.query(
        `DELETE FROM seat_claims WHERE show_id = ? AND seat_id IN (${seats.map(() => '?').join(', ')})`,
        [row.show_id, ...seats],
      );
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await dropDatabase(this.databaseUrl).catch(() => undefined);
  }
}
