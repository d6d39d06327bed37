/**
 * What a booking does, start to end. The one door of every write: each method decides against the
 * master's *tail* (the booking state machine after every entry in its log, see machine.ts), then
 * proposes the entry in the same turn of the event loop, then waits for its commit. Because the
 * decision and the proposal are one synchronous step, no other decision, no expiry and no change of
 * master can come between them; and because the tail holds every entry not yet applied, a retry
 * sees its first attempt whatever happened to the answer. Reads come from this node's applied state.
 */
import { createHash } from 'node:crypto';
import { Semaphore } from 'async-mutex';
import type { Pool } from 'mysql2/promise';
import type { CatalogSnapshot } from '../catalog/model.js';
import { MAX_EXPIRIES_PER_ENTRY, READ_WAIT_MS, RECENT_BOOKINGS } from '../limits.js';
import type { Proposal, WriteLog } from '../log/write-log.js';
import { AppError } from '../protocol/errors.js';
import type { ValidParamsOf } from '../protocol/methods.js';
import type { Booking, Hold, SeatMap, SeatStatus, TicketCheck } from '../protocol/model.js';
import * as q from '../store/queries.js';
import type { BookingApplier } from './apply.js';
import { newBookingCode, newId, normaliseBookingCode } from './codes.js';
import type { Command, NewBooking } from './entries.js';
import { parseLayout } from './layout.js';
import type { BookingMachine, BookingPlan, KeyUse } from './machine.js';
import { RecentBookings } from './recent-bookings.js';
import { verifyTicket } from './tickets.js';

export { MAX_SEATS_PER_HOLD } from './machine.js';

export interface BookingServiceOptions {
  holdTtlMs: number;
  secret: string;
  /** The master's clock; injectable so tests can move time. */
  now?: () => number;
  dbConcurrency?: number;
  /** How often one hold may be renewed (limits.ts MAX_HOLD_RENEWALS). */
  maxHoldRenewals?: number;
  /** Booking rows kept in memory for cancels and lookups (limits.ts RECENT_BOOKINGS). */
  recentBookings?: number;
  /** A decision the tail accepted was rejected when applied to it: a bug, never expected. */
  onInvariantViolation?: (what: string, detail: Record<string, unknown>) => void;
}

type Customer = { name: string; email: string };

/** The digest an idempotency key is bound to: the same key with other params is refused. */
export function requestDigest(method: string, params: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([method, params]))
    .digest('hex')
    .slice(0, 32);
}

export class BookingService {
  readonly #db: Semaphore;
  readonly #now: () => number;
  /** The master's state after every entry of its log; rebuilt when a serving term starts. */
  #tail: BookingMachine | null = null;
  #tailTerm = -1;
  readonly #recent: RecentBookings;

  constructor(
    private readonly pool: Pool,
    private readonly log: WriteLog<Command>,
    private readonly applier: BookingApplier,
    private readonly options: BookingServiceOptions,
  ) {
    this.#now = options.now ?? Date.now;
    this.#db = new Semaphore(options.dbConcurrency ?? 12);
    this.#recent = new RecentBookings(options.recentBookings ?? RECENT_BOOKINGS);
    log.onServing(() => this.#resetTail());
  }

  /** The applied state of this node. */
  get machine(): BookingMachine {
    return this.applier.machine;
  }

  // ---------------- reads ----------------

  /** Runs a read under the database semaphore. */
  read<T>(work: (db: Pool) => Promise<T>): Promise<T> {
    return this.#db.runExclusive(() => work(this.pool));
  }

  /** From memory: the applied state knows every seat's owner. */
  seatMap(showId: string): SeatMap {
    const show = this.machine.show(showId);
    if (!show) throw new AppError('SHOW_NOT_FOUND', `no show ${showId}`);
    const owners = this.machine.owners(showId);
    const statusOf = (seatId: string): SeatStatus => {
      const o = owners.get(seatId);
      return o === undefined ? 'available' : 'booking' in o ? 'booked' : 'held';
    };
    return {
      showId,
      commitIndex: this.log.appliedIndex,
      rows: parseLayout(show.layout).map((row) => ({
        label: row.label,
        seats: row.seats.map((s) => ({ ...s, status: statusOf(s.id) })),
      })),
    };
  }

  async getBooking(rawCode: string): Promise<Booking> {
    const code = normaliseBookingCode(rawCode);
    const row = code ? await this.#applied('code', code) : null;
    if (!row) throw new AppError('BOOKING_NOT_FOUND', 'no booking with that code');
    return this.#present(row);
  }

  /** What a door scanner needs: never the booking's code (which can cancel it) nor the e-mail. */
  async verifyTicket(token: string): Promise<{ valid: true; booking: TicketCheck }> {
    const payload = verifyTicket(this.options.secret, token);
    if (!payload) throw new AppError('INVALID_TICKET', 'the ticket signature is not valid');
    const row = await this.#applied('id', payload.b);
    if (!row)
      throw new AppError('INVALID_TICKET', 'the ticket belongs to no booking here', { detail: 'unknown' });
    if (row.status === 'cancelled') {
      throw new AppError('INVALID_TICKET', 'the booking of this ticket was cancelled', {
        detail: 'cancelled',
      });
    }
    return {
      valid: true,
      booking: {
        id: row.id,
        showId: row.showId,
        seatIds: row.seatIds,
        status: row.status,
        holder: row.customer.name,
        createdAt: row.createdAt,
      },
    };
  }

  // ---------------- writes (serving master only) ----------------

  async hold(p: ValidParamsOf<'seats.hold'>): Promise<Hold> {
    const tail = this.#tailNow();
    const now = this.#now();
    const commands = tail.decideHold(
      p,
      now,
      this.options.holdTtlMs,
      () => newId('h', now),
      this.options.maxHoldRenewals,
    );
    const proposals = commands.map((c) => this.#propose(tail, c));
    const set = commands.at(-1) as Extract<Command, { kind: 'hold.set' }>;
    await this.#settled(proposals.at(-1)!);
    return {
      holdId: set.holdId,
      showId: set.showId,
      seatIds: set.seatIds,
      expiresAt: new Date(set.expiresAtMs).toISOString(),
      commitIndex: proposals.at(-1)!.index,
    };
  }

  async release(p: ValidParamsOf<'seats.release'>): Promise<{ holdId: string; released: true }> {
    const tail = this.#tailNow();
    const command = tail.decideRelease(p.holdId);
    // Releasing a released or expired hold is a no-op: a retry after a lost reply must not fail.
    if (command) await this.#settled(this.#propose(tail, command));
    return { holdId: p.holdId, released: true as const };
  }

  confirm(p: ValidParamsOf<'bookings.confirm'>): Promise<Booking> {
    const hash = requestDigest('bookings.confirm', { holdId: p.holdId, customer: p.customer });
    return this.#once(p.idempotencyKey, hash, (tail) => {
      const hold = tail.hold(p.holdId);
      // A retried confirm: the hold's owner gets the booking it already made.
      if (hold?.state === 'confirmed' && hold.bookingId) {
        return { prior: { bookingId: hold.bookingId, requestHash: null, index: hold.index } };
      }
      return { plan: tail.planConfirm(p.holdId, this.#now()), customer: p.customer };
    });
  }

  book(p: ValidParamsOf<'bookings.book'>): Promise<Booking> {
    const hash = requestDigest('bookings.book', {
      showId: p.showId,
      seatIds: p.seatIds,
      customer: p.customer,
    });
    return this.#once(p.idempotencyKey, hash, (tail) => ({
      plan: tail.planBooking(p, this.#now()),
      customer: p.customer,
    }));
  }

  async cancel(p: ValidParamsOf<'bookings.cancel'>): Promise<Booking> {
    const code = normaliseBookingCode(p.code);
    const row = code ? await this.#applied('code', code) : null;
    if (!row) throw new AppError('BOOKING_NOT_FOUND', 'no booking with that code');
    const tail = this.#tailNow();
    const proposal = this.#propose(tail, tail.decideCancel(row.id, this.#now()));
    await this.#settled(proposal);
    return this.#present({ ...row, status: 'cancelled' }, proposal.index);
  }

  /** Turns holds that passed their expiry (on this master's clock) into replicated expiry entries. */
  async expireDue(): Promise<number> {
    if (!this.log.serving) return 0;
    const tail = this.#tailNow();
    const command = tail.dueExpiries(this.#now(), MAX_EXPIRIES_PER_ENTRY);
    if (command?.kind !== 'hold.expire') return 0;
    await this.#settled(this.#propose(tail, command));
    return command.holds.length;
  }

  /** A catalog import, as one entry per part, in order (each part is bounded by the importer). */
  async importCatalog(parts: readonly CatalogSnapshot[]): Promise<void> {
    let last: Proposal | null = null;
    for (const snapshot of parts) last = this.#propose(this.#tailNow(), { kind: 'catalog.import', snapshot });
    if (last) await this.#settled(last);
  }

  // ---------------- internals ----------------

  /**
   * One booking per idempotency key. `decide` runs against the tail; a key it has already seen (in
   * an applied or a pending entry) returns that entry's booking once it is applied.
   */
  async #once(
    key: string | undefined,
    hash: string,
    decide: (tail: BookingMachine) => { prior: KeyUse } | { plan: BookingPlan; customer: Customer },
  ): Promise<Booking> {
    for (let round = 0; round < 3; round++) {
      const tail = this.#tailNow();
      const decision = tail.priorUse(key, hash) ?? null;
      const next = decision ? { prior: decision } : decide(tail);
      if ('prior' in next) {
        const booking = await this.#bookingOf(next.prior);
        if (booking) return booking;
        continue; // its entry was lost with a failover: decide again, against the new tail
      }
      return this.#create(tail, next.plan, next.customer, key ?? null, key === undefined ? null : hash);
    }
    throw new AppError('NO_MASTER', 'the first attempt with this key is still undecided; retry shortly', {
      indefinite: true,
    });
  }

  /** The booking a key or a hold already made, once its entry is applied here; null if it never will be. */
  async #bookingOf(prior: KeyUse): Promise<Booking | null> {
    if (!(await this.log.waitApplied(prior.index, READ_WAIT_MS))) {
      throw new AppError('NO_MASTER', 'the first attempt with this key is not decided yet; retry shortly', {
        indefinite: true,
      });
    }
    const row = await this.#applied('id', prior.bookingId);
    return row ? this.#present(row) : null;
  }

  /**
   * A booking as applied on this node: its fixed fields from memory when it was created or read
   * here lately, else from MySQL; its status always from the applied state machine, the one
   * thing about a booking that changes.
   */
  async #applied(by: 'id' | 'code', value: string): Promise<q.BookingRow | null> {
    const cached = by === 'id' ? this.#recent.byId(value) : this.#recent.byCode(value);
    const state = cached && this.machine.booking(cached.id);
    if (cached && state) return cached.status === state.status ? cached : { ...cached, status: state.status };
    const row = await this.read((db) => q.bookingBy(db, by, value));
    if (row) this.#recent.remember(row);
    return row;
  }

  async #create(
    tail: BookingMachine,
    plan: BookingPlan,
    customer: Customer,
    idempotencyKey: string | null,
    requestHash: string | null,
  ): Promise<Booking> {
    // Everything from here to the proposal is synchronous: the plan is still true when proposed.
    if (plan.expire) this.#propose(tail, plan.expire);
    const now = this.#now();
    const id = newId('b', now);
    const createdAt = new Date(now).toISOString();
    const booking: NewBooking = {
      id,
      code: newBookingCode(),
      showId: plan.show.id,
      seatIds: plan.seatIds,
      customer,
      totalCents: plan.totalCents,
      currency: plan.show.currency,
      createdAt,
      idempotencyKey,
      requestHash,
    };
    const proposal = this.#propose(tail, { kind: 'booking.create', holdId: plan.holdId, booking });
    await this.#settled(proposal);
    const row: q.BookingRow = {
      ...booking,
      status: 'confirmed',
      lamport: proposal.lamport,
      epoch: proposal.epoch,
      commitIndex: proposal.index,
      holdId: plan.holdId,
      token: '',
    };
    this.#recent.remember(row);
    return this.#present(row, proposal.index);
  }

  /** The tail of the current serving term, or NO_MASTER. */
  #tailNow(): BookingMachine {
    if (!this.log.serving)
      throw new AppError('NO_MASTER', 'this node is not the serving master; retry shortly');
    if (this.#tailTerm !== this.log.servingTerm) this.#resetTail();
    const tail = this.#tail;
    if (!tail || tail.appliedIndex !== this.log.lastIndex) {
      // Only this class proposes, and every proposal is applied to the tail at once: a gap means
      // something proposed around the door. Refuse to decide rather than decide blind.
      this.options.onInvariantViolation?.('tail out of step with the log', {
        tail: tail?.appliedIndex ?? null,
        lastIndex: this.log.lastIndex,
      });
      this.#tail = null;
      this.#tailTerm = -1;
      throw new AppError('NO_MASTER', 'this master is rebuilding its state; retry shortly');
    }
    return tail;
  }

  /**
   * A new serving term starts once the view change is applied, before any proposal of the term, so
   * the applied state is exactly the state after the whole log.
   */
  #resetTail(): void {
    if (this.log.serving && this.machine.appliedIndex === this.log.lastIndex) {
      this.#tail = this.machine.clone();
      this.#tailTerm = this.log.servingTerm;
    } else {
      this.#tail = null;
      this.#tailTerm = -1;
    }
  }

  /** Proposes and applies to the tail in one step. */
  #propose(tail: BookingMachine, command: Command): Proposal {
    const proposal = this.log.propose(command);
    // Some proposals are not waited for (an expiry before a booking, all but the last part of an
    // import: log order settles them); their failure must not become an unhandled rejection.
    proposal.done.catch(() => undefined);
    const outcome = tail.apply({
      index: proposal.index,
      epoch: proposal.epoch,
      lamport: proposal.lamport,
      command,
    });
    if (!outcome.ok) {
      this.options.onInvariantViolation?.('a decided entry does not apply to the tail', {
        index: proposal.index,
        kind: command.kind,
        reason: outcome.reason,
        detail: outcome.detail,
      });
    }
    return proposal;
  }

  /** Waits for the entry's commit; an entry rejected when applied fails with its reason. */
  async #settled(proposal: Proposal): Promise<void> {
    await proposal.done;
    const rejected = this.applier.rejection(proposal.index);
    if (rejected) {
      throw new AppError(
        rejected.outcome.reason,
        `the write did not take effect: ${rejected.outcome.detail}`,
      );
    }
  }

  /**
   * The booking as the wire shows it, except the ticket: its token ('' unless the row predates
   * signing on answer) is signed and its `qrSvg` rendered by the node that answers the client
   * (rpc/handlers.ts), so a forwarded write's answer stays small and the work is spread over the
   * nodes instead of piling up on the master.
   */
  #present(row: q.BookingRow, commitIndex?: number): Booking {
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
      ticket: { token: row.token, qrSvg: '' },
    };
  }
}
