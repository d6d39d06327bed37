/**
 * Log compaction and snapshot install in the pure core: the log starts after a snapshot point, a
 * master sends a snapshot to a slave that needs compacted entries, and the slave's log restarts
 * after it. Scenarios run with the Checker after every tick (committed entries durable on a
 * majority, counting snapshots; an installed snapshot equal to the committed prefix; the retained
 * log within its bound; storage equal to the retained log once the Readies are done).
 */
import test from 'ava';
import { ClusterCore, type Ready } from '../../src/cluster/core.js';
import type { Entry } from '../../src/cluster/entry.js';
import { FAILURE_TIMEOUT, Scenario } from './sim/scenario.js';

function elected(s: Scenario, id: number): boolean {
  const m = s.master();
  return m?.id === id && m.core.serving && s.nodes.every((n) => n.state !== 'up' || n.core.masterId === id);
}

function converged(s: Scenario): boolean {
  const m = s.master();
  if (!m?.core.serving) return false;
  const last = m.core.lastIndex;
  return s.nodes.every((n) => n.core.commitIndex === last && n.core.appliedIndex === last);
}

const POLICY = { every: 50, keep: 25, timeoutTicks: 3 * FAILURE_TIMEOUT };

test('a node that was down while the log moved on catches up by snapshot; the retained log stays bounded', (t) => {
  const s = new Scenario(3, 1, { maxAppendEntries: 16 }, POLICY);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(1).crash();
  let maxRetained = 0;
  for (let k = 0; k < 400; k++) {
    t.true(s.propose(3, `w${k}`));
    s.run(1);
    maxRetained = Math.max(maxRetained, s.node(3).core.retainedEntries);
  }
  s.run(5);
  t.true(maxRetained <= POLICY.every + 20, `the master retained ${maxRetained}`);
  t.true(s.node(3).core.firstIndex > 300, 'the master compacted');
  s.node(1).restart();
  t.true(s.runUntil(() => converged(s)));
  t.is(s.snapshots?.installs, 1);
  t.true(s.node(1).events.some((e) => e.type === 'snapshot-installed'));
  t.true(s.node(3).events.some((e) => e.type === 'snapshot-needed'));
  const applied = s.node(1).disk.applied.flatMap((e) => (e.kind === 'command' ? [e.payload.id] : []));
  t.deepEqual(
    applied,
    Array.from({ length: 400 }, (_, k) => `w${k}`),
  );
  t.true(s.nodes.every((n) => n.core.retainedEntries <= POLICY.every + 1));
  // ...and it carries the cluster afterwards: with node 2 down, node 1 is the majority's other half.
  s.node(2).crash();
  t.true(s.propose(3, 'after'));
  s.run(6);
  t.is(s.outcomes.get('after'), 'acked');
});

test('a snapshot lost in transit is reported failed and sent again', (t) => {
  const s = new Scenario(3, 2, { maxAppendEntries: 16 }, POLICY);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(1).crash();
  for (let k = 0; k < 200; k++) {
    s.propose(3, `w${k}`);
    s.run(1);
  }
  s.node(1).restart();
  // Cut node 1 off right when the first transfer would travel, then let it through.
  t.true(s.runUntil(() => s.node(3).events.some((e) => e.type === 'snapshot-needed')));
  s.net.partition([[1], [2, 3]]);
  s.run(POLICY.timeoutTicks + 5);
  t.is(s.snapshots?.installs, 0);
  s.net.heal();
  t.true(s.runUntil(() => converged(s) && elected(s, 3)));
  t.is(s.snapshots?.installs, 1);
});

test('the highest id returns far behind: it installs a snapshot, catches up and takes over', (t) => {
  const s = new Scenario(3, 3, { maxAppendEntries: 16 }, POLICY);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(3).crash();
  t.true(s.runUntil(() => elected(s, 2)));
  for (let k = 0; k < 300; k++) {
    s.propose(2, `w${k}`);
    s.run(1);
  }
  s.node(3).restart();
  t.true(s.runUntil(() => elected(s, 3) && converged(s)));
  t.true(s.node(3).events.some((e) => e.type === 'snapshot-installed'));
  t.is(s.node(3).disk.applied.filter((e) => e.kind === 'command').length, 300);
});

// ---- one core ------------------------------------------------------------------------------------

const CFG = { id: 1, peerIds: [2, 3], heartbeatTicks: 2, failureTimeoutTicks: 10, electionTimeoutTicks: 4 };
const cmd = (index: number, epoch: number): Entry<string> => ({
  index,
  epoch,
  lamport: 10 * index,
  kind: 'command',
  payload: `p${index}`,
});

function drain(c: ClusterCore<string>): Ready<string>[] {
  const out: Ready<string>[] = [];
  while (c.hasReady()) {
    const rd = c.ready();
    out.push(rd);
    c.advance(rd);
    const applied = rd.committed.at(-1);
    if (applied) c.appliedTo(applied.index);
  }
  return out;
}

test('compact drops applied entries only, and a Ready tells storage where the log now starts', (t) => {
  const log = [1, 2, 3, 4, 5].map((i) => cmd(i, 1));
  const c = new ClusterCore<string>(CFG, { epoch: 1, log, commitIndex: 5, appliedIndex: 3, lamport: 0 });
  t.false(c.compact(0));
  t.true(c.compact(5), 'clamped to the applied index');
  t.is(c.snapshotIndex, 3);
  t.is(c.firstIndex, 4);
  t.is(c.retainedEntries, 2);
  t.is(c.entry(3), undefined);
  t.deepEqual(
    c.entries().map((e) => e.index),
    [4, 5],
  );
  t.deepEqual(c.snapshotPoint(3), { index: 3, epoch: 1, lamport: 30 });
  t.is(c.snapshotPoint(2), undefined, 'compacted away');
  const rds = drain(c);
  t.deepEqual(rds.find((rd) => rd.persist.base)?.persist.base, { index: 3, epoch: 1, lamport: 30 });
});

test('a core restarts from a compacted log; an applied index below its start is refused', (t) => {
  const log = [4, 5].map((i) => cmd(i, 2));
  const snapshot = { index: 3, epoch: 1, lamport: 30 };
  const c = new ClusterCore<string>(CFG, {
    epoch: 2,
    log,
    snapshot,
    commitIndex: 4,
    appliedIndex: 3,
    lamport: 0,
  });
  t.is(c.firstIndex, 4);
  t.is(c.lastIndex, 5);
  t.is(c.commitIndex, 4);
  t.true(c.lamport > 50);
  t.deepEqual(
    drain(c).flatMap((rd) => rd.committed.map((e) => e.index)),
    [4],
    'applies from its applied index on',
  );
  t.throws(() => new ClusterCore<string>(CFG, { epoch: 2, log, snapshot, appliedIndex: 2, lamport: 0 }), {
    message: /below the log's start/,
  });
});

test('a slave installs a snapshot: empty log after it, commit and applied at it, done told to the master', (t) => {
  const log = [cmd(1, 1), cmd(2, 1), cmd(3, 1)];
  const c = new ClusterCore<string>(CFG, { epoch: 1, log, commitIndex: 1, appliedIndex: 1, lamport: 0 });
  drain(c);
  t.throws(() => c.installSnapshot({ index: 1, epoch: 1, lamport: 10 }, 3, 2), {
    message: /applied 1 already/,
  });
  c.installSnapshot({ index: 2, epoch: 2, lamport: 400 }, 3, 2);
  t.regex(
    c.snapshotRefusal({ index: 9, epoch: 1, lamport: 900 }, 1) ?? '',
    /epoch 1 is older than the promised 2/,
    'a master older than the promise may lack what the promise covers',
  );
  t.is(c.firstIndex, 3);
  t.is(c.lastIndex, 2, 'the uncommitted tail went with the old log');
  t.is(c.commitIndex, 2);
  t.is(c.appliedIndex, 2);
  t.is(c.promisedEpoch, 2, 'older masters are refused from now on');
  t.true(c.lamport > 400);
  const rds = drain(c);
  t.deepEqual(rds[0]?.persist.base, { index: 2, epoch: 2, lamport: 400 });
  t.is(rds[0]?.persist.truncateFrom, 3, 'the discarded tail goes from storage too');
  t.deepEqual(
    rds.flatMap((rd) => rd.committed),
    [],
  );
  const done = rds.flatMap((rd) => rd.messages).find((m) => m.type === 'append-ok');
  t.like(done, { to: 3, epoch: 2, matchIndex: 2 });
  // An append from before the snapshot point is matched against it, not refused.
  c.step({
    type: 'append',
    from: 3,
    to: 1,
    epoch: 2,
    lamport: 500,
    prevIndex: 0,
    prevEpoch: 0,
    entries: [cmd(1, 1), cmd(2, 2), cmd(3, 2)],
    commitIndex: 3,
  });
  const after = drain(c);
  t.like(
    after.flatMap((rd) => rd.messages).find((m) => m.type === 'append-ok'),
    { matchIndex: 3 },
  );
  t.deepEqual(
    after.flatMap((rd) => rd.committed.map((e) => e.index)),
    [3],
  );
});

test('the end of a snapshot transfer, either way, clears the wait; a peer still short is asked again', (t) => {
  const s = new Scenario(3, 4, { maxAppendEntries: 16 }, POLICY);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(1).crash();
  for (let k = 0; k < 200; k++) {
    s.propose(3, `w${k}`);
    s.run(1);
  }
  s.net.partition([[1], [2, 3]]);
  s.node(1).restart();
  s.net.heal();
  t.true(s.runUntil(() => s.node(3).events.some((e) => e.type === 'snapshot-needed')));
  // Hold the transfer back, then tell the core it ended well at an index the master has since
  // compacted past: the wait must end, and the next probe finds the peer still short.
  s.net.partition([[1], [2, 3]]);
  const master = s.node(3).core;
  const view = () => master.peers().find((p) => p.id === 1);
  t.true(view()?.snapshotting, 'waiting for the transfer');
  const needed = s.node(3).events.filter((e) => e.type === 'snapshot-needed').length;
  master.reportSnapshot(1, true, master.snapshotIndex - 1);
  t.false(view()?.snapshotting, 'a reported end always clears the wait');
  master.reportSnapshot(1, false);
  t.false(view()?.snapshotting, 'a second report changes nothing');
  s.net.heal();
  t.true(s.runUntil(() => converged(s)));
  t.true(
    s.node(3).events.filter((e) => e.type === 'snapshot-needed').length > needed,
    'the core asked for another snapshot',
  );
  t.is(s.node(1).core.appliedIndex, master.lastIndex);
});

test('a node whose log a snapshot replaced counts no entry of the old log as durable once master', (t) => {
  // Node 2 of [1, 2, 3] holds eight entries of epoch 1 on disk, then installs node 1's snapshot at
  // 4@2: its log disagrees at 4, so the install drops 5..8. Elected next, it must not count its own
  // copy of the new entry 5 before writing it: with node 3 down, node 1's ack alone is no majority.
  const log = Array.from({ length: 8 }, (_, k) => cmd(k + 1, 1));
  const c = new ClusterCore<string>(
    { ...CFG, id: 2, peerIds: [1, 3] },
    { epoch: 1, log, commitIndex: 2, appliedIndex: 2, lamport: 0 },
  );
  drain(c);
  c.installSnapshot({ index: 4, epoch: 2, lamport: 100 }, 1, 2);
  t.is(c.lastIndex, 4, 'the disagreeing tail went');
  drain(c);
  c.peerDown(1);
  c.peerDown(3);
  for (let k = 0; k < 4 * CFG.failureTimeoutTicks && c.role !== 'master'; k++) {
    c.tick();
    for (const m of drain(c).flatMap((rd) => rd.messages)) {
      if (m.to !== 1) continue;
      if (m.type === 'pre-vote')
        c.step({
          type: 'pre-vote-reply',
          from: 1,
          to: 2,
          epoch: 2,
          lamport: 101,
          round: m.round,
          granted: true,
        });
      if (m.type === 'coordinator')
        c.step({
          type: 'promise',
          from: 1,
          to: 2,
          epoch: m.epoch,
          lamport: 102,
          lastEpoch: 2,
          lastIndex: 4,
          commitIndex: 4,
        });
    }
  }
  t.is(c.role, 'master');
  const rd = c.ready();
  t.is(rd.persist.append[0]?.index, 5, "the new master's first entry takes index 5");
  // Its own write is still in flight; node 1 acknowledges the entry.
  c.step({ type: 'append-ok', from: 1, to: 2, epoch: c.epoch, lamport: 103, matchIndex: 5 });
  t.true(c.commitIndex < 5, 'one durable copy of three is not a majority');
  c.advance(rd);
  t.is(c.commitIndex, 5, 'with its own copy written, two of three');
});
