/**
 * Seeded simulations of the booking layer over the real consensus core (see sim/booking-sim.ts).
 * A failing seed replays exactly, with a trace:
 *
 *   cd node && BOOKING_SEED=123 npx ava test/booking/simulation.test.ts
 *
 * BOOKING_SEEDS=n runs n seeds (default 600).
 */
import test from 'ava';
import { runBookingSeed } from './sim/booking-sim.js';

const single = process.env.BOOKING_SEED;
const count = Number(process.env.BOOKING_SEEDS ?? 600);
const CHUNK = 150;

if (single !== undefined) {
  test(`booking seed ${single}`, (t) => {
    const r = runBookingSeed(Number(single), { trace: true });
    t.log(r.trace.join('\n'));
    t.true(r.ok, r.error);
  });
} else {
  for (let from = 1; from <= count; from += CHUNK) {
    const to = Math.min(count, from + CHUNK - 1);
    test(`booking seeds ${from}..${to}: retries across failovers book once, apply never rejects, every key booked once`, (t) => {
      let retries = 0;
      for (let seed = from; seed <= to; seed++) {
        const r = runBookingSeed(seed);
        if (!r.ok) {
          t.fail(
            `seed ${seed} failed at step ${r.step}: ${r.error}\nreplay: cd node && BOOKING_SEED=${seed} npx ava test/booking/simulation.test.ts`,
          );
          return;
        }
        retries += r.retries;
      }
      // The schedules must actually produce the race: retries after unanswered attempts.
      t.true(retries > to - from + 1, `only ${retries} retries`);
    });
  }

  test('the simulation finds the old bug: deciding against the applied state books a retried key twice', (t) => {
    const failures: string[] = [];
    for (let seed = 1; seed <= 400 && failures.length === 0; seed++) {
      const r = runBookingSeed(seed, { decideAgainstAppliedOnly: true });
      if (!r.ok) failures.push(r.error ?? '');
    }
    t.is(failures.length, 1);
    t.regex(failures[0]!, /booked twice|sold twice|two bookings|rejected/);
  });
}
