import test from 'ava';
import { closedLoop, errorReason } from '../../src/services/bench/load.js';
import { ClientPlan, deal, seatPairs, shuffle } from '../../src/services/bench/workload.js';

const shows = [
  { showId: 's1', seatIds: ['A1', 'A2', 'A3', 'A4', 'A5'] },
  { showId: 's2', seatIds: ['B1', 'B2', 'B3', 'B4'] },
];

test('seat pairs: neighbours of each show, shuffled by the seed, reproducibly', (t) => {
  const pairs = seatPairs(shows, 1);
  t.is(pairs.length, 4);
  t.deepEqual([...pairs].map((p) => `${p.showId}:${p.seatIds.join('+')}`).sort(), [
    's1:A1+A2',
    's1:A3+A4',
    's2:B1+B2',
    's2:B3+B4',
  ]);
  t.deepEqual(seatPairs(shows, 1), pairs);
  t.deepEqual(shuffle([1, 2, 3, 4, 5, 6, 7, 8], 3), shuffle([1, 2, 3, 4, 5, 6, 7, 8], 3));
  t.notDeepEqual(shuffle([1, 2, 3, 4, 5, 6, 7, 8], 3), shuffle([1, 2, 3, 4, 5, 6, 7, 8], 4));
});

test('dealing gives every client a disjoint slice', (t) => {
  t.deepEqual(deal([1, 2, 3, 4, 5], 2), [
    [1, 3, 5],
    [2, 4],
  ]);
  t.deepEqual(deal([1], 3), [[1], [], []]);
});

test('a client plan books up to keep, then cancels its oldest and reuses the pair', (t) => {
  const pairs = seatPairs(shows, 1);
  const plan = new ClientPlan(pairs.slice(0, 3), 2);
  const steps: string[] = [];
  for (let i = 0; i < 8; i++) {
    const s = plan.next()!;
    if (s.kind === 'book') {
      steps.push(`book ${s.pair.seatIds.join('+')}`);
      plan.booked(`code-${s.pair.seatIds[0]}`, s.pair);
    } else steps.push(`cancel ${s.code}`);
  }
  const [p0, p1, p2] = pairs.slice(0, 3).map((p) => p.seatIds);
  t.deepEqual(steps, [
    `book ${p0!.join('+')}`,
    `book ${p1!.join('+')}`,
    `cancel code-${p0![0]}`,
    `book ${p2!.join('+')}`,
    `cancel code-${p1![0]}`,
    `book ${p0!.join('+')}`,
    `cancel code-${p2![0]}`,
    `book ${p1!.join('+')}`,
  ]);
  t.is(new ClientPlan([]).next(), null, 'nothing to book, nothing to cancel');
});

test('closed loop counts bookings, other writes and errors by reason on a fake clock', async (t) => {
  let clock = 0;
  let calls = 0;
  const result = await closedLoop({
    clients: 3,
    durationMs: 1000,
    now: () => clock,
    op: async (client) => {
      calls += 1;
      clock += 10; // every op takes 10 ms of fake time
      if (client === 2 && calls % 2 === 0)
        throw Object.assign(new Error('x'), { reason: 'SEATS_UNAVAILABLE' });
      if (client === 1) return calls > 40 ? null : 'other';
      return 'book';
    },
  });
  t.is(
    result.bookings + result.otherWrites + (result.errors['SEATS_UNAVAILABLE'] ?? 0),
    calls - result.exhausted,
  );
  t.true(result.bookings > 0);
  t.true(result.otherWrites > 0);
  t.true((result.errors['SEATS_UNAVAILABLE'] ?? 0) > 0);
  t.is(result.exhausted, 1);
  t.is(result.latency.count, result.bookings);
  t.is(result.seconds, clock / 1000);
  t.is(result.bookingsPerSec, result.bookings / result.seconds);
});

test('error reasons: the wire reason, else a driver code, else the first line', (t) => {
  t.is(errorReason({ reason: 'NO_MASTER', message: 'x' }), 'NO_MASTER');
  t.is(errorReason(Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY' })), 'ER_DUP_ENTRY');
  t.is(errorReason(new Error('socket closed\nstack')), 'socket closed');
});
