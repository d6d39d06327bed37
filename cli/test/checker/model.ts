/**
 * A correct booking service as a tiny in-memory model, driven by generated commands, that writes
 * the history a chaos client would record and the final state its replicas would hold. Whatever
 * the commands, the result is a valid history: the property tests check that the checker agrees,
 * and that it catches each kind of damage done to the final state afterwards.
 */
import type { Booking, SeatStatus } from '@booking/node/protocol';
import fc from 'fast-check';
import type { FinalState, StoredBooking } from '../../src/services/checker/final-state.js';
import { type HistoryRecord, HistoryRecorder, type OpId } from '../../src/services/checker/history.js';
import { T0 } from './helpers.js';

export const MODEL_SEATS = ['A1', 'A2', 'A3', 'A4', 'A5', 'B1', 'B2', 'B3'];
export const SHOW = 'show-m';
const TTL = 10_000;

/** ok: answered; lost-after: applied, reply lost; lost-before: never reached the service. */
export type Reply = 'ok' | 'lost-after' | 'lost-before';

export type Cmd =
  | { t: 'book'; p: number; seats: number[]; keyed: boolean; reply: Reply }
  | { t: 'retry'; p: number; which: number; reply: Reply }
  | { t: 'cancel'; p: number; which: number; reply: Reply }
  | { t: 'hold'; p: number; seats: number[]; reply: Reply }
  | { t: 'confirm'; p: number; which: number; reply: Reply }
  | { t: 'wait'; ms: number };

const reply = fc.constantFrom<Reply>('ok', 'ok', 'ok', 'ok', 'ok', 'lost-after', 'lost-before');
const seats = fc.uniqueArray(fc.nat(MODEL_SEATS.length - 1), { minLength: 1, maxLength: 3 });
const p = fc.integer({ min: 1, max: 4 });
const which = fc.nat(50);

export const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('book' as const), p, seats, keyed: fc.boolean(), reply }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retry' as const), p, which, reply }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('cancel' as const), p, which, reply }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('hold' as const), p, seats, reply }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('confirm' as const), p, which, reply }) },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 12_000 }) }),
  },
);

export const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 40 });

interface Hold {
  id: string;
  seatIds: string[];
  expiresAt: number;
  state: 'active' | 'confirmed';
}

type Outcome<T> = { ok: T } | { fail: string };

export interface Run {
  history: HistoryRecord[];
  final: FinalState;
  /** Bookings some client was told about (by id). */
  acked: Map<string, Booking>;
  /** Booking ids whose cancel was acknowledged. */
  ackedCancels: Set<string>;
}

export function run(cmds: Cmd[], nodeIds = [1, 2, 3]): Run {
  const history: HistoryRecord[] = [];
  let now = 0;
  const rec = new HistoryRecorder(
    { now: () => ++now, wallNow: () => new Date(T0 + now).toISOString() },
    (r) => history.push(r),
  );
  const bookings = new Map<string, StoredBooking>();
  const byKey = new Map<string, string>();
  const holds = new Map<string, Hold>();
  const acked = new Map<string, Booking>();
  const ackedCancels = new Set<string>();
  const knownCodes: string[] = [];
  const knownHolds: string[] = [];
  const keyedParams: {
    showId: string;
    seatIds: string[];
    customer: Booking['customer'];
    idempotencyKey: string;
  }[] = [];
  let serial = 0;

  const claimOf = (seat: string): string | null => {
    for (const b of bookings.values()) if (b.status === 'confirmed' && b.seatIds.includes(seat)) return b.id;
    for (const h of holds.values())
      if (h.state === 'active' && h.expiresAt > now && h.seatIds.includes(seat)) return h.id;
    return null;
  };
  const present = (b: StoredBooking): Booking => ({
    id: b.id,
    code: b.code,
    showId: b.showId,
    seatIds: b.seatIds,
    customer: b.customer,
    totalCents: 1000 * b.seatIds.length,
    currency: 'EUR',
    status: b.status,
    createdAt: b.createdAt!,
    lamport: b.lamport,
    epoch: 1,
    commitIndex: b.lamport,
    ticket: { token: `t-${b.id}`, qrSvg: '<svg/>' },
  });
  const create = (
    seatIds: string[],
    customer: Booking['customer'],
    key: string | null,
    holdId: string | null,
  ) => {
    serial += 1;
    const b: StoredBooking = {
      id: `b_${serial}`,
      code: `M${String(serial).padStart(15, '0')}`,
      showId: SHOW,
      seatIds,
      customer,
      status: 'confirmed',
      lamport: serial,
      createdAt: new Date(T0 + now).toISOString(),
      idempotencyKey: key,
      holdId,
    };
    bookings.set(b.id, b);
    if (key !== null) byKey.set(key, b.id);
    return b;
  };

  /** Runs one op: invoke, maybe apply, complete according to the reply mode. */
  const op = <T>(opId: OpId, mode: Reply, apply: () => Outcome<T>, onOk: (v: T) => void) => {
    if (mode === 'lost-before') {
      rec.info(opId, { message: 'connection closed before the request was sent' });
      return;
    }
    const out = apply();
    if (mode === 'lost-after') {
      rec.info(opId, { message: 'timeout' });
      return;
    }
    if ('ok' in out) onOk(out.ok);
    else rec.fail(opId, { code: 1000, reason: out.fail, message: out.fail });
  };

  const book = (
    pr: number,
    params: { showId: string; seatIds: string[]; customer: Booking['customer']; idempotencyKey?: string },
    mode: Reply,
  ) => {
    const id = rec.invoke(pr, 'nginx', 'bookings.book', params);
    op(
      id,
      mode,
      (): Outcome<StoredBooking> => {
        const key = params.idempotencyKey ?? null;
        if (key !== null && byKey.has(key)) return { ok: bookings.get(byKey.get(key)!)! };
        if (params.seatIds.some((s) => claimOf(s) !== null)) return { fail: 'SEATS_UNAVAILABLE' };
        return { ok: create(params.seatIds, params.customer, key, null) };
      },
      (b) => {
        const shown = present(b);
        rec.ok<'bookings.book'>(id, shown);
        acked.set(b.id, shown);
        knownCodes.push(b.code);
      },
    );
  };

  for (const c of cmds) {
    const customer = { name: `P${serial}-${history.length}`, email: `m${history.length}@example.test` };
    switch (c.t) {
      case 'wait':
        now += c.ms;
        break;
      case 'book': {
        const params = {
          showId: SHOW,
          seatIds: c.seats.map((i) => MODEL_SEATS[i]!),
          customer,
          ...(c.keyed ? { idempotencyKey: `key-${history.length}` } : {}),
        };
        if (c.keyed) keyedParams.push(params as (typeof keyedParams)[number]);
        book(c.p, params, c.reply);
        break;
      }
      case 'retry': {
        if (keyedParams.length === 0) break;
        book(c.p, keyedParams[c.which % keyedParams.length]!, c.reply);
        break;
      }
      case 'cancel': {
        if (knownCodes.length === 0) break;
        const code = knownCodes[c.which % knownCodes.length]!;
        const id = rec.invoke(c.p, 'nginx', 'bookings.cancel', { code });
        op(
          id,
          c.reply,
          (): Outcome<StoredBooking> => {
            const b = [...bookings.values()].find((x) => x.code === code);
            if (!b) return { fail: 'BOOKING_NOT_FOUND' };
            if (b.status === 'cancelled') return { fail: 'ALREADY_CANCELLED' };
            b.status = 'cancelled';
            return { ok: b };
          },
          (b) => {
            rec.ok<'bookings.cancel'>(id, present(b));
            ackedCancels.add(b.id);
          },
        );
        break;
      }
      case 'hold': {
        const seatIds = c.seats.map((i) => MODEL_SEATS[i]!);
        const id = rec.invoke(c.p, 'nginx', 'seats.hold', { showId: SHOW, seatIds });
        op(
          id,
          c.reply,
          (): Outcome<Hold> => {
            if (seatIds.some((s) => claimOf(s) !== null)) return { fail: 'SEATS_UNAVAILABLE' };
            serial += 1;
            const h: Hold = { id: `h_${serial}`, seatIds, expiresAt: T0 + now + TTL, state: 'active' };
            holds.set(h.id, h);
            return { ok: h };
          },
          (h) => {
            rec.ok<'seats.hold'>(id, {
              holdId: h.id,
              showId: SHOW,
              seatIds: h.seatIds,
              expiresAt: new Date(h.expiresAt).toISOString(),
              commitIndex: serial,
            });
            knownHolds.push(h.id);
          },
        );
        break;
      }
      case 'confirm': {
        if (knownHolds.length === 0) break;
        const holdId = knownHolds[c.which % knownHolds.length]!;
        const id = rec.invoke(c.p, 'nginx', 'bookings.confirm', { holdId, customer });
        op(
          id,
          c.reply,
          (): Outcome<StoredBooking> => {
            const h = holds.get(holdId)!;
            if (h.state === 'confirmed')
              return { ok: [...bookings.values()].find((b) => b.holdId === h.id)! };
            if (h.expiresAt <= T0 + now) return { fail: 'HOLD_EXPIRED' };
            h.state = 'confirmed';
            return { ok: create(h.seatIds, customer, null, h.id) };
          },
          (b) => {
            const shown = present(b);
            rec.ok<'bookings.confirm'>(id, shown);
            acked.set(b.id, shown);
            knownCodes.push(b.code);
          },
        );
        break;
      }
    }
  }

  const seatsNow: Record<string, SeatStatus> = {};
  for (const s of MODEL_SEATS) {
    const claim = claimOf(s);
    seatsNow[s] = claim === null ? 'available' : claim.startsWith('b_') ? 'booked' : 'held';
  }
  const final: FinalState = {
    nodes: nodeIds.map((nodeId) => ({
      nodeId,
      coverage: 'all',
      bookings: [...bookings.values()].map((b) => ({ ...b, seatIds: [...b.seatIds] })),
      seats: { [SHOW]: { ...seatsNow } },
    })),
    unreadable: [],
  };
  return { history, final, acked, ackedCancels };
}
