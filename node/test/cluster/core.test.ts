/**
 * Hand-placed failure scenarios for the consensus core (the integration bullets, in
 * miniature), on a perfect in-memory network. The Checker runs after every tick here too.
 */
import test from 'ava';
import { ClusterCore } from '../../src/cluster/core.js';
import { FAILURE_TIMEOUT, HEARTBEAT, Scenario } from './sim/scenario.js';

function elected(s: Scenario, id: number): boolean {
  const m = s.master();
  return m?.id === id && m.core.serving && s.nodes.every((n) => n.state !== 'up' || n.core.masterId === id);
}

test('three nodes elect node 3, and every node knows it', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const epochs = new Set(s.nodes.map((n) => n.core.epoch));
  t.is(epochs.size, 1);
  t.deepEqual(
    s.nodes.map((n) => n.core.role),
    ['slave', 'slave', 'master'],
  );
});

test('the master crashes: node 2 takes over with every acknowledged command; node 3 returns, catches up and takes over', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  for (let k = 0; k < 5; k++) t.true(s.propose(3, `a${k}`));
  s.run(3);
  t.true([0, 1, 2, 3, 4].every((k) => s.outcomes.get(`a${k}`) === 'acked'));
  s.node(3).crash();
  t.true(s.runUntil(() => elected(s, 2)));
  t.true(s.propose(2, 'b0'));
  s.run(3);
  t.is(s.outcomes.get('b0'), 'acked');

  s.node(3).restart();
  t.true(s.runUntil(() => elected(s, 3)));
  const ids = s
    .committedLog()
    .flatMap((e) => (e.kind === 'command' ? [e.payload.id] : []))
    .join(',');
  t.is(ids, 'a0,a1,a2,a3,a4,b0');
  const events = s.node(3).events.map((e) => e.type);
  t.true(events.includes('election-started'));
  t.true(events.includes('became-master'));
  t.true(s.runUntil(() => s.nodes.every((n) => n.core.appliedIndex === s.master()!.core.lastIndex)));
});

test('a paused master is fenced when it wakes: what it accepted alone is never acknowledged', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const oldEpoch = s.node(3).core.epoch;
  s.node(3).state = 'paused';
  t.true(s.runUntil(() => elected(s, 2)));
  t.true(s.node(2).core.epoch > oldEpoch);
  t.true(s.propose(2, 'new-master'));
  // Wakes up believing it is still master and takes a write before it hears anything.
  s.node(3).state = 'up';
  t.is(s.node(3).core.role, 'master');
  t.true(s.propose(3, 'stale-master'));
  s.run(FAILURE_TIMEOUT);
  t.not(s.outcomes.get('stale-master'), 'acked');
  t.is(s.outcomes.get('new-master'), 'acked');
  t.true(s.node(3).events.some((e) => e.type === 'stepped-down'));
  // ...and then, being the highest id and caught up, it takes over again, in a newer epoch.
  t.true(s.runUntil(() => elected(s, 3)));
  t.true(s.node(3).core.epoch > s.node(2).events.find((e) => e.type === 'became-master')!.epoch);
  t.false(s.committedLog().some((e) => e.kind === 'command' && e.payload.id === 'stale-master'));
});

test('with two of three nodes down there is no master and no write; one back and writes resume', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(3).crash();
  s.node(2).crash();
  s.run(3 * FAILURE_TIMEOUT);
  t.not(s.node(1).core.role, 'master');
  t.false(s.propose(1, 'x'));
  s.node(2).restart();
  t.true(s.runUntil(() => elected(s, 2)));
  t.true(s.propose(2, 'y'));
  s.run(3);
  t.is(s.outcomes.get('y'), 'acked');
});

test('a master cut off from the majority steps down within the failure timeout', (t) => {
  const s = new Scenario(5);
  t.true(s.runUntil(() => elected(s, 5)));
  s.net.partition([
    [5, 1],
    [2, 3, 4],
  ]);
  t.true(s.runUntil(() => s.node(5).core.role !== 'master', 2 * FAILURE_TIMEOUT));
  t.true(s.runUntil(() => s.node(4).core.serving));
  s.net.heal();
  t.true(s.runUntil(() => elected(s, 5)));
});

test('the core ignores malformed messages, unknown senders and mail for others', (t) => {
  const core = new ClusterCore(
    { id: 1, peerIds: [2, 3], heartbeatTicks: 2, failureTimeoutTicks: 10, electionTimeoutTicks: 4 },
    { epoch: 0, log: [], lamport: 0 },
  );
  const ok = { from: 2, to: 1, epoch: 1, lamport: 5, type: 'coordinator' };
  const start = core.lamport;
  for (const bad of [
    null,
    42,
    [],
    {},
    { ...ok, type: 'nope' },
    { ...ok, from: 9 },
    { ...ok, to: 3 },
    { ...ok, from: 1 },
    { ...ok, epoch: -1 },
    {
      ...ok,
      type: 'append',
      prevIndex: 0,
      prevEpoch: 0,
      commitIndex: 0,
      entries: [{ index: 2, epoch: 1, lamport: 1, kind: 'barrier' }],
    },
  ]) {
    t.false(core.step(bad), JSON.stringify(bad));
  }
  t.is(core.lamport, start, 'nothing was received');
  t.true(core.step(ok));
  t.is(core.promisedEpoch, 1);
  t.true(core.lamport > 5);
});

test('a restarted node keeps its promise and its Lamport time', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  t.true(s.propose(3, 'a'));
  s.run(3);
  const before = s.node(1).core;
  s.node(1).crash();
  s.node(1).restart();
  const after = s.node(1).core;
  t.is(after.promisedEpoch, before.promisedEpoch);
  t.true(after.lamport >= before.entry(after.lastIndex)!.lamport);
  t.is(after.appliedIndex, s.node(1).disk.applied.length);
});

test('an admin step-down hands mastership to the next node, and bully order returns after the quiet time', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  t.false(s.node(2).core.stepDown(100));
  t.true(s.node(3).core.stepDown(5 * FAILURE_TIMEOUT));
  t.true(s.runUntil(() => elected(s, 2)));
  t.true(s.runUntil(() => elected(s, 3), 20 * FAILURE_TIMEOUT));
});

// A stalled node (SIGSTOP, a starved event loop) wakes, reads what waited in its socket buffer, then
// runs the ticks it owes. Those ticks must leave it time to hear its live peers before it suspects
// them: the chaos run's pauses otherwise turned into extra elections and view changes.
test('a slave that wakes from a long pause hears its live master before suspecting it', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const epoch = s.node(3).core.epoch;
  const before = s.node(1).events.length;
  s.stall(1, 5 * FAILURE_TIMEOUT);
  s.run(3 * FAILURE_TIMEOUT);
  const woke = s
    .node(1)
    .events.slice(before)
    .map((e) => e.type);
  t.false(woke.includes('election-started'), woke.join(','));
  t.true(elected(s, 3));
  t.is(s.node(3).core.epoch, epoch);
  t.true(s.propose(3, 'after-wake'));
  s.run(4);
  t.is(s.outcomes.get('after-wake'), 'acked');
});

test('a master stalled for less than the failure timeout keeps its role and takes writes when it wakes', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const epoch = s.node(3).core.epoch;
  const before = s.node(3).events.length;
  s.stall(3, FAILURE_TIMEOUT - 2);
  s.run(3 * FAILURE_TIMEOUT);
  const woke = s
    .node(3)
    .events.slice(before)
    .map((e) => e.type);
  t.false(woke.includes('stepped-down'), woke.join(','));
  t.true(elected(s, 3));
  t.is(s.node(3).core.epoch, epoch);
  t.true(s.propose(3, 'after-stall'));
  s.run(4);
  t.is(s.outcomes.get('after-stall'), 'acked');
});

// While the driver waits for a Ready's write (a stalled database), `early()` hands out what may
// go out before it: a master's appends, and a slave's `alive`, once per heartbeat. Nothing that
// promises durability (acknowledgements, votes) leaves early.
test('early(): a master hands out its heartbeats, a slave one alive per heartbeat, never an ack', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const master = s.node(3).core;
  const slave = s.node(1).core;
  for (let k = 0; k < HEARTBEAT; k++) master.tick();
  const sent = master.early();
  t.deepEqual(sent.map((m) => [m.type, m.to]).sort(), [
    ['append', 1],
    ['append', 2],
  ]);
  t.deepEqual(master.early(), [], 'each message goes out once');

  // The slave takes the heartbeat: its acknowledgement waits for the next Ready, `alive` does not.
  t.true(slave.step(JSON.parse(JSON.stringify(sent.find((m) => m.to === 1)))));
  const alive = slave.early();
  t.deepEqual(
    alive.map((m) => [m.type, m.to, m.epoch]),
    [['alive', 3, master.epoch]],
  );
  t.deepEqual(slave.early(), [], 'at most one alive per heartbeat');
  t.true(
    slave.ready().messages.some((m) => m.type === 'append-ok'),
    'the ack is in the Ready, not early',
  );
  for (let k = 0; k < HEARTBEAT; k++) slave.tick();
  t.is(slave.early().length, 1);
  t.true(master.step(JSON.parse(JSON.stringify(alive[0]))));
  t.is(master.role, 'master');
});
