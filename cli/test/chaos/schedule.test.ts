import { createHash } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import {
  buildSchedule,
  describeStep,
  faultCount,
  healOf,
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
  faults: fc.subarray(['kill', 'pause', 'revive', 'partition'] as const, { minLength: 1 }),
  masterBias: fc.double({ min: 0, max: 1, noNaN: true }),
});

test('invariants: time-ordered, never more than a minority down, every heal undoes an earlier fault of its kind', (t) => {
  t.notThrows(() =>
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
            if (!('target' in fault) || healOf[fault.action] !== step.action)
              throw new Error('heal of the wrong kind');
            if (step.action === 'revive' && !o.faults.includes('revive'))
              throw new Error('revive not enabled');
            healed.add(step.of);
            down -= 1;
          }
          if (down > maxDown) throw new Error(`${down} down at ${step.at}`);
        });
        // Every pause is resumed, every cut healed; every kill is revived when revive is enabled.
        steps.forEach((step, i) => {
          if (step.action === 'pause' && !healed.has(i)) throw new Error('pause never resumed');
          if (step.action === 'partition' && !healed.has(i)) throw new Error('partition never healed');
          if (step.action === 'kill' && o.faults.includes('revive') && !healed.has(i))
            throw new Error('kill never revived');
        });
      }),
      { seed, numRuns: 300 },
    ),
  );
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
  t.deepEqual(parseFaults('kill,pause,revive,partition'), ['kill', 'pause', 'revive', 'partition']);
  t.throws(() => parseFaults('kill,cut'), { message: /unknown fault cut/ });
  t.throws(() => parseFaults(' , '), { message: /at least one/ });
  t.is(describeStep({ at: 1234, action: 'kill', target: { role: 'master' } }), '1.23s kill master');
  t.is(describeStep({ at: 2000, action: 'revive', of: 0 }), '2.00s revive (undo step 0)');
});

test('plans without partition are exactly what they were before partition existed (recorded seeds replay)', (t) => {
  // Hashes of plans made by the schedule before the partition fault was added.
  const hash = (o: ScheduleOptions) =>
    createHash('sha256')
      .update(JSON.stringify(buildSchedule(o)))
      .digest('hex')
      .slice(0, 16);
  t.is(hash({ ...base, seed: 20301 }), 'da766aea0245f8ed', 'the CI run');
  t.is(hash({ ...base, seed: 42, durationMs: 600_000 }), '7e6c601455aecae8', 'the long run of the docs');
});

test('partition: cuts the master most often, each healed by a heal step about half an interval later', (t) => {
  const o: ScheduleOptions = { ...base, seed: 5, faults: ['kill', 'pause', 'revive', 'partition'] };
  t.deepEqual(buildSchedule(o), buildSchedule({ ...o }), 'same seed, same plan');
  let cuts = 0;
  let onMaster = 0;
  for (let s = 0; s < 40; s++) {
    const { steps } = buildSchedule({ ...o, seed: s });
    steps.forEach((step, i) => {
      if (step.action !== 'partition') return;
      cuts += 1;
      if (step.target.role === 'master') onMaster += 1;
      const heal = steps.find((h) => !('target' in h) && h.of === i);
      if (heal?.action !== 'heal') throw new Error(`partition ${i} of seed ${s} not healed`);
      t.true(heal.at > step.at && heal.at - step.at <= o.intervalMs * 0.75 + 1);
    });
  }
  // Four kinds drawn from: kill, pause, partition each about a third of the faults.
  t.true(cuts > 150 && cuts < 350, `${cuts} cuts`);
  t.true(onMaster / cuts > 0.6 && onMaster / cuts < 0.8, `${onMaster}/${cuts} on the master`);
  const only = buildSchedule({ ...base, faults: ['partition'] });
  t.true(faultCount(only) >= 10);
  t.true(only.steps.every((s) => s.action === 'partition' || s.action === 'heal'));
  t.is(describeStep({ at: 500, action: 'partition', target: { role: 'master' } }), '0.50s partition master');
  t.is(describeStep({ at: 1500, action: 'heal', of: 0 }), '1.50s heal (undo step 0)');
});
