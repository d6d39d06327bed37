/**
 * Thousands of seeded random fault schedules against the real consensus core. Safety invariants are
 * checked after every step; liveness is a property too: once the last fault healed, every seed must
 * converge within `convergenceBound` ticks. A failing seed replays exactly, with a trace of faults,
 * role changes and core events:
 *
 *   cd node && SEED=123 npx ava test/cluster/simulation.test.ts
 *
 * SEEDS=n runs n seeds (default 4000, about 25 s of CPU), SEED_BASE=k starts at seed k (default 1).
 */
import test from 'ava';
import { runSeed } from './sim/simulation.js';

const single = process.env.SEED;
const count = Number(process.env.SEEDS ?? 4000);
const base = Number(process.env.SEED_BASE ?? 1);
const CHUNK = 250;

if (single !== undefined) {
  test(`seed ${single}`, (t) => {
    const r = runSeed(Number(single), { trace: true });
    t.log(r.trace.join('\n'));
    t.log(
      `committed ${r.committed}, acknowledged ${r.acked}, max epoch ${r.maxEpoch}, snapshots ${r.snapshotInstalls}`,
    );
    t.log(`converged ${r.convergedAfter ?? 'never'} ticks after the last fault (bound ${r.bound})`);
    t.true(r.ok, r.error);
  });
} else {
  for (let from = base; from < base + count; from += CHUNK) {
    const to = Math.min(base + count, from + CHUNK) - 1;
    test(`seeds ${from}..${to}: every invariant holds under random faults, then the cluster converges`, (t) => {
      let committed = 0;
      let acked = 0;
      let slowest = 0;
      let installs = 0;
      for (let seed = from; seed <= to; seed++) {
        const r = runSeed(seed);
        if (!r.ok) {
          t.fail(
            `seed ${seed} failed at step ${r.step}: ${r.error}\nreplay: cd node && SEED=${seed} npx ava test/cluster/simulation.test.ts`,
          );
          return;
        }
        committed += r.committed;
        acked += r.acked;
        slowest = Math.max(slowest, r.convergedAfter ?? 0);
        installs += r.snapshotInstalls;
      }
      t.log(`slowest convergence: ${slowest} ticks after the last fault`);
      // A run that commits nothing proves nothing: the schedules must leave room for progress.
      t.true(committed > (to - from + 1) * 10, `only ${committed} entries committed`);
      t.true(acked > (to - from + 1) * 5, `only ${acked} commands acknowledged`);
      // Compaction at random points must leave far-behind nodes to catch up by snapshot.
      t.true(installs > (to - from + 1) / 2, `only ${installs} snapshots installed`);
    });
  }

  test('the checker catches a master that commits without a majority', (t) => {
    const failed = [1, 2, 3, 4, 5, 6, 7, 8].filter(
      (seed) => !runSeed(seed, { unsafe: { commitWithoutQuorum: true } }).ok,
    );
    t.true(failed.length > 0);
  });

  test('the checker catches a new master that skips adopting the most up-to-date log', (t) => {
    let caught = 0;
    for (let seed = 1; seed <= 60 && caught === 0; seed++) {
      if (!runSeed(seed, { unsafe: { skipLogAdoption: true } }).ok) caught++;
    }
    t.is(caught, 1);
  });

  test('the checker catches a snapshot install that drops acknowledged entries after the point', (t) => {
    let caught = 0;
    // Compacting after every other entry makes slaves install snapshots all the time.
    const compaction = { every: 2, keep: 0, timeoutTicks: 30 };
    for (let seed = 1; seed <= 300 && caught === 0; seed++) {
      const r = runSeed(seed, { compaction, lagApply: false, unsafe: { resetLogOnSnapshot: true } });
      if (!r.ok) {
        t.regex(r.error ?? '', /durable on \d nodes only|committed entry changed|is lost/);
        caught++;
      }
    }
    t.is(caught, 1);
  });

  test('the checker catches a master that serves before it applied what earlier masters committed', (t) => {
    let caught = 0;
    for (let seed = 1; seed <= 100 && caught === 0; seed++) {
      const r = runSeed(seed, { lagApply: true, unsafe: { serveBeforeApplied: true } });
      if (!r.ok) {
        t.regex(r.error ?? '', /serves in epoch \d+ without having applied/);
        caught++;
      }
    }
    t.is(caught, 1);
  });

  test('the liveness check fails a cluster that cannot converge (one node never reconnects)', (t) => {
    for (const seed of [1, 2, 3]) {
      const r = runSeed(seed, { nodes: 3, neverHeal: 3 });
      t.false(r.ok);
      t.regex(r.error ?? '', /^liveness: not converged/);
    }
  });

  test('a run is a pure function of its seed', (t) => {
    const a = runSeed(42, { trace: true });
    const b = runSeed(42, { trace: true });
    t.deepEqual(a, b);
  });
}
