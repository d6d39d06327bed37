import test from 'ava';
import { type AnomalyKind, checkHistory } from '../../src/services/checker/check.js';
import type { FinalState } from '../../src/services/checker/final-state.js';
import type { HistoryRecord } from '../../src/services/checker/history.js';
import { booking, replicated, Script, SEATS, stored, T0 } from './helpers.js';

const kinds = (v: { anomalies: { kind: AnomalyKind }[] }) => v.anomalies.map((a) => a.kind).sort();

test('book, cancel and rebook the same seat, replicated everywhere: valid', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1', 'A2']));
  const aCancelled = s.cancel(1, a);
  const b = s.book(2, booking(['A1']));
  const v = checkHistory(s.records, replicated([1, 2, 3], [aCancelled, b], { seats: SEATS }));
  t.is(v.verdict, 'valid', JSON.stringify(v.anomalies));
  t.deepEqual(v.anomalies, []);
  t.is(v.stats.acknowledgedBookings, 2);
  t.is(v.stats.acknowledgedCancels, 1);
  t.deepEqual(v.stats.nodesRead, [1, 2, 3]);
});

test('primary/backup failover that loses an acknowledged booking: lost-booking and double-sale', (t) => {
  // n3 is master and acknowledges b1 before its backup has it; n3 dies; n2 takes over without
  // b1 and sells the same seat again. Classic asynchronous primary/backup.
  const s = new Script();
  const b1 = s.book(1, booking(['C7'], { epoch: 1 }));
  s.fault('kill', 3);
  const b2 = s.book(2, booking(['C7'], { epoch: 2 }));
  const final = replicated([1, 2], [b2], { seats: ['C7'] });
  const v = checkHistory(s.records, final);
  t.is(v.verdict, 'invalid');
  t.deepEqual(kinds(v), ['double-sale', 'lost-booking']);
  const lost = v.anomalies.find((a) => a.kind === 'lost-booking')!;
  t.deepEqual(lost.bookingIds, [b1.id]);
  t.deepEqual(
    lost.nodes.map((n) => [n.nodeId, n.booking]),
    [
      [1, null],
      [2, null],
    ],
  );
  // Minimal evidence: just the invoke and the ok of b1.
  t.deepEqual(
    lost.ops.map((r) => [r.type, r.opId]),
    [
      ['invoke', 1],
      ['ok', 1],
    ],
  );
  const sale = v.anomalies.find((a) => a.kind === 'double-sale')!;
  t.deepEqual(sale.seat, { showId: 'show-1', seatId: 'C7' });
  t.deepEqual([...sale.bookingIds].sort(), [b1.id, b2.id].sort());
  t.is(sale.ops.length, 4);
  t.is(v.stats.faults, 1);
});

test('an acknowledged booking missing on one lagging node names only that node', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const final = replicated([1, 2, 3], [a]);
  final.nodes[0]!.bookings = [];
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['lost-booking']);
  t.deepEqual(
    v.anomalies[0]!.nodes.map((n) => n.nodeId),
    [1],
  );
});

test('an acknowledged booking stored with other seats is changed-booking', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1', 'A2']));
  const final = replicated([1, 2], [a]);
  final.nodes[1]!.bookings[0]!.seatIds = ['A1', 'A3'];
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['changed-booking']);
  t.regex(v.anomalies[0]!.message, /seatIds/);
  t.deepEqual(
    v.anomalies[0]!.nodes.map((n) => n.nodeId),
    [2],
  );
});

test('two live bookings owning one seat on a node is a double sale, whoever asked for them', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['B2']));
  const other = booking(['B2', 'B3']);
  const op = s.invoke(2, 'bookings.book', {
    showId: 'show-1',
    seatIds: other.seatIds,
    customer: other.customer,
  });
  s.info(op, 'timeout');
  const v = checkHistory(s.records, replicated([1, 2, 3], [a, other]));
  t.is(v.verdict, 'invalid');
  t.true(kinds(v).every((k) => k === 'double-sale'));
  t.is(v.anomalies.length, 3, 'one per node');
  t.deepEqual(v.anomalies[0]!.seat, { showId: 'show-1', seatId: 'B2' });
});

test('a booking nobody asked for is a phantom', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const ghost = booking(['A4']);
  const v = checkHistory(s.records, replicated([1, 2], [a, ghost]));
  t.deepEqual(kinds(v), ['phantom-booking']);
  t.deepEqual(v.anomalies[0]!.bookingIds, [ghost.id]);
  t.deepEqual(v.anomalies[0]!.ops, []);
  t.deepEqual(
    v.anomalies[0]!.nodes.map((n) => n.nodeId),
    [1, 2],
  );
});

test('by-code reads: a booked seat that no known booking or unknown request explains is a phantom', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const final = replicated([1], [a], { coverage: 'by-code', seats: SEATS });
  final.nodes[0]!.seats!['show-1']!['B4'] = 'booked';
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['phantom-booking']);
  t.deepEqual(v.anomalies[0]!.seat, { showId: 'show-1', seatId: 'B4' });
});

test('by-code reads: a booked seat explained by a request with unknown outcome is fine', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const op = s.invoke(2, 'bookings.book', {
    showId: 'show-1',
    seatIds: ['B4'],
    customer: { name: 'X', email: 'x@example.test' },
  });
  s.info(op);
  const final = replicated([1], [a], { coverage: 'by-code', seats: SEATS });
  final.nodes[0]!.seats!['show-1']!['B4'] = 'booked';
  t.is(checkHistory(s.records, final).verdict, 'valid');
});

test('a request with unknown outcome may have happened or not: both are valid', (t) => {
  for (const happened of [true, false]) {
    const s = new Script();
    const b = booking(['A3']);
    const op = s.invoke(1, 'bookings.book', { showId: b.showId, seatIds: b.seatIds, customer: b.customer });
    s.info(op, 'connection closed');
    const pending = booking(['A4']);
    s.invoke(2, 'bookings.book', {
      showId: pending.showId,
      seatIds: pending.seatIds,
      customer: pending.customer,
    });
    const v = checkHistory(s.records, replicated([1, 2], happened ? [b, pending] : [], { seats: SEATS }));
    t.is(v.verdict, 'valid', `happened=${happened}: ${JSON.stringify(v.anomalies)}`);
  }
});

test('a booking made by a request that was definitely refused is failed-write-applied', (t) => {
  const s = new Script();
  const b = booking(['A2']);
  const op = s.invoke(1, 'bookings.book', { showId: b.showId, seatIds: b.seatIds, customer: b.customer });
  s.fail(op, 'SEATS_UNAVAILABLE', { seatIds: ['A2'] });
  const v = checkHistory(s.records, replicated([1, 2], [b]));
  t.deepEqual(kinds(v), ['failed-write-applied']);
  t.deepEqual(
    v.anomalies[0]!.ops.map((r) => r.type),
    ['invoke', 'fail'],
  );
});

test('an idempotent retry after an unknown outcome yields one booking: valid', (t) => {
  const s = new Script();
  const b = booking(['A1', 'A2']);
  const params = { showId: b.showId, seatIds: b.seatIds, customer: b.customer, idempotencyKey: 'k-1' };
  const first = s.invoke(1, 'bookings.book', params);
  s.info(first, 'socket closed: master killed');
  s.fault('kill', 3);
  const retry = s.invoke(1, 'bookings.book', params);
  s.ok<'bookings.book'>(retry, b);
  const v = checkHistory(
    s.records,
    replicated([1, 2], [stored(b, { idempotencyKey: 'k-1' })], { seats: SEATS }),
  );
  t.is(v.verdict, 'valid', JSON.stringify(v.anomalies));
});

test('an idempotent retry that books twice is duplicate-booking', (t) => {
  const s = new Script();
  const b = booking(['A1']);
  const params = { showId: b.showId, seatIds: ['A1'], customer: b.customer, idempotencyKey: 'k-2' };
  const first = s.invoke(1, 'bookings.book', params);
  s.info(first);
  const retry = s.invoke(1, 'bookings.book', params);
  s.ok<'bookings.book'>(retry, b);
  // The first attempt landed too, and the key did not stop the retry: two bookings for one key
  // (the first one has since been cancelled, so no seat is double-sold; it is still a duplicate).
  const twin = {
    ...stored(b),
    id: 'b_twin',
    code: 'TWINAAAAAAAAAAAA',
    idempotencyKey: 'k-2',
    status: 'cancelled' as const,
  };
  const v = checkHistory(s.records, replicated([1], [stored(b, { idempotencyKey: 'k-2' }), twin]));
  t.true(kinds(v).includes('duplicate-booking'), JSON.stringify(v.anomalies));
  const dup = v.anomalies.find((a) => a.kind === 'duplicate-booking')!;
  t.deepEqual([...dup.bookingIds].sort(), [b.id, 'b_twin'].sort());
  t.regex(dup.message, /k-2/);
});

test('retries with one key acknowledged with different bookings: idempotency-mismatch', (t) => {
  const s = new Script();
  const b1 = booking(['A1']);
  const b2 = { ...booking(['A1']), customer: b1.customer };
  const params = { showId: 'show-1', seatIds: ['A1'], customer: b1.customer, idempotencyKey: 'k-3' };
  s.ok<'bookings.book'>(s.invoke(1, 'bookings.book', params), b1);
  s.ok<'bookings.book'>(s.invoke(1, 'bookings.book', params), b2);
  const v = checkHistory(s.records, replicated([1], [b1]));
  t.true(kinds(v).includes('idempotency-mismatch'));
  t.true(kinds(v).includes('lost-booking'), 'the second acknowledged booking is not stored');
});

test('a cancelled booking whose seat stays booked with no live owner: cancelled-seat-not-free', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['B1']));
  const c = s.cancel(1, a);
  const final = replicated([1, 2], [c], { seats: SEATS });
  final.nodes[1]!.seats!['show-1']!['B1'] = 'booked';
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['cancelled-seat-not-free']);
  t.deepEqual(
    v.anomalies[0]!.nodes.map((n) => n.nodeId),
    [2],
  );
});

test('a cancelled seat rebooked later is fine, also while the cancel was still in flight', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['B1']));
  const cancel = s.invoke(1, 'bookings.cancel', { code: a.code });
  const b = s.book(2, booking(['B1']));
  s.info(cancel, 'timeout');
  const v = checkHistory(s.records, replicated([1, 2], [{ ...a, status: 'cancelled' }, b], { seats: SEATS }));
  t.is(v.verdict, 'valid', JSON.stringify(v.anomalies));
});

test('an acknowledged cancel that a node does not have is lost-cancel', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const c = s.cancel(1, a);
  const final = replicated([1, 2], [c]);
  final.nodes[0]!.bookings[0]!.status = 'confirmed';
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['lost-cancel']);
  t.deepEqual(
    v.anomalies[0]!.ops.map((r) => `${r.type}:${r.method}`),
    ['invoke:bookings.book', 'ok:bookings.book', 'invoke:bookings.cancel', 'ok:bookings.cancel'],
  );
});

test('a booking cancelled without anyone asking is phantom-cancel', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const v = checkHistory(s.records, replicated([1], [{ ...a, status: 'cancelled' }]));
  t.deepEqual(kinds(v), ['phantom-cancel']);
});

function holdThenConfirm(confirmAtMs: number, outcome: 'ok' | 'expired') {
  const s = new Script();
  const hold = s.invoke(1, 'seats.hold', { showId: 'show-1', seatIds: ['A1', 'A2'] });
  const expiresAt = new Date(T0 + 1000 + 5000).toISOString();
  s.at(1000);
  s.ok<'seats.hold'>(hold, {
    holdId: 'h_1',
    showId: 'show-1',
    seatIds: ['A1', 'A2'],
    expiresAt,
    commitIndex: 3,
  });
  s.at(confirmAtMs);
  const b = booking(['A1', 'A2']);
  const confirm = s.invoke(1, 'bookings.confirm', { holdId: 'h_1', customer: b.customer });
  if (outcome === 'ok') s.ok<'bookings.confirm'>(confirm, b);
  else s.fail(confirm, 'HOLD_EXPIRED');
  return {
    records: s.records,
    final: replicated([1, 2], outcome === 'ok' ? [stored(b, { holdId: 'h_1' })] : []),
  };
}

test('confirming a hold before it expires is valid; after, refused with HOLD_EXPIRED, too', (t) => {
  const early = holdThenConfirm(4000, 'ok');
  t.is(checkHistory(early.records, early.final).verdict, 'valid');
  const lateRefused = holdThenConfirm(9000, 'expired');
  t.is(checkHistory(lateRefused.records, lateRefused.final).verdict, 'valid');
});

test('a confirm sent after the hold expired and acknowledged is expired-hold-confirmed', (t) => {
  const late = holdThenConfirm(9000, 'ok');
  const v = checkHistory(late.records, late.final);
  t.deepEqual(kinds(v), ['expired-hold-confirmed']);
  t.deepEqual(
    v.anomalies[0]!.ops.map((r) => `${r.type}:${r.method}`),
    ['invoke:seats.hold', 'ok:seats.hold', 'invoke:bookings.confirm', 'ok:bookings.confirm'],
  );
  // A generous clock tolerance accepts it: the checker only reports what it can prove.
  t.is(checkHistory(late.records, late.final, { clockToleranceMs: 5000 }).verdict, 'valid');
});

test('a hold extended (acknowledged) before the confirm moves the deadline', (t) => {
  const s = new Script();
  const h1 = s.invoke(1, 'seats.hold', { showId: 'show-1', seatIds: ['A1'] });
  s.ok<'seats.hold'>(h1, {
    holdId: 'h_9',
    showId: 'show-1',
    seatIds: ['A1'],
    expiresAt: new Date(T0 + 5000).toISOString(),
    commitIndex: 1,
  });
  s.at(4000);
  const h2 = s.invoke(1, 'seats.hold', { showId: 'show-1', seatIds: ['A1', 'A2'], holdId: 'h_9' });
  s.ok<'seats.hold'>(h2, {
    holdId: 'h_9',
    showId: 'show-1',
    seatIds: ['A1', 'A2'],
    expiresAt: new Date(T0 + 9000).toISOString(),
    commitIndex: 2,
  });
  s.at(7000);
  const b = booking(['A1', 'A2']);
  s.ok<'bookings.confirm'>(s.invoke(1, 'bookings.confirm', { holdId: 'h_9', customer: b.customer }), b);
  const v = checkHistory(s.records, replicated([1], [stored(b, { holdId: 'h_9' })], { seats: SEATS }));
  t.is(v.verdict, 'valid', JSON.stringify(v.anomalies));
});

test('a booking from a confirm is explained through the seats of its hold', (t) => {
  const s = new Script();
  const hold = s.invoke(1, 'seats.hold', { showId: 'show-1', seatIds: ['B3'] });
  s.ok<'seats.hold'>(hold, {
    holdId: 'h_2',
    showId: 'show-1',
    seatIds: ['B3'],
    expiresAt: new Date(T0 + 60_000).toISOString(),
    commitIndex: 1,
  });
  const b = booking(['B3']);
  const confirm = s.invoke(1, 'bookings.confirm', { holdId: 'h_2', customer: b.customer });
  s.info(confirm);
  t.is(checkHistory(s.records, replicated([1, 2], [stored(b, { holdId: 'h_2' })])).verdict, 'valid');
  // Other seats than the hold had: nobody asked for that booking.
  const odd = { ...stored(b, { holdId: 'h_2' }), seatIds: ['B4'] };
  t.deepEqual(kinds(checkHistory(s.records, replicated([1, 2], [odd]))), ['phantom-booking']);
});

test('nodes disagreeing about a booking from an unknown-outcome request: replicas-diverge', (t) => {
  const s = new Script();
  const b = booking(['A2']);
  s.info(s.invoke(1, 'bookings.book', { showId: b.showId, seatIds: b.seatIds, customer: b.customer }));
  const final = replicated([1, 2, 3], [b]);
  final.nodes[2]!.bookings = [];
  const v = checkHistory(s.records, final);
  t.deepEqual(kinds(v), ['replicas-diverge']);
  t.regex(v.anomalies[0]!.message, /n3=missing/);
});

test('an unreadable live node or no node at all makes an otherwise valid history unknown', (t) => {
  const s = new Script();
  const a = s.book(1, booking(['A1']));
  const final: FinalState = { ...replicated([1, 2], [a]), unreadable: [{ nodeId: 3, error: 'timeout' }] };
  const v = checkHistory(s.records, final);
  t.is(v.verdict, 'unknown');
  t.regex(v.unknown[0]!, /node 3/);
  t.is(checkHistory(s.records, { nodes: [], unreadable: [] }).verdict, 'unknown');
  // ...but a proven anomaly still makes it invalid.
  const lost: FinalState = {
    nodes: [{ nodeId: 1, coverage: 'all', bookings: [] }],
    unreadable: [{ nodeId: 3, error: 'x' }],
  };
  t.is(checkHistory(s.records, lost).verdict, 'invalid');
});

test('a malformed history (completion without invoke, double completion) is unknown, not valid', (t) => {
  const wallTime = new Date(T0).toISOString();
  const base = { process: 1, endpoint: 'nginx', wallTime };
  const records: HistoryRecord[] = [
    { ...base, type: 'info', opId: 7, time: 1, method: 'bookings.get', error: { message: 'x' } },
    { ...base, type: 'invoke', opId: 8, time: 2, method: 'bookings.get', params: { code: 'X' } },
    { ...base, type: 'fail', opId: 8, time: 3, method: 'bookings.get', error: { code: 1005, message: 'nf' } },
    { ...base, type: 'fail', opId: 8, time: 4, method: 'bookings.get', error: { code: 1005, message: 'nf' } },
  ];
  const v = checkHistory(records, { nodes: [{ nodeId: 1, coverage: 'all', bookings: [] }], unreadable: [] });
  t.is(v.verdict, 'unknown');
  t.is(v.unknown.length, 2);
});

test('a retry answered with the booking, already cancelled, does not hold its seats', (t) => {
  const s = new Script();
  const x = booking(['D4']);
  const params = { showId: x.showId, seatIds: x.seatIds, customer: x.customer, idempotencyKey: 'k-9' };
  s.ok<'bookings.book'>(s.invoke(1, 'bookings.book', params), x);
  const cancelled = s.cancel(1, x);
  s.ok<'bookings.book'>(s.invoke(1, 'bookings.book', params), cancelled);
  const y = s.book(2, booking(['D4']));
  const final = replicated([1, 2], [stored(cancelled, { idempotencyKey: 'k-9' }), y], { seats: ['D4'] });
  t.is(checkHistory(s.records, final).verdict, 'valid');
  // Cancelled by someone outside the history: the answer proves the cancel, so it is no phantom.
  const s2 = new Script();
  const z = booking(['D5']);
  const p2 = { showId: z.showId, seatIds: z.seatIds, customer: z.customer, idempotencyKey: 'k-10' };
  s2.ok<'bookings.book'>(s2.invoke(1, 'bookings.book', p2), z);
  s2.ok<'bookings.book'>(s2.invoke(1, 'bookings.book', p2), { ...z, status: 'cancelled' });
  const v = checkHistory(
    s2.records,
    replicated([1], [stored({ ...z, status: 'cancelled' }, { idempotencyKey: 'k-10' })]),
  );
  t.is(v.verdict, 'valid', JSON.stringify(v.anomalies));
  // ...and a node still showing it confirmed lost that cancel.
  const v2 = checkHistory(s2.records, replicated([1], [stored(z, { idempotencyKey: 'k-10' })]));
  t.deepEqual(kinds(v2), ['lost-cancel']);
});
