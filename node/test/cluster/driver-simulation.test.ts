/**
 * Seeded random fault schedules against the PRODUCTION driver (log/replicated-log.ts over the real
 * core) with in-memory storage, virtual time and a simulated network. Safety is checked after every
 * task, liveness and durability once the faults heal. A failing seed replays exactly, with a trace:
 *
 *   cd node && DRIVER_SEED=123 npx ava test/cluster/driver-simulation.test.ts
 *
 * DRIVER_SEEDS=n runs n seeds (default 500, about 30 s), DRIVER_SEED_BASE=k starts at seed k.
 */
import test from 'ava';
import { runDriverSeed } from './sim/driver-sim.js';

const single = process.env.DRIVER_SEED;
const count = Number(process.env.DRIVER_SEEDS ?? 500);
const base = Number(process.env.DRIVER_SEED_BASE ?? 1);
const CHUNK = 50;

if (single !== undefined) {
  test(`driver seed ${single}`, async (t) => {
    const r = await runDriverSeed(Number(single), { trace: true });
    t.log(r.trace.join('\n'));
    t.log(
      `committed ${r.committed}, acknowledged ${r.acked}, faults ${r.faults}, max epoch ${r.maxEpoch}, snapshot installs ${r.snapshotInstalls}`,
    );
    t.log(`converged ${r.convergedAfterMs ?? 'never'} virtual ms after the last fault`);
    t.true(r.ok, `${r.error} (at t=${r.at})`);
  });
} else {
  for (let from = base; from < base + count; from += CHUNK) {
    const to = Math.min(base + count, from + CHUNK) - 1;
    test.serial(
      `driver seeds ${from}..${to}: safe under faults, converges, keeps every acknowledged write`,
      async (t) => {
        let committed = 0;
        let acked = 0;
        let installs = 0;
        let faults = 0;
        let slowest = 0;
        for (let seed = from; seed <= to; seed++) {
          const r = await runDriverSeed(seed);
          if (!r.ok) {
            t.fail(
              `seed ${seed} failed at t=${r.at}: ${r.error}\nreplay: cd node && DRIVER_SEED=${seed} npx ava test/cluster/driver-simulation.test.ts`,
            );
            return;
          }
          committed += r.committed;
          acked += r.acked;
          installs += r.snapshotInstalls;
          faults += r.faults;
          slowest = Math.max(slowest, r.convergedAfterMs ?? 0);
        }
        const seeds = to - from + 1;
        t.log(
          `${committed} committed, ${acked} acknowledged, ${installs} snapshot installs, ${faults} faults; slowest convergence ${slowest} ms`,
        );
        // A schedule that commits nothing or never installs a snapshot proves nothing.
        t.true(committed > seeds * 50, `only ${committed} entries committed`);
        t.true(acked > seeds * 20, `only ${acked} writes acknowledged`);
        t.true(faults > seeds * 5, `only ${faults} faults injected`);
        t.true(installs > seeds / 4, `only ${installs} snapshots installed`);
      },
    );
  }

  // Seeds that once failed, kept whatever the range: each names the bug it found. Seed 512 found the
  // first bug; since the driver sends heartbeats and signs of life while a write runs (`core.early`,
  // issue 10) it makes another schedule, and seed 8885 is the one that fails with that fix reverted
  // now (searched over seeds 1-9000). Seed 2973 no longer reaches its snapshot path either; its bug
  // is pinned by its own core test (compaction.test.ts, "counts no entry of the old log as durable
  // once master"), and the seed stays as a plain one.
  const regressions: [number, string, boolean][] = [
    [8885, "a snapshot transfer that outlived its epoch left the next epoch's request unserved", true],
    [2973, 'a log replaced by a snapshot still counted as durable: a commit on one disk of three', false],
  ];
  for (const [seed, bug, installs] of regressions) {
    test.serial(`driver seed ${seed} (${bug})`, async (t) => {
      const r = await runDriverSeed(seed);
      t.true(r.ok, r.error);
      t.true(r.committed > 0);
      if (installs) t.true(r.snapshotInstalls > 0, 'the seed still reaches a snapshot install');
    });
  }

  // One MariaDB server under all three nodes (one machine): when it stalls, every node's write waits
  // at once. The master's heartbeats and the slaves' signs of life must still go out, so that a
  // stall of the database is not taken for a dead master or a lost majority (issue 10).
  test.serial(
    'all disks stalling at once for four failure timeouts, under load, start no election',
    async (t) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const r = await runDriverSeed(seed, {
          nodes: 3,
          faults: false,
          faultMs: 5_000,
          stall: { atMs: 1_500, forMs: 2_000 },
        });
        t.true(r.ok, `seed ${seed}: ${r.error}`);
        t.is(r.electionsSinceStall, 0, `seed ${seed}: elections during or after the stall`);
        t.true(r.acked > 0, `seed ${seed}: nothing acknowledged`);
      }
    },
  );

  test.serial('a master whose database stays stalled past the vouching limit is replaced', async (t) => {
    for (const seed of [1, 2, 3]) {
      const r = await runDriverSeed(seed, {
        nodes: 3,
        faults: false,
        faultMs: 12_000,
        // Node 3 (the highest id) is the master from the start.
        stall: { atMs: 1_500, forMs: 8_000, nodes: [3] },
      });
      t.true(r.ok, `seed ${seed}: ${r.error}`);
      t.true(
        r.mastersSinceStall.some((id) => id !== 3),
        `seed ${seed}: another node took over (masters since the stall: ${r.mastersSinceStall.join(', ')})`,
      );
    }
  });

  test.serial('the checker catches a disk that reports a write durable before it is', async (t) => {
    let caught = 0;
    for (let seed = 1; seed <= 40 && caught === 0; seed++) {
      const r = await runDriverSeed(seed, { unsafe: { lyingDisk: true } });
      if (!r.ok) {
        t.log(`seed ${seed}: ${r.error}`);
        t.regex(r.error ?? '', /durable on \d+ disks|is lost|committed .* changed|refused a write|applied/);
        caught++;
      }
    }
    t.is(caught, 1);
  });

  test.serial('a driver run is a pure function of its seed', async (t) => {
    const a = await runDriverSeed(7, { trace: true });
    const b = await runDriverSeed(7, { trace: true });
    t.true(a.trace.length > 20 && a.committed > 100, 'the seed does something');
    t.deepEqual(a, b);
  });
}
