/**
 * The booking rules. Writes are decided here, on the master, under a per-show Mutex (so two
 * decisions about one show never interleave), and recorded as log entries; the Semaphore bounds
 * how much database work runs at once. Reads come from this node's own applied state.
 */
import { Mutex, Semaphore } from 'async-mutex';
import type { Pool } from 'mysql2/promise';
import type { WriteLog } from '../log/write-log.js';
import { AppError } from '../protocol/errors.js';
import type { ValidParamsOf } from '../protocol/methods.js';
import type { Booking, Hold, SeatMap, SeatStatus } from '../protocol/model.js';
import * as q from '../store/queries.js';
import { newBookingCode, newId, normaliseBookingCode } from './codes.js';
import type { LogEntry, NewBooking } from './entries.js';
import { parseLayout, priceOf, seatIndex } from './layout.js';
import { verifyTicket } from './tickets.js';
import type { TicketWorkers } from './worker-pool.js';

export const MAX_SEATS_PER_HOLD = 10;

export interface BookingServiceOptions {
  holdTtlMs: number;
  secret: string;
  /** The master's clock; injectable so tests can move time. */
  now?: () => number;
  dbConcurrency?: number;
}

export class BookingService {
  readonly #showLocks = new Map<string, Mutex>();
  readonly #db: Semaphore;
  readonly #inflightKeys = new Map<string, Promise<Booking>>();
  readonly #now: () => number;
  /**
   * Shows as seat decisions need them (start, prices, layout). They change only with a catalog
   * import, which clears the cache when it applies, so a booking saves a query and a layout parse.
   */
  readonly #shows = new Map<string, q.ShowWithLayout>();

  constructor(
    private readonly pool: Pool,
    private readonly log: WriteLog,
    private readonly workers: TicketWorkers,
    private readonly options: BookingServiceOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#db = new Semaphore(options.dbConcurrency ?? 12);
    log.onApplied((entries) => {
      if (entries.some((e) => e.command.kind === 'catalog.import')) this.#shows.clear();
    });
  }

  // ---------------- reads ----------------

  /** Runs a read under the database semaphore. */
  read<T>(work: (db: Pool) => Promise<T>): Promise<T> {
    return this.#db.runExclusive(() => work(this.pool));
  }

  async seatMap(showId: string): Promise<SeatMap> {
    const commitIndex = this.log.appliedIndex;
    const [show, claims] = await this.read((db) =>
      Promise.all([q.getShowWithLayout(db, showId), q.seatClaims(db, showId)]),
    );
    if (!show) throw new AppError('SHOW_NOT_FOUND', `no show ${showId}`);
    const status = new Map<string, SeatStatus>(
      claims.map((c) => [c.seatId, c.bookingId ? 'booked' : 'held']),
    );
    return {
      showId,
      commitIndex,
      rows: parseLayout(show.layout).map((row) => ({
        label: row.label,
        seats: row.seats.map((s) => ({ ...s, status: status.get(s.id) ?? 'available' })),
      })),
    };
  }

  async getBooking(rawCode: string): Promise<Booking> {
    const code = normaliseBookingCode(rawCode);
    const row = code ? await this.read((db) => q.bookingBy(db, 'code', code)) : null;
    if (!row) throw new AppError('BOOKING_NOT_FOUND', 'no booking with that code');
    return this.#present(row);
  }

  async verifyTicket(token: string): Promise<{ valid: true; booking: Booking }> {
    const payload = verifyTicket(this.options.secret, token);
    if (!payload) throw new AppError('INVALID_TICKET', 'the ticket signature is not valid');
    const row = await this.read((db) => q.bookingBy(db, 'id', payload.b));
    if (!row)
      throw new AppError('INVALID_TICKET', 'the ticket belongs to no booking here', { detail: 'unknown' });
    if (row.status === 'cancelled') {
      throw new AppError('INVALID_TICKET', 'the booking of this ticket was cancelled', {
        detail: 'cancelled',
      });
    }
    return { valid: true, booking: await this.#present(row) };
  }

  // ---------------- writes (master only) ----------------

  async hold(p: ValidParamsOf<'seats.hold'>): Promise<Hold> {
    if (p.seatIds.length > MAX_SEATS_PER_HOLD) {
      throw new AppError('TOO_MANY_SEATS', `at most ${MAX_SEATS_PER_HOLD} seats per hold`, {
        max: MAX_SEATS_PER_HOLD,
      });
    }
    return this.#withShow(p.showId, async () => {
      const show = await this.#bookableShow(p.showId);
      this.#knownSeats(show.layout, p.seatIds);
      let previous: string[] = [];
      if (p.holdId !== undefined) {
        const hold = await this.read((db) => q.getHold(db, p.holdId!));
        if (!hold || hold.showId !== p.showId || hold.state !== 'active') {
          throw new AppError('HOLD_NOT_FOUND', 'no active hold with that id for this show');
        }
        if (hold.expiresAtMs <= this.#now()) throw new AppError('HOLD_EXPIRED', 'that hold has expired');
        previous = hold.seatIds;
      }
      await this.#ensureFree(p.showId, p.seatIds, p.holdId ?? null);
      const holdId = p.holdId ?? newId('h');
      const expiresAtMs = this.#now() + this.options.holdTtlMs;
      const entry = await this.log.propose({
        kind: 'hold.set',
        holdId,
        showId: p.showId,
        seatIds: p.seatIds,
        freedSeatIds: previous.filter((s) => !p.seatIds.includes(s)),
        expiresAtMs,
      });
      return {
        holdId,
        showId: p.showId,
        seatIds: p.seatIds,
        expiresAt: new Date(expiresAtMs).toISOString(),
        commitIndex: entry.index,
      };
    });
  }

  async release(p: ValidParamsOf<'seats.release'>): Promise<{ holdId: string; released: true }> {
    const found = await this.read((db) => q.getHold(db, p.holdId));
    if (!found) throw new AppError('HOLD_NOT_FOUND', 'no hold with that id');
    return this.#withShow(found.showId, async () => {
      const hold = await this.read((db) => q.getHold(db, p.holdId));
      if (hold?.state === 'active') {
        await this.log.propose({
          kind: 'hold.release',
          holdId: hold.id,
          showId: hold.showId,
          seatIds: hold.seatIds,
        });
      } else if (hold?.state === 'confirmed') {
        throw new AppError('HOLD_NOT_FOUND', 'that hold became a booking; cancel the booking instead');
      }
      // Releasing a released or expired hold is a no-op: a retry after a lost reply must not fail.
      return { holdId: p.holdId, released: true as const };
    });
  }

  confirm(p: ValidParamsOf<'bookings.confirm'>): Promise<Booking> {
    return this.#idempotent(p.idempotencyKey, async () => {
      const found = await this.read((db) => q.getHold(db, p.holdId));
      if (!found) throw new AppError('HOLD_NOT_FOUND', 'no hold with that id');
      return this.#withShow(found.showId, async () => {
        const hold = (await this.read((db) => q.getHold(db, p.holdId)))!;
        if (hold.state === 'confirmed') {
          // A retried confirm: the hold's owner gets the booking it already made.
          const existing = await this.read((db) => q.bookingBy(db, 'hold_id', hold.id));
          if (existing) return this.#present(existing);
        }
        if (hold.state === 'released') throw new AppError('HOLD_NOT_FOUND', 'that hold was released');
        if (hold.state === 'expired' || hold.expiresAtMs <= this.#now()) {
          throw new AppError('HOLD_EXPIRED', 'the hold expired before it was confirmed', {
            expiresAt: new Date(hold.expiresAtMs).toISOString(),
          });
        }
        const show = await this.#bookableShow(hold.showId);
        return this.#createBooking(show, hold.seatIds, p.customer, p.idempotencyKey ?? null, hold.id);
      });
    });
  }

  book(p: ValidParamsOf<'bookings.book'>): Promise<Booking> {
    if (p.seatIds.length > MAX_SEATS_PER_HOLD) {
      return Promise.reject(
        new AppError('TOO_MANY_SEATS', `at most ${MAX_SEATS_PER_HOLD} seats per booking`, {
          max: MAX_SEATS_PER_HOLD,
        }),
      );
    }
    return this.#idempotent(p.idempotencyKey, () =>
      this.#withShow(p.showId, async () => {
        const show = await this.#bookableShow(p.showId);
        this.#knownSeats(show.layout, p.seatIds);
        try {
          await this.#ensureFree(p.showId, p.seatIds, null);
        } catch (error) {
          // The seats may be taken by this very request: an earlier attempt whose answer was
          // lost (a forward cut by a failover) committed after the key lookup above. Under the
          // show's mutex the entry is applied now, so the key finds it.
          const mine = await this.#bookingWithKey(error, p.idempotencyKey);
          if (mine) return mine;
          throw error;
        }
        return this.#createBooking(show, p.seatIds, p.customer, p.idempotencyKey ?? null, null);
      }),
    );
  }

  async cancel(p: ValidParamsOf<'bookings.cancel'>): Promise<Booking> {
    const code = normaliseBookingCode(p.code);
    const found = code ? await this.read((db) => q.bookingBy(db, 'code', code)) : null;
    if (!found) throw new AppError('BOOKING_NOT_FOUND', 'no booking with that code');
    return this.#withShow(found.showId, async () => {
      const row = (await this.read((db) => q.bookingBy(db, 'id', found.id)))!;
      if (row.status === 'cancelled')
        throw new AppError('ALREADY_CANCELLED', 'this booking is already cancelled');
      const show = await this.read((db) => q.getShowWithLayout(db, row.showId));
      if (show && show.startsAtMs <= this.#now()) {
        throw new AppError('SHOW_STARTED', 'the show has started; it can no longer be cancelled');
      }
      const entry = await this.log.propose({
        kind: 'booking.cancel',
        bookingId: row.id,
        showId: row.showId,
        seatIds: row.seatIds,
      });
      return this.#present({ ...row, status: 'cancelled' }, entry.index);
    });
  }

  /** Turns holds that passed their expiry (on this master's clock) into replicated expiry entries. */
  async expireDue(): Promise<number> {
    const due = await this.read((db) => q.expiredHolds(db, this.#now()));
    // Map.groupBy is Node 21+; this node must run on 20.
    const byShow = new Map<string, q.HoldRow[]>();
    for (const hold of due) byShow.set(hold.showId, [...(byShow.get(hold.showId) ?? []), hold]);
    let expired = 0;
    for (const [showId, holds] of byShow) {
      await this.#withShow(showId, async () => {
        // Re-read under the lock: a confirm may have won the race.
        const current = await this.read((db) => Promise.all(holds.map((h) => q.getHold(db, h.id))));
        const still = current.filter(
          (h): h is q.HoldRow => h?.state === 'active' && h.expiresAtMs <= this.#now(),
        );
        if (still.length === 0) return;
        await this.log.propose({
          kind: 'hold.expire',
          holds: still.map((h) => ({ holdId: h.id, showId: h.showId, seatIds: h.seatIds })),
        });
        expired += still.length;
      });
    }
    return expired;
  }

  // ---------------- internals ----------------

  #withShow<T>(showId: string, work: () => Promise<T>): Promise<T> {
    let lock = this.#showLocks.get(showId);
    if (!lock) {
      lock = new Mutex();
      this.#showLocks.set(showId, lock);
    }
    return lock.runExclusive(work);
  }

  /** One booking per idempotency key, also when the retry races the first attempt. */
  async #idempotent(key: string | undefined, work: () => Promise<Booking>): Promise<Booking> {
    if (key === undefined) return work();
    const running = this.#inflightKeys.get(key);
    if (running) return running;
    const attempt = (async () => {
      const existing = await this.read((db) => q.bookingBy(db, 'idempotency_key', key));
      return existing ? this.#present(existing) : work();
    })();
    this.#inflightKeys.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.#inflightKeys.delete(key);
    }
  }

  async #bookingWithKey(error: unknown, key: string | undefined): Promise<Booking | null> {
    if (!key || !(error instanceof AppError) || error.reason !== 'SEATS_UNAVAILABLE') return null;
    const existing = await this.read((db) => q.bookingBy(db, 'idempotency_key', key));
    return existing ? this.#present(existing) : null;
  }

  async #bookableShow(showId: string): Promise<q.ShowWithLayout> {
    let show = this.#shows.get(showId) ?? null;
    if (!show) {
      show = await this.read((db) => q.getShowWithLayout(db, showId));
      if (show) this.#shows.set(showId, show);
    }
    if (!show) throw new AppError('SHOW_NOT_FOUND', `no show ${showId}`);
    if (show.startsAtMs <= this.#now()) throw new AppError('SHOW_STARTED', 'the show has already started');
    return show;
  }

  #knownSeats(layout: string[], seatIds: string[]): void {
    const seats = seatIndex(layout);
    const unknown = seatIds.filter((id) => !seats.has(id));
    if (unknown.length > 0) {
      throw new AppError('SEAT_NOT_FOUND', `no such seat: ${unknown.join(', ')}`, { seatIds: unknown });
    }
  }

  /**
   * Fails with SEATS_UNAVAILABLE naming the taken seats. Seats held by holds that expired on this
   * master's clock are freed first, by an expiry entry, so nobody waits for the sweeper.
   */
  async #ensureFree(showId: string, seatIds: string[], ownHoldId: string | null): Promise<void> {
    const wanted = new Set(seatIds);
    const claims = (await this.read((db) => q.seatClaims(db, showId))).filter(
      (c) => wanted.has(c.seatId) && !(ownHoldId !== null && c.holdId === ownHoldId),
    );
    if (claims.length === 0) return;
    const holdIds = [...new Set(claims.flatMap((c) => (c.holdId ? [c.holdId] : [])))];
    const holds = await this.read((db) => Promise.all(holdIds.map((id) => q.getHold(db, id))));
    const lapsed = holds.filter((h): h is q.HoldRow => h !== null && h.expiresAtMs <= this.#now());
    if (lapsed.length > 0) {
      await this.log.propose({
        kind: 'hold.expire',
        holds: lapsed.map((h) => ({ holdId: h.id, showId: h.showId, seatIds: h.seatIds })),
      });
    }
    const lapsedIds = new Set(lapsed.map((h) => h.id));
    const taken = claims
      .filter((c) => c.bookingId !== null || !lapsedIds.has(c.holdId!))
      .map((c) => c.seatId);
    if (taken.length > 0) {
      throw new AppError('SEATS_UNAVAILABLE', `seats already taken: ${taken.join(', ')}`, {
        seatIds: taken.sort(),
      });
    }
  }

  async #createBooking(
    show: q.ShowWithLayout,
    seatIds: string[],
    customer: { name: string; email: string },
    idempotencyKey: string | null,
    holdId: string | null,
  ): Promise<Booking> {
    const seats = seatIndex(show.layout);
    const id = newId('b');
    const createdAt = new Date(this.#now()).toISOString();
    const booking: NewBooking = {
      id,
      code: newBookingCode(),
      showId: show.show.id,
      seatIds,
      customer,
      totalCents: seatIds.reduce((sum, s) => sum + priceOf(seats.get(s)!.kind, show.show.prices), 0),
      currency: show.show.currency,
      createdAt,
      idempotencyKey,
      token: await this.workers.sign({ v: 1, b: id, s: show.show.id, st: seatIds, iat: createdAt }),
    };
    const entry = await this.log.propose({ kind: 'booking.create', holdId, booking });
    return this.#present(
      {
        ...booking,
        status: 'confirmed',
        lamport: entry.lamport,
        epoch: entry.epoch,
        commitIndex: entry.index,
        holdId,
      },
      entry.index,
    );
  }

  async #present(row: q.BookingRow, commitIndex?: number): Promise<Booking> {
    return {
      id: row.id,
      code: row.code,
      showId: row.showId,
      seatIds: row.seatIds,
      customer: row.customer,
      totalCents: row.totalCents,
      currency: row.currency,
      status: row.status,
      createdAt: row.createdAt,
      lamport: row.lamport,
      epoch: row.epoch,
      commitIndex: commitIndex ?? row.commitIndex,
      ticket: { token: row.token, qrSvg: await this.workers.qr(row.token) },
    };
  }
}

export type { LogEntry };
