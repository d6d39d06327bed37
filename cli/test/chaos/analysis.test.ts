import test from 'ava';
import { bookingLatency, failoverStats, failovers, writeSeries } from '../../src/services/chaos/analysis.js';
import { booking, Script } from '../checker/helpers.js';

function scenario() {
  const s = new Script();
  const params = (b: ReturnType<typeof booking>) => ({
    showId: b.showId,
    seatIds: b.seatIds,
    customer: b.customer,
  });
  const b1 = booking(['A1']);
  s.at(900);
  const early = s.invoke(1, 'bookings.book', params(b1));
  s.at(1000);
  s.recorder.fault('kill', 3, 'SIGKILL', true);
  s.at(1100);
  s.ok<'bookings.book'>(early, b1); // sent before the kill: does not end the failover
  s.at(1010);
  const lost = s.invoke(2, 'bookings.book', params(booking(['A2'])));
  s.at(1200);
  const b3 = booking(['A3']);
  const after = s.invoke(3, 'bookings.book', params(b3));
  s.at(1449);
  s.ok<'bookings.book'>(after, b3);
  s.info(lost, 'socket closed');
  s.at(2000);
  s.recorder.fault('kill', 1, 'SIGKILL', false); // not the master: no failover
  s.at(3000);
  s.recorder.fault('pause', 2, 'SIGSTOP', true);
  return s.records;
}

test('failover: from the fault on the master to the first acknowledged booking sent after it', (t) => {
  const list = failovers(scenario());
  t.deepEqual(list, [
    { at: 1000, kind: 'kill', node: 3, ms: 450 },
    { at: 3000, kind: 'pause', node: 2, ms: null },
  ]);
  t.deepEqual(failoverStats(list), { count: 2, unfinished: 1, median: 450, max: 450 });
  t.deepEqual(
    failoverStats([
      { at: 0, kind: 'kill', node: 1, ms: 300 },
      { at: 0, kind: 'kill', node: 1, ms: 100 },
      { at: 0, kind: 'kill', node: 1, ms: 900 },
      { at: 0, kind: 'kill', node: 1, ms: 200 },
    ]),
    { count: 4, unfinished: 0, median: 250, max: 900 },
  );
  t.true(Number.isNaN(failoverStats([]).median));
});

test('write series and booking latency come from completed operations only', (t) => {
  const records = scenario();
  const points = writeSeries(records, 1000).points();
  t.deepEqual(
    points.map((p) => [p.t, p.okPerSec, p.errorsPerSec]),
    [
      [0, 0, 0],
      [1000, 2, 1],
    ],
  );
  const h = bookingLatency(records);
  t.is(h.count, 2);
  t.is(h.summary().max, 249);
  t.is(h.summary().min, 200);
});
