import test from 'ava';
import fc from 'fast-check';
import {
  buildSchedule,
  describeStep,
  faultCount,
  parseFaults,
  type ScheduleOptions,
} from '../../src/services/chaos/schedule.js';

const seed = Number(process.env['FC_SEED'] ?? 777);
const base: ScheduleOptions = {
  seed: 1,
  durationMs: 60_000,
  intervalMs: 2500,
  nodes: 3,
  faults: ['kill', 'pause', 'revive'],
};

test('the same seed gives the same schedule; another seed another one', (t) => {
  t.deepEqual(buildSchedule(base), buildSchedule({ ...base }));
  t.notDeepEqual(buildSchedule(base).steps, buildSchedule({ ...base, seed: 2 }).steps);
});

test('a one-minute run at the default pace has ten or more faults', (t) => {
  for (let s = 1; s <= 50; s++) t.true(faultCount(buildSchedule({ ...base, seed: s })) >= 10, `seed ${s}`);
});

const optionsArb = fc.record({
  seed: fc.integer(),
  durationMs: fc.integer({ min: 1000, max: 600_000 }),
  intervalMs: fc.integer({ min: 100, max: 20_000 }),
  nodes: fc.integer({ min: 1, max: 7 }),
  faults: fc.subarray(['kill', 'pause', 'revive'] as const, { minLength: 1 }),
  masterBias: fc.double({ min: 0, max: 1, noNaN: true }),
});

test('invariants: time-ordered, never more than a minority down, every heal undoes an earlier fault of its kind', (t) => {
  fc.assert(
    fc.property(optionsArb, (o) => {
      const { steps } = buildSchedule(o);
      const maxDown = Math.floor((o.nodes - 1) / 2);
      const quiet = Math.min(5000, o.durationMs / 6);
      let down = 0;
      const healed = new Set<number>();
      steps.forEach((step, i) => {
        if (i > 0 && step.at < steps[i - 1]!.at) throw new Error('not ordered');
        if (step.at < 0 || step.at > o.durationMs - quiet)
          throw new Error(`step outside the run: ${step.at}`);
        if ('target' in step) {
          if (!o.faults.includes(step.action)) throw new Error(`${step.action} not enabled`);
          down += 1;
        } else {
          const fault = steps[step.of];
          if (!fault || step.of >= i || healed.has(step.of)) throw new Error('bad heal');
          if (fault.action !== (step.action === 'resume' ? 'pause' : 'kill'))
            throw new Error('heal of the wrong kind');
          if (step.action === 'revive' && !o.faults.includes('revive')) throw new Error('revive not enabled');
          healed.add(step.of);
          down -= 1;
        }
        if (down > maxDown) throw new Error(`${down} down at ${step.at}`);
      });
      // Every pause is resumed; every kill is revived when revive is enabled.
      steps.forEach((step, i) => {
        if (step.action === 'pause' && !healed.has(i)) throw new Error('pause never resumed');
        if (step.action === 'kill' && o.faults.includes('revive') && !healed.has(i))
          throw new Error('kill never revived');
      });
    }),
    { seed, numRuns: 300 },
  );
  t.pass();
});

test('the master is the usual target, as biased', (t) => {
  let master = 0;
  let all = 0;
  for (let s = 0; s < 40; s++)
    for (const step of buildSchedule({ ...base, seed: s }).steps) {
      if (step.action !== 'kill' && step.action !== 'pause') continue;
      all += 1;
      if (step.target.role === 'master') master += 1;
    }
  t.true(master / all > 0.6 && master / all < 0.8, `${master}/${all}`);
  const none = buildSchedule({ ...base, masterBias: 0 }).steps;
  t.true(none.every((s) => !('target' in s) || s.target.role === 'other'));
});

test('without revive, killed nodes stay down and only a minority is ever killed', (t) => {
  const { steps } = buildSchedule({ ...base, nodes: 5, faults: ['kill'] });
  t.is(steps.length, 2);
  t.true(steps.every((s) => s.action === 'kill'));
  t.is(buildSchedule({ ...base, nodes: 1 }).steps.length, 0, 'one node: nothing may go down');
});

test('--faults parsing and step descriptions', (t) => {
  t.deepEqual(parseFaults('kill, pause,kill'), ['kill', 'pause']);
  t.throws(() => parseFaults('kill,partition'), { message: /unknown fault partition/ });
  t.throws(() => parseFaults(' , '), { message: /at least one/ });
  t.is(describeStep({ at: 1234, action: 'kill', target: { role: 'master' } }), '1.23s kill master');
  t.is(describeStep({ at: 2000, action: 'revive', of: 0 }), '2.00s revive (undo step 0)');
});
