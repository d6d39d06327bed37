/**
 * The obvious alternative the cluster is measured against: one MySQL doing the same booking
 * transactions, straight through mysql2, no replication, no RPC. It reuses the node's own store
 * (schema migrations and the very statements a node applies for `booking.create` and
 * `booking.cancel`), so the two sides write the same rows; only the path differs.
 *
 * A booking is one transaction: read the show's seat claims, refuse taken seats, insert the
 * booking and its claims (the (show, seat) primary key refuses a concurrent double sale, as on
 * a node). A cancel is one transaction too. Ticket signing is left out (a random token of the
 * node's token length): the baseline measures the database path.
 *
 * Used by both benchmarks: `npm run bench:node` (one node) and `booking bench --baseline`.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from 'mysql2/promise';
import { newBookingCode, newId } from '../src/booking/codes.js';
import type { Command, LogEntry } from '../src/booking/entries.js';
import { parseLayout } from '../src/booking/layout.js';
import { loadBundledCatalog } from '../src/catalog/bundled.js';
import { localDateOf } from '../src/log/local-date.js';
import { dropDatabase, openDatabase } from '../src/store/db.js';
import { migrate } from '../src/store/migrations.js';
import { applyCommand, bookingBy, inTransaction, seatClaims } from '../src/store/queries.js';

/** Seats of one show: all of them (`shows()`), or the ones one booking takes. */
export interface ShowSeats {
  showId: string;
  seatIds: string[];
}

export class SeatsTaken extends Error {
  readonly reason = 'SEATS_UNAVAILABLE';
}

export class MysqlBaseline {
  #index = 0;
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
      await inTransaction(pool, (tx) =>
        applyCommand(tx, baseline.#entry({ kind: 'catalog.import', snapshot }), localDateOf),
      );
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

  #entry(command: Command): LogEntry {
    this.#index += 1;
    return { index: this.#index, epoch: 1, lamport: this.#index, command };
  }

  /** Books a pair in one transaction; resolves with the booking code. */
  async book(pair: ShowSeats, customer: { name: string; email: string }): Promise<string> {
    try {
      return await inTransaction(this.pool, async (tx) => {
        const wanted = new Set(pair.seatIds);
        const taken = (await seatClaims(tx, pair.showId)).filter((c) => wanted.has(c.seatId));
        if (taken.length > 0) throw new SeatsTaken(`seats taken: ${taken.map((c) => c.seatId).join(' ')}`);
        const booking = {
          id: newId('b'),
          code: newBookingCode(),
          showId: pair.showId,
          seatIds: pair.seatIds,
          customer,
          totalCents: 1200 * pair.seatIds.length,
          currency: 'EUR',
          createdAt: new Date().toISOString(),
          idempotencyKey: null,
          token: this.#token,
        };
        await applyCommand(tx, this.#entry({ kind: 'booking.create', holdId: null, booking }), localDateOf);
        return booking.code;
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'ER_DUP_ENTRY')
        throw new SeatsTaken('seat claimed concurrently');
      throw error;
    }
  }

  async cancel(code: string): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      const row = await bookingBy(tx, 'code', code);
      if (!row || row.status === 'cancelled')
        throw Object.assign(new Error('not found'), { reason: 'BOOKING_NOT_FOUND' });
      await applyCommand(
        tx,
        this.#entry({ kind: 'booking.cancel', bookingId: row.id, showId: row.showId, seatIds: row.seatIds }),
        localDateOf,
      );
    });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await dropDatabase(this.databaseUrl).catch(() => undefined);
  }
}
