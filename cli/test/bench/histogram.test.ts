import test from 'ava';
import fc from 'fast-check';
import { exactQuantile, Histogram } from '../../src/services/bench/histogram.js';
import { TimeSeries } from '../../src/services/bench/series.js';

const seed = Number(process.env['FC_SEED'] ?? 4242);

test('percentiles of a known distribution: 1..1000 ms', (t) => {
  const h = new Histogram(0.01);
  for (let v = 1; v <= 1000; v++) h.record(v);
  const s = h.summary();
  t.is(s.count, 1000);
  t.is(s.min, 1);
  t.is(s.max, 1000);
  t.is(s.mean, 500.5);
  for (const [got, want] of [
    [s.p50, 500],
    [s.p95, 950],
    [s.p99, 990],
    [s.p999, 999],
  ] as const)
    t.true(Math.abs(got - want) / want <= 0.01, `${got} vs ${want}`);
});

test('every quantile is within the precision of the exact nearest-rank value', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 400 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        (values, q) => {
          const h = new Histogram(0.01);
          for (const v of values) h.record(v);
          const exact = exactQuantile(
            [...values].sort((a, b) => a - b),
            q,
          );
          const got = h.quantile(q);
          if (Math.abs(got - exact) > 0.01 * exact + 1e-9) throw new Error(`q=${q}: ${got} vs ${exact}`);
        },
      ),
      { seed, numRuns: 300 },
    ),
  );
});

test('merging per-client histograms equals recording everything in one', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0.05, max: 5000, noNaN: true }), { maxLength: 50 }), {
          maxLength: 8,
        }),
        (clients) => {
          const merged = new Histogram();
          const one = new Histogram();
          for (const values of clients) {
            const h = new Histogram();
            for (const v of values) {
              h.record(v);
              one.record(v);
            }
            merged.merge(h);
          }
          const a = merged.summary();
          const b = one.summary();
          if (a.count !== b.count) throw new Error('count');
          for (const k of ['min', 'max', 'p50', 'p95', 'p99', 'p999'] as const)
            if (!Object.is(a[k], b[k])) throw new Error(`${k}: ${a[k]} vs ${b[k]}`);
          if (Math.abs(a.mean - b.mean) > 1e-9 * Math.max(1, Math.abs(b.mean)) && !Number.isNaN(b.mean))
            throw new Error('mean');
        },
      ),
      { seed, numRuns: 200 },
    ),
  );
});

test('an empty histogram reports NaN, bad input is refused', (t) => {
  const h = new Histogram();
  t.true(Number.isNaN(h.summary().p99));
  t.throws(() => h.record(-1), { instanceOf: RangeError });
  t.throws(() => h.record(Number.NaN), { instanceOf: RangeError });
  t.throws(() => h.quantile(0), { instanceOf: RangeError });
  t.throws(() => new Histogram(0));
  t.throws(() => h.merge(new Histogram(0.05)), { message: /precision/ });
});

test('time series: per-second throughput with empty seconds as zero, latency per bucket', (t) => {
  const s = new TimeSeries(1000);
  for (let i = 0; i < 10; i++) s.add(100 + i, 5, true);
  s.add(150, 50, false);
  for (let i = 0; i < 4; i++) s.add(2500, 20, true);
  const p = s.points(4000);
  t.deepEqual(
    p.map((x) => [x.t, x.okPerSec, x.errorsPerSec]),
    [
      [0, 10, 1],
      [1000, 0, 0],
      [2000, 4, 0],
      [3000, 0, 0],
    ],
  );
  t.true(Math.abs(p[0]!.p50 - 5) <= 0.05);
  t.true(Math.abs(p[2]!.p99 - 20) <= 0.2);
  t.true(Number.isNaN(p[1]!.p50));
  const half = new TimeSeries(500);
  half.add(10, 1, true);
  t.is(half.points()[0]!.okPerSec, 2, 'scaled to per second');
});
