/**
 * The booking state machine: what every write means, in one place, with no I/O.
 *
 * One `BookingMachine` holds, in memory, everything a seat decision needs: the shows (start,
 * prices, seat layout), who owns each seat (a hold or a booking), every hold and booking, and every
 * idempotency key. Two copies of it exist on a master:
 *
 * - the *applied* machine, on every node: advanced by `apply` as committed entries are applied, in
 *   log order. Every node applies the same entries to the same state, so every node computes the
 *   same outcome for every entry, including the same rejection of an entry that conflicts.
 * - the *tail* machine, on a serving master only: a copy of the applied one taken when the master
 *   starts serving, advanced by `apply` at the moment an entry is proposed. It is the state after
 *   every entry in the master's log, decided or not, so a decision made against it sees every seat
 *   and every idempotency key any entry of the log claims, and a retried write can never be decided
 *   twice (docs/cluster.md, "Deciding against the whole log").
 *
 * Decisions (`decide*`) read the machine and return the commands to propose, or throw the AppError
 * the client gets. Apply is total: it never throws; an entry whose effect conflicts with the state at
 * its index is rejected, the same way on every node, and reported as an invariant violation.
 *
 * What the database must do for a batch of applied entries is recorded as `Effects` (net row
 * changes, see store/effects.ts), so one transaction with a few multi-row statements writes a batch.
 */
import { MAX_SEATS_PER_HOLD } from '../limits.js';
import { AppError, type ErrorReason } from '../protocol/errors.js';
import type { BookingWrite, Effects, HoldWrite, SeatClaimWrite } from '../store/effects.js';
import type { StateRows } from '../store/queries.js';
import type { Command, BookingEntry as LogEntry, NewBooking } from './entries.js';
import { type LayoutSeat, priceOf, seatIndex } from './layout.js';

export { MAX_SEATS_PER_HOLD };

export interface ShowInfo {
  id: string;
  screenId: string;
  startsAtMs: number;
  layout: string[];
  prices: { standard: number; premium?: number };
  currency: string;
}

/** Who owns a seat. Records are replaced, never mutated, so a copy of the machine is cheap. */
export type Owner = { readonly hold: string } | { readonly booking: string };

export type HoldStateName = 'active' | 'released' | 'expired' | 'confirmed';

export interface HoldState {
  readonly id: string;
  readonly showId: string;
  readonly seatIds: readonly string[];
  readonly expiresAtMs: number;
  readonly state: HoldStateName;
  /** The booking a confirmed hold became. */
  readonly bookingId: string | null;
  /** Index of the entry that last changed the hold. */
  readonly index: number;
  /** How often the hold was renewed (changed or extended) since it was taken; not persisted. */
  readonly renewals?: number;
}

export interface BookingState {
  readonly id: string;
  readonly showId: string;
  readonly seatIds: readonly string[];
  readonly status: 'confirmed' | 'cancelled';
  readonly holdId: string | null;
  readonly key: string | null;
  /** Index of the entry that created it. */
  readonly index: number;
}

export interface KeyUse {
  readonly bookingId: string;
  /** Digest of the request first made with the key (see requestDigest in service.ts). */
  readonly requestHash: string | null;
  readonly index: number;
}

export type Outcome = { ok: true } | { ok: false; reason: ErrorReason; detail: string };

const OK: Outcome = { ok: true };

/** What a node loads from its database at start: the applied state at `appliedIndex`. */
export type LoadedState = StateRows;

/** A booking about to be created: everything but the parts the service adds (id, code, token). */
export interface BookingPlan {
  show: ShowInfo;
  seatIds: string[];
  totalCents: number;
  holdId: string | null;
  /** Holds that lapsed on the master's clock and must be expired first (proposed before the booking). */
  expire: Command | null;
}

const seatKey = (showId: string, seatId: string) => `${showId}\u0000${seatId}`;

/** Records, for one batch, what the database must change: the net effect, first value to last. */
class EffectRecorder {
  readonly seatsBefore = new Map<string, { showId: string; seatId: string; before: Owner | undefined }>();
  readonly holds = new Set<string>();
  readonly created = new Map<string, { booking: NewBooking; holdId: string | null; entry: LogEntry }>();
  readonly cancelled = new Set<string>();
  readonly catalogs: Effects['catalogs'] = [];
  readonly rejections: Effects['rejections'] = [];
}

export class BookingMachine {
  #appliedIndex = 0;
  readonly #shows: Map<string, ShowInfo>;
  readonly #screens: Map<string, string[]>;
  /** showId → seatId → owner. A seat without an entry is free. */
  readonly #claims: Map<string, Map<string, Owner>>;
  readonly #holds: Map<string, HoldState>;
  readonly #active: Set<string>;
  readonly #bookings: Map<string, BookingState>;
  readonly #keys: Map<string, KeyUse>;
  #recorder: EffectRecorder | null = null;
  /** Entries rejected by apply (an invariant violation: decisions should make them impossible). */
  #rejected = 0;

  constructor(from?: BookingMachine) {
    if (!from) {
      this.#shows = new Map();
      this.#screens = new Map();
      this.#claims = new Map();
      this.#holds = new Map();
      this.#active = new Set();
      this.#bookings = new Map();
      this.#keys = new Map();
      return;
    }
    this.#shows = new Map(from.#shows);
    this.#screens = new Map(from.#screens);
    this.#claims = new Map([...from.#claims].map(([show, seats]) => [show, new Map(seats)]));
    this.#holds = new Map(from.#holds);
    this.#active = new Set(from.#active);
    this.#bookings = new Map(from.#bookings);
    this.#keys = new Map(from.#keys);
    this.#appliedIndex = from.#appliedIndex;
    this.#rejected = from.#rejected;
  }

  static load(state: LoadedState): BookingMachine {
    const m = new BookingMachine();
    m.#appliedIndex = state.appliedIndex;
    for (const show of state.shows) {
      m.#shows.set(show.id, show);
      m.#screens.set(show.screenId, show.layout);
    }
    for (const c of state.claims) {
      const owner: Owner | null = c.bookingId
        ? { booking: c.bookingId }
        : c.holdId
          ? { hold: c.holdId }
          : null;
      if (owner) m.#seats(c.showId).set(c.seatId, owner);
    }
    for (const h of state.holds) {
      m.#holds.set(h.id, { ...h, bookingId: null });
      if (h.state === 'active') m.#active.add(h.id);
    }
    for (const b of state.bookings) {
      const { requestHash, ...booking } = b;
      m.#bookings.set(b.id, booking);
      if (b.key !== null) m.#keys.set(b.key, { bookingId: b.id, requestHash, index: b.index });
      if (b.holdId !== null) {
        const hold = m.#holds.get(b.holdId);
        if (hold) m.#holds.set(hold.id, { ...hold, bookingId: b.id });
      }
    }
    return m;
  }

  /**
   * Takes over `other`'s whole state, in place: a snapshot was installed under this node, and
   * whoever holds this object (the booking service, the metrics) sees the new state. `other` must
   * not be used afterwards. The rejection count stays this process's.
   */
  replaceWith(other: BookingMachine): void {
    const take = <K, V>(to: Map<K, V>, from: Map<K, V>) => {
      to.clear();
      for (const [k, v] of from) to.set(k, v);
    };
    take(this.#shows, other.#shows);
    take(this.#screens, other.#screens);
    take(this.#claims, other.#claims);
    take(this.#holds, other.#holds);
    take(this.#bookings, other.#bookings);
    take(this.#keys, other.#keys);
    this.#active.clear();
    for (const id of other.#active) this.#active.add(id);
    this.#appliedIndex = other.#appliedIndex;
    this.#recorder = null;
  }

  /** An independent copy (the master's tail starts as a copy of the applied state). */
  clone(): BookingMachine {
    return new BookingMachine(this);
  }

  get appliedIndex(): number {
    return this.#appliedIndex;
  }
  get rejectedCount(): number {
    return this.#rejected;
  }

  // ---------------- reads ----------------

  show(showId: string): ShowInfo | undefined {
    return this.#shows.get(showId);
  }
  hold(holdId: string): HoldState | undefined {
    return this.#holds.get(holdId);
  }
  booking(bookingId: string): BookingState | undefined {
    return this.#bookings.get(bookingId);
  }
  keyUse(key: string): KeyUse | undefined {
    return this.#keys.get(key);
  }
  /** Seat statuses of one show (only the owned seats). */
  owners(showId: string): ReadonlyMap<string, Owner> {
    return this.#claims.get(showId) ?? new Map();
  }
  /** Counts for checks and metrics. */
  size(): { shows: number; claims: number; holds: number; activeHolds: number; bookings: number } {
    let claims = 0;
    for (const seats of this.#claims.values()) claims += seats.size;
    return {
      shows: this.#shows.size,
      claims,
      holds: this.#holds.size,
      activeHolds: this.#active.size,
      bookings: this.#bookings.size,
    };
  }

  // ---------------- decisions (master, on the tail) ----------------

  /** The show if it can still be booked at `now`. */
  bookableShow(showId: string, now: number): ShowInfo {
    const show = this.#shows.get(showId);
    if (!show) throw new AppError('SHOW_NOT_FOUND', `no show ${showId}`);
    if (show.startsAtMs <= now) throw new AppError('SHOW_STARTED', 'the show has already started');
    return show;
  }

  /**
   * The booking an idempotency key already made (or is making), or undefined for a fresh key.
   * A key first used with another request is refused: it must not hand out someone else's booking.
   */
  priorUse(key: string | undefined, requestHash: string): KeyUse | undefined {
    if (key === undefined) return undefined;
    const use = this.#keys.get(key);
    if (use && use.requestHash !== null && use.requestHash !== requestHash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this idempotency key was first used with other params');
    }
    return use;
  }

  decideHold(
    p: { showId: string; seatIds: string[]; holdId?: string | undefined },
    now: number,
    ttlMs: number,
    newHoldId: () => string,
    maxRenewals = Number.POSITIVE_INFINITY,
  ): Command[] {
    tooMany(p.seatIds, 'hold');
    const show = this.bookableShow(p.showId, now);
    knownSeats(show, p.seatIds);
    let previous: readonly string[] = [];
    if (p.holdId !== undefined) {
      const hold = this.#holds.get(p.holdId);
      if (!hold || hold.showId !== p.showId || hold.state !== 'active') {
        throw new AppError('HOLD_NOT_FOUND', 'no active hold with that id for this show');
      }
      if (hold.expiresAtMs <= now) throw new AppError('HOLD_EXPIRED', 'that hold has expired');
      if ((hold.renewals ?? 0) >= maxRenewals) {
        // Renewing forever would keep seats from everyone else: book them or let them go.
        throw new AppError('RATE_LIMITED', `a hold can be renewed at most ${maxRenewals} times`, {
          max: maxRenewals,
        });
      }
      previous = hold.seatIds;
    }
    const expire = this.#freeOrLapsed(p.showId, p.seatIds, p.holdId ?? null, now);
    const holdId = p.holdId ?? newHoldId();
    const set: Command = {
      kind: 'hold.set',
      holdId,
      showId: p.showId,
      seatIds: p.seatIds,
      freedSeatIds: previous.filter((s) => !p.seatIds.includes(s)),
      expiresAtMs: now + ttlMs,
    };
    return expire ? [expire, set] : [set];
  }

  /** The release to propose, or null when there is nothing to release (a retry must not fail). */
  decideRelease(holdId: string): Command | null {
    const hold = this.#holds.get(holdId);
    if (!hold) throw new AppError('HOLD_NOT_FOUND', 'no hold with that id');
    if (hold.state === 'confirmed') {
      throw new AppError('HOLD_NOT_FOUND', 'that hold became a booking; cancel the booking instead');
    }
    if (hold.state !== 'active') return null;
    return { kind: 'hold.release', holdId, showId: hold.showId, seatIds: [...hold.seatIds] };
  }

  /** Seats straight from free seats (bookings.book). */
  planBooking(p: { showId: string; seatIds: string[] }, now: number): BookingPlan {
    tooMany(p.seatIds, 'booking');
    const show = this.bookableShow(p.showId, now);
    knownSeats(show, p.seatIds);
    const expire = this.#freeOrLapsed(p.showId, p.seatIds, null, now);
    return { show, seatIds: p.seatIds, totalCents: total(show, p.seatIds), holdId: null, expire };
  }

  /** A hold becoming a booking (bookings.confirm). A hold already confirmed is the caller's case. */
  planConfirm(holdId: string, now: number): BookingPlan {
    const hold = this.#holds.get(holdId);
    if (!hold) throw new AppError('HOLD_NOT_FOUND', 'no hold with that id');
    if (hold.state === 'released') throw new AppError('HOLD_NOT_FOUND', 'that hold was released');
    if (hold.state === 'expired' || hold.expiresAtMs <= now) {
      throw new AppError('HOLD_EXPIRED', 'the hold expired before it was confirmed', {
        expiresAt: new Date(hold.expiresAtMs).toISOString(),
      });
    }
    if (hold.state === 'confirmed') throw new AppError('HOLD_NOT_FOUND', 'that hold is already a booking');
    const show = this.bookableShow(hold.showId, now);
    const seatIds = [...hold.seatIds];
    return { show, seatIds, totalCents: total(show, seatIds), holdId, expire: null };
  }

  decideCancel(bookingId: string, now: number): Command {
    const booking = this.#bookings.get(bookingId);
    if (!booking) throw new AppError('BOOKING_NOT_FOUND', 'no booking with that code');
    if (booking.status === 'cancelled') {
      throw new AppError('ALREADY_CANCELLED', 'this booking is already cancelled');
    }
    const show = this.#shows.get(booking.showId);
    if (show && show.startsAtMs <= now) {
      throw new AppError('SHOW_STARTED', 'the show has started; it can no longer be cancelled');
    }
    return { kind: 'booking.cancel', bookingId, showId: booking.showId, seatIds: [...booking.seatIds] };
  }

  /** One expiry entry for active holds whose time has come on the master's clock, or null. */
  dueExpiries(now: number, limit: number): Command | null {
    const holds: { holdId: string; showId: string; seatIds: string[] }[] = [];
    for (const id of this.#active) {
      const h = this.#holds.get(id)!;
      if (h.expiresAtMs <= now) holds.push({ holdId: id, showId: h.showId, seatIds: [...h.seatIds] });
      if (holds.length >= limit) break;
    }
    return holds.length > 0 ? { kind: 'hold.expire', holds } : null;
  }

  /**
   * Throws SEATS_UNAVAILABLE naming the seats another hold or a booking owns. Seats of holds that
   * lapsed on the master's clock count as free: the expiry entry returned is proposed first.
   */
  #freeOrLapsed(showId: string, seatIds: string[], ownHold: string | null, now: number): Command | null {
    const seats = this.#claims.get(showId);
    if (!seats) return null;
    const taken: string[] = [];
    const lapsed = new Map<string, HoldState>();
    for (const seatId of seatIds) {
      const owner = seats.get(seatId);
      if (!owner) continue;
      if ('hold' in owner) {
        if (owner.hold === ownHold) continue;
        const hold = this.#holds.get(owner.hold);
        if (hold && hold.expiresAtMs <= now) {
          lapsed.set(hold.id, hold);
          continue;
        }
      }
      taken.push(seatId);
    }
    if (taken.length > 0) {
      throw new AppError('SEATS_UNAVAILABLE', `seats already taken: ${taken.join(', ')}`, {
        seatIds: taken.sort(),
      });
    }
    if (lapsed.size === 0) return null;
    return {
      kind: 'hold.expire',
      holds: [...lapsed.values()].map((h) => ({ holdId: h.id, showId: h.showId, seatIds: [...h.seatIds] })),
    };
  }

  // ---------------- apply (every node, in log order) ----------------

  /**
   * Applies a batch of committed entries and returns what the database must do, net. `throughIndex`
   * moves the applied index past entries that carry no command (the cluster's barriers).
   */
  applyBatch(entries: readonly LogEntry[], throughIndex: number): { effects: Effects; outcomes: Outcome[] } {
    const recorder = new EffectRecorder();
    this.#recorder = recorder;
    try {
      const outcomes = entries.map((e) => this.apply(e));
      this.#appliedIndex = Math.max(this.#appliedIndex, throughIndex);
      return { effects: this.#effects(recorder), outcomes };
    } finally {
      this.#recorder = null;
    }
  }

  /** Applies one entry. Total: a conflicting entry changes nothing and is rejected, deterministically. */
  apply(entry: LogEntry): Outcome {
    if (entry.index <= this.#appliedIndex) return OK; // already in this state (replay after a restart)
    const outcome = this.#applyCommand(entry);
    this.#appliedIndex = entry.index;
    if (!outcome.ok) {
      this.#rejected++;
      this.#recorder?.rejections.push({
        index: entry.index,
        kind: entry.command.kind,
        reason: outcome.reason,
        detail: outcome.detail.slice(0, 200),
      });
    }
    return outcome;
  }

  #applyCommand(entry: LogEntry): Outcome {
    const c = entry.command;
    switch (c.kind) {
      case 'catalog.import': {
        for (const t of c.snapshot.theaters) for (const s of t.screens) this.#screens.set(s.id, s.layout);
        for (const s of c.snapshot.shows) {
          this.#shows.set(s.id, {
            id: s.id,
            screenId: s.screenId,
            startsAtMs: Date.parse(s.startsAt),
            layout: this.#screens.get(s.screenId) ?? [],
            prices: s.prices,
            currency: s.currency,
          });
        }
        this.#recorder?.catalogs.push(c.snapshot);
        return OK;
      }
      case 'hold.set': {
        if (!this.#shows.has(c.showId)) return reject('SHOW_NOT_FOUND', c.showId);
        const existing = this.#holds.get(c.holdId);
        if (existing && (existing.state !== 'active' || existing.showId !== c.showId)) {
          return reject('HOLD_NOT_FOUND', `hold ${c.holdId} is ${existing.state}`);
        }
        const seats = this.#seats(c.showId);
        const taken = c.seatIds.filter((s) => {
          const o = seats.get(s);
          return o !== undefined && !('hold' in o && o.hold === c.holdId);
        });
        if (taken.length > 0) return reject('SEATS_UNAVAILABLE', taken.join(', '));
        for (const s of existing?.seatIds ?? [])
          if (!c.seatIds.includes(s)) this.#setOwner(c.showId, s, null);
        for (const s of c.seatIds) this.#setOwner(c.showId, s, { hold: c.holdId });
        this.#putHold({
          id: c.holdId,
          showId: c.showId,
          seatIds: [...c.seatIds],
          expiresAtMs: c.expiresAtMs,
          state: 'active',
          bookingId: null,
          index: entry.index,
          renewals: existing ? (existing.renewals ?? 0) + 1 : 0,
        });
        return OK;
      }
      case 'hold.release': {
        const hold = this.#holds.get(c.holdId);
        if (hold?.state === 'active') this.#endHold(hold, 'released', entry.index);
        return OK;
      }
      case 'hold.expire': {
        for (const h of c.holds) {
          const hold = this.#holds.get(h.holdId);
          if (hold?.state === 'active') this.#endHold(hold, 'expired', entry.index);
        }
        return OK;
      }
      case 'booking.create':
        return this.#applyCreate(entry, c.booking, c.holdId);
      case 'booking.cancel': {
        const booking = this.#bookings.get(c.bookingId);
        if (!booking) return reject('BOOKING_NOT_FOUND', c.bookingId);
        if (booking.status === 'cancelled') return reject('ALREADY_CANCELLED', c.bookingId);
        for (const s of booking.seatIds) {
          const o = this.#claims.get(booking.showId)?.get(s);
          if (o && 'booking' in o && o.booking === booking.id) this.#setOwner(booking.showId, s, null);
        }
        this.#bookings.set(booking.id, { ...booking, status: 'cancelled' });
        this.#recordCancel(booking.id);
        return OK;
      }
    }
  }

  #applyCreate(entry: LogEntry, b: NewBooking, holdId: string | null): Outcome {
    if (this.#bookings.has(b.id)) return reject('SEATS_UNAVAILABLE', `booking ${b.id} exists`);
    if (b.idempotencyKey !== null && this.#keys.has(b.idempotencyKey)) {
      return reject('IDEMPOTENCY_KEY_REUSED', `key ${b.idempotencyKey} already booked`);
    }
    if (!this.#shows.has(b.showId)) return reject('SHOW_NOT_FOUND', b.showId);
    const seats = this.#seats(b.showId);
    let hold: HoldState | undefined;
    if (holdId !== null) {
      hold = this.#holds.get(holdId);
      if (hold?.state !== 'active' || hold.showId !== b.showId) {
        return reject('HOLD_NOT_FOUND', `hold ${holdId} is ${hold?.state ?? 'unknown'}`);
      }
    }
    const taken = b.seatIds.filter((s) => {
      const o = seats.get(s);
      return o !== undefined && !(hold && 'hold' in o && o.hold === hold.id);
    });
    if (taken.length > 0) return reject('SEATS_UNAVAILABLE', taken.join(', '));
    if (hold) this.#endHold(hold, 'confirmed', entry.index, b.id);
    for (const s of b.seatIds) this.#setOwner(b.showId, s, { booking: b.id });
    this.#bookings.set(b.id, {
      id: b.id,
      showId: b.showId,
      seatIds: [...b.seatIds],
      status: 'confirmed',
      holdId,
      key: b.idempotencyKey,
      index: entry.index,
    });
    if (b.idempotencyKey !== null) {
      this.#keys.set(b.idempotencyKey, {
        bookingId: b.id,
        requestHash: b.requestHash ?? null,
        index: entry.index,
      });
    }
    this.#recorder?.created.set(b.id, { booking: b, holdId, entry });
    return OK;
  }

  #seats(showId: string): Map<string, Owner> {
    let seats = this.#claims.get(showId);
    if (!seats) {
      seats = new Map();
      this.#claims.set(showId, seats);
    }
    return seats;
  }

  #setOwner(showId: string, seatId: string, owner: Owner | null): void {
    const seats = this.#seats(showId);
    const r = this.#recorder;
    if (r) {
      const k = seatKey(showId, seatId);
      if (!r.seatsBefore.has(k)) r.seatsBefore.set(k, { showId, seatId, before: seats.get(seatId) });
    }
    if (owner) seats.set(seatId, owner);
    else seats.delete(seatId);
  }

  #putHold(hold: HoldState): void {
    this.#holds.set(hold.id, hold);
    if (hold.state === 'active') this.#active.add(hold.id);
    else this.#active.delete(hold.id);
    this.#recorder?.holds.add(hold.id);
  }

  #endHold(hold: HoldState, state: HoldStateName, index: number, bookingId: string | null = null): void {
    for (const s of hold.seatIds) {
      const o = this.#claims.get(hold.showId)?.get(s);
      if (o && 'hold' in o && o.hold === hold.id) this.#setOwner(hold.showId, s, null);
    }
    this.#putHold({ ...hold, state, bookingId, index });
  }

  #recordCancel(bookingId: string): void {
    const r = this.#recorder;
    if (!r) return;
    // A booking created and cancelled in one batch is inserted with its final status.
    if (!r.created.has(bookingId)) r.cancelled.add(bookingId);
  }

  #effects(r: EffectRecorder): Effects {
    const claimsFreed: SeatClaimWrite[] = [];
    const claimsTaken: SeatClaimWrite[] = [];
    for (const { showId, seatId, before } of r.seatsBefore.values()) {
      const after = this.#claims.get(showId)?.get(seatId);
      if (sameOwner(before, after)) continue;
      if (before) claimsFreed.push(claimRow(showId, seatId, before));
      if (after) claimsTaken.push(claimRow(showId, seatId, after));
    }
    const holds: HoldWrite[] = [...r.holds].map((id) => {
      const h = this.#holds.get(id)!;
      return {
        id,
        showId: h.showId,
        seatIds: [...h.seatIds],
        expiresAtMs: h.expiresAtMs,
        state: h.state,
        commitIndex: h.index,
      };
    });
    const newBookings: BookingWrite[] = [...r.created.values()].map(({ booking: b, holdId, entry }) => ({
      ...b,
      token: b.token ?? '',
      requestHash: b.requestHash ?? null,
      status: this.#bookings.get(b.id)!.status,
      lamport: entry.lamport,
      epoch: entry.epoch,
      commitIndex: entry.index,
      holdId,
    }));
    return {
      catalogs: r.catalogs,
      claimsFreed,
      claimsTaken,
      holds,
      newBookings,
      cancelled: [...r.cancelled],
      rejections: r.rejections,
    };
  }
}

function reject(reason: ErrorReason, detail: string): Outcome {
  return { ok: false, reason, detail };
}

function sameOwner(a: Owner | undefined, b: Owner | undefined): boolean {
  if (!a || !b) return a === b;
  return 'hold' in a ? 'hold' in b && a.hold === b.hold : 'booking' in b && a.booking === b.booking;
}

function claimRow(showId: string, seatId: string, o: Owner): SeatClaimWrite {
  return 'hold' in o
    ? { showId, seatId, holdId: o.hold, bookingId: null }
    : { showId, seatId, holdId: null, bookingId: o.booking };
}

function tooMany(seatIds: string[], what: string): void {
  if (seatIds.length > MAX_SEATS_PER_HOLD) {
    throw new AppError('TOO_MANY_SEATS', `at most ${MAX_SEATS_PER_HOLD} seats per ${what}`, {
      max: MAX_SEATS_PER_HOLD,
    });
  }
}

function knownSeats(show: ShowInfo, seatIds: string[]): void {
  const seats = seatIndex(show.layout);
  const unknown = seatIds.filter((id) => !seats.has(id));
  if (unknown.length > 0) {
    throw new AppError('SEAT_NOT_FOUND', `no such seat: ${unknown.join(', ')}`, { seatIds: unknown });
  }
}

function total(show: ShowInfo, seatIds: string[]): number {
  const seats = seatIndex(show.layout);
  return seatIds.reduce((sum, s) => sum + priceOf((seats.get(s) as LayoutSeat).kind, show.prices), 0);
}
