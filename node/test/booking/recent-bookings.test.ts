/** The bounded memory of recent booking rows: least recently used out first, found by id and code. */
import test from 'ava';
import fc from 'fast-check';
import { RecentBookings } from '../../src/booking/recent-bookings.js';
import type { BookingRow } from '../../src/store/queries.js';

const row = (n: number): BookingRow => ({
  id: `b${n}`,
  code: `C${n}`,
  showId: 's',
  seatIds: ['A1'],
  customer: { name: 'n', email: 'e@example.org' },
  totalCents: 100,
  currency: 'EUR',
  createdAt: '2100-01-01T00:00:00.000Z',
  idempotencyKey: null,
  token: 't',
  status: 'confirmed',
  lamport: n,
  epoch: 1,
  commitIndex: n,
  holdId: null,
});

test('a row is found by its id and by its code', (t) => {
  const recent = new RecentBookings(4);
  recent.remember(row(1));
  t.is(recent.byId('b1')?.code, 'C1');
  t.is(recent.byCode('C1')?.id, 'b1');
  t.is(recent.byCode('C2'), undefined);
});

test('a lookup counts as use: a row looked up survives rows remembered after it', (t) => {
  const recent = new RecentBookings(4);
  recent.remember(row(1));
  recent.remember(row(2));
  recent.remember(row(3));
  t.truthy(recent.byCode('C1'));
  recent.remember(row(4));
  t.truthy(recent.byId('b1'), 'used after 2, kept');
  t.is(recent.byId('b2'), undefined, 'not used since, dropped');
  t.is(recent.byCode('C2'), undefined, 'its code goes with it');
});

test('capacity 0 keeps nothing', (t) => {
  const recent = new RecentBookings(0);
  recent.remember(row(1));
  t.is(recent.size, 0);
  t.is(recent.byId('b1'), undefined);
});

test('on any schedule: within its bound, never a wrong row, and the most recent half always found', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 300 }),
      (capacity, ops) => {
        const recent = new RecentBookings(capacity);
        const kept = Math.max(1, Math.floor(capacity / 2));
        const remembered = new Set<number>();
        let model: number[] = []; // most recently used last
        for (const [write, n] of ops) {
          if (write) {
            recent.remember(row(n));
            remembered.add(n);
            model = [...model.filter((m) => m !== n), n];
          } else {
            const found = recent.byCode(`C${n}`);
            if (found) {
              t.is(found.id, `b${n}`);
              model = [...model.filter((m) => m !== n), n];
            }
            if (model.slice(-kept).includes(n)) t.truthy(found, `C${n} is among the ${kept} used last`);
            if (!remembered.has(n)) t.is(found, undefined);
          }
          t.true(recent.size <= capacity);
        }
      },
    ),
    { seed: 10, numRuns: 300 },
  );
});
