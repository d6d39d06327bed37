/**
 * The booking state machine, deterministically and without I/O: decisions against the tail, total
 * apply, and the net database effects of a batch, on seeded random schedules (fast-check).
 */
import test from 'ava';
import fc from 'fast-check';
import type { BookingEntry, Command, NewBooking } from '../../src/booking/entries.js';
import { BookingMachine } from '../../src/booking/machine.js';
import type { Effects } from '../../src/store/effects.js';

const SHOW = 'show-1';
const LAYOUT = ['SSSS', 'SPPS'];
const SEATS = ['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'B4'];

function fresh(): BookingMachine {
  return BookingMachine.load({
    appliedIndex: 0,
    shows: [
      {
        id: SHOW,
        screenId: 'sc',
        startsAtMs: Date.parse('2100-01-01T00:00:00Z'),
        layout: LAYOUT,
        prices: { standard: 1000, premium: 1500 },
        currency: 'EUR',
      },
    ],
    claims: [],
    holds: [],
    bookings: [],
  });
}

function booking(id: string, seatIds: string[], key: string | null = null): NewBooking {
  return {
    id,
    code: id.toUpperCase(),
    showId: SHOW,
    seatIds,
    customer: { name: 'n', email: 'e@example.org' },
    totalCents: 1000 * seatIds.length,
    currency: 'EUR',
    createdAt: '2026-12-01T20:00:00.000Z',
    idempotencyKey: key,
    requestHash: key ? `h-${key}` : null,
    token: 't',
  };
}

const entry = (index: number, command: Command, epoch = 1): BookingEntry => ({
  index,
  epoch,
  lamport: index,
  command,
});

test('the exact wedge history: a retry on the new master finds its first attempt; a blind second decision is rejected, not fatal', (t) => {
  // Entry 5 is master A's booking for key K, committed while its answer was lost.
  const first: Command = { kind: 'booking.create', holdId: null, booking: booking('b1', ['A1'], 'K') };
  // Master B adopted entry 5 and applied it before serving (its view change): its tail sees the key.
  const applied = fresh();
  applied.applyBatch([entry(5, first)], 6); // 6: B's barrier
  const tail = applied.clone();
  const prior = tail.priorUse('K', 'h-K');
  t.is(prior?.bookingId, 'b1', 'the retry is answered with the first booking');
  t.throws(() => tail.priorUse('K', 'h-other'), { message: /other params/ });

  // What the old code did: decide against a state without entry 5, and commit a second booking.
  const blind: Command = { kind: 'booking.create', holdId: null, booking: booking('b2', ['A1'], 'K') };
  const nodes = [fresh(), fresh(), fresh()];
  const results = nodes.map((m) => m.applyBatch([entry(5, first), entry(7, blind, 2)], 7));
  for (const r of results) {
    t.true(r.outcomes[0]!.ok);
    t.deepEqual(r.outcomes[1], results[0]!.outcomes[1], 'every node rejects it the same way');
    t.false(r.outcomes[1]!.ok);
    t.deepEqual(
      r.effects.newBookings.map((b) => b.id),
      ['b1'],
      'only the first booking is written',
    );
    t.is(r.effects.rejections.length, 1);
  }
  // Apply goes on: the next entry applies normally.
  const next: Command = { kind: 'booking.create', holdId: null, booking: booking('b3', ['A2'], 'K2') };
  t.true(nodes[0]!.apply(entry(8, next)).ok);
  t.is(nodes[0]!.appliedIndex, 8);
});

test('decisions see pending entries: a hold proposed but not applied keeps its seats from others', (t) => {
  const applied = fresh();
  const tail = applied.clone();
  let ids = 0;
  const [set] = tail.decideHold({ showId: SHOW, seatIds: ['A1', 'A2'] }, 0, 60_000, () => `h${++ids}`);
  t.true(tail.apply(entry(1, set!)).ok);
  const err = t.throws(() => tail.planBooking({ showId: SHOW, seatIds: ['A2', 'A3'] }, 1));
  t.is((err as { data?: { reason?: string } }).data?.reason, 'SEATS_UNAVAILABLE');
  // The applied state has not seen entry 1 yet: only the tail decides.
  t.notThrows(() => applied.planBooking({ showId: SHOW, seatIds: ['A2', 'A3'] }, 1));
  // Once the hold lapses on the master's clock, a booking expires it first, in the same step.
  const plan = tail.planBooking({ showId: SHOW, seatIds: ['A2', 'A3'] }, 60_001);
  t.is(plan.expire?.kind, 'hold.expire');
  t.is(plan.totalCents, 2000);
});

// ---- random schedules ----

type Op =
  | { op: 'hold'; seats: number[]; holdRef: number | null }
  | { op: 'release'; holdRef: number }
  | { op: 'book'; seats: number[]; key: number | null }
  | { op: 'confirm'; holdRef: number; key: number | null }
  | { op: 'cancel'; bookingRef: number }
  | { op: 'expire'; at: number }
  | { op: 'blind'; seats: number[]; key: number | null };

const seatsArb = fc.uniqueArray(fc.integer({ min: 0, max: SEATS.length - 1 }), {
  minLength: 1,
  maxLength: 3,
});
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('hold' as const), seats: seatsArb, holdRef: fc.option(fc.nat(20)) }),
  fc.record({ op: fc.constant('release' as const), holdRef: fc.nat(20) }),
  fc.record({ op: fc.constant('book' as const), seats: seatsArb, key: fc.option(fc.nat(6)) }),
  fc.record({ op: fc.constant('confirm' as const), holdRef: fc.nat(20), key: fc.option(fc.nat(6)) }),
  fc.record({ op: fc.constant('cancel' as const), bookingRef: fc.nat(20) }),
  fc.record({ op: fc.constant('expire' as const), at: fc.integer({ min: 0, max: 200 }) }),
  // An entry decided elsewhere, against another state (an adopted entry of an older master).
  fc.record({ op: fc.constant('blind' as const), seats: seatsArb, key: fc.option(fc.nat(6)) }),
);

/** Runs a schedule: the tail decides (or a blind entry is forced in); returns the committed log. */
function schedule(ops: Op[]): { log: BookingEntry[]; blind: number } {
  const tail = fresh();
  const log: BookingEntry[] = [];
  const holds: string[] = [];
  const bookings: string[] = [];
  let blind = 0;
  let n = 0;
  const propose = (c: Command) => {
    const e = entry(log.length + 1, c);
    log.push(e);
    tail.apply(e);
  };
  ops.forEach((o, step) => {
    const now = step * 10;
    try {
      switch (o.op) {
        case 'hold': {
          const holdId = o.holdRef !== null && holds[o.holdRef] ? holds[o.holdRef] : undefined;
          const cs = tail.decideHold(
            { showId: SHOW, seatIds: o.seats.map((s) => SEATS[s]!), holdId },
            now,
            50,
            () => `h${++n}`,
          );
          for (const c of cs) propose(c);
          const set = cs.at(-1)!;
          if (set.kind === 'hold.set' && !holds.includes(set.holdId)) holds.push(set.holdId);
          break;
        }
        case 'release': {
          const c = holds[o.holdRef] ? tail.decideRelease(holds[o.holdRef]!) : null;
          if (c) propose(c);
          break;
        }
        case 'book':
        case 'confirm': {
          const key = o.key === null ? undefined : `k${o.key}`;
          const params = o.op === 'book' ? o.seats.map((s) => SEATS[s]) : o.holdRef;
          const hash = JSON.stringify([o.op, params]);
          if (tail.priorUse(key, hash)) break;
          if (o.op === 'confirm' && !holds[o.holdRef]) break;
          const plan =
            o.op === 'book'
              ? tail.planBooking({ showId: SHOW, seatIds: o.seats.map((s) => SEATS[s]!) }, now)
              : tail.planConfirm(holds[o.holdRef]!, now);
          if (plan.expire) propose(plan.expire);
          const b = { ...booking(`b${++n}`, plan.seatIds, key ?? null), requestHash: key ? hash : null };
          propose({ kind: 'booking.create', holdId: plan.holdId, booking: b });
          bookings.push(b.id);
          break;
        }
        case 'cancel':
          if (bookings[o.bookingRef]) propose(tail.decideCancel(bookings[o.bookingRef]!, now));
          break;
        case 'expire': {
          const c = tail.dueExpiries(o.at, 100);
          if (c) propose(c);
          break;
        }
        case 'blind': {
          const key = o.key === null ? null : `k${o.key}`;
          const b = booking(
            `x${++n}`,
            o.seats.map((s) => SEATS[s]!),
            key,
          );
          propose({ kind: 'booking.create', holdId: null, booking: b });
          blind++;
          break;
        }
      }
    } catch (error) {
      if (!(error as { data?: unknown }).data) throw error; // only AppErrors are a decision's answer
    }
  });
  return { log, blind };
}

/** A model of the seat_claims table that applies Effects like the SQL does, keys and all. */
function applyToRows(rows: Map<string, string>, e: Effects): void {
  for (const c of e.claimsFreed) {
    if (!rows.delete(`${c.showId}/${c.seatId}`)) throw new Error(`deleting a missing claim ${c.seatId}`);
  }
  for (const c of e.claimsTaken) {
    const k = `${c.showId}/${c.seatId}`;
    if (rows.has(k)) throw new Error(`duplicate key ${k}: the backstop fired`);
    rows.set(k, c.bookingId ?? c.holdId!);
  }
}

function ownersOf(m: BookingMachine): Map<string, string> {
  return new Map(
    [...m.owners(SHOW)].map(([s, o]) => [`${SHOW}/${s}`, 'booking' in o ? o.booking : o.hold] as const),
  );
}

test('random schedules: entries the tail decided are never rejected; blind ones may be, identically everywhere', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(opArb, { minLength: 20, maxLength: 80 }),
        fc.integer({ min: 1, max: 8 }),
        (ops, cut) => {
          const { log, blind } = schedule(ops);
          // Node A applies the log in one batch, node B in batches of `cut`: same outcomes, same state.
          const a = fresh();
          const rowsA = new Map<string, string>();
          const ra = a.applyBatch(log, log.length);
          applyToRows(rowsA, ra.effects);
          const b = fresh();
          const rowsB = new Map<string, string>();
          const outcomesB: boolean[] = [];
          for (let i = 0; i < log.length; i += cut) {
            const part = log.slice(i, i + cut);
            const r = b.applyBatch(part, part.at(-1)!.index);
            applyToRows(rowsB, r.effects);
            outcomesB.push(...r.outcomes.map((o) => o.ok));
          }
          if (JSON.stringify(ra.outcomes.map((o) => o.ok)) !== JSON.stringify(outcomesB)) return false;
          if (blind === 0 && ra.outcomes.some((o) => !o.ok)) return false;
          // The rows the effects produce are exactly the machine's seat owners, batch size aside.
          const owners = ownersOf(a);
          const same = (x: Map<string, string>, y: Map<string, string>) =>
            x.size === y.size && [...x].every(([k, v]) => y.get(k) === v);
          return same(rowsA, owners) && same(rowsB, owners) && same(ownersOf(b), owners);
        },
      ),
      { seed: 20261201, numRuns: 400 },
    ),
  );
});

test('no seat ever has two live bookings and no key two bookings, whatever the log holds', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 20, maxLength: 80 }), (ops) => {
        const { log } = schedule(ops);
        const m = fresh();
        m.applyBatch(log, log.length);
        const live = new Map<string, string>();
        const keys = new Set<string>();
        for (const e of log) {
          const c = e.command;
          if (c.kind !== 'booking.create') continue;
          const b = m.booking(c.booking.id);
          if (!b) continue; // rejected
          if (b.key !== null) {
            if (keys.has(b.key)) return false;
            keys.add(b.key);
          }
          if (b.status !== 'confirmed') continue;
          for (const s of b.seatIds) {
            if (live.has(s)) return false;
            live.set(s, b.id);
          }
        }
        return true;
      }),
      { seed: 7, numRuns: 300 },
    ),
  );
});
