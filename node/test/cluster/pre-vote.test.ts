/**
 * Pre-vote (Raft thesis 9.6, on the bully election): a node raises its epoch only after a majority
 * said it would accept it, so a node cut off from the majority neither inflates the epoch nor fences
 * a healthy master when it comes back. Scenarios run on the simulated cluster with the Checker after
 * every tick; the unit tests drive one bare core message by message.
 */
import test from 'ava';
import { ClusterCore, type Ready } from '../../src/cluster/core.js';
import type { Entry } from '../../src/cluster/entry.js';
import type { PeerMessage } from '../../src/cluster/messages.js';
import { FAILURE_TIMEOUT, Scenario } from './sim/scenario.js';

function elected(s: Scenario, id: number): boolean {
  const m = s.master();
  return m?.id === id && m.core.serving && s.nodes.every((n) => n.state !== 'up' || n.core.masterId === id);
}

/** The highest epoch any node has promised: what an inflating node drives up. */
function maxPromised(s: Scenario, ids: readonly number[]): number {
  return Math.max(...ids.map((id) => s.node(id).core.promisedEpoch));
}

/** About 45 s of the production timing (300 ms failure timeout), the time the node took to reach epoch 100. */
const LONG_CUT = 150 * FAILURE_TIMEOUT;

test('an isolated slave keeps its epoch while cut off, and the master keeps its role when it returns', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const epoch = s.node(3).core.epoch;
  s.net.partition([[1], [2, 3]]);
  let worst = 0;
  for (let k = 0; k < LONG_CUT; k++) {
    s.run(1);
    worst = Math.max(worst, s.node(1).core.promisedEpoch - s.node(3).core.epoch);
  }
  t.true(worst <= 2, `the isolated node ran ${worst} epochs ahead`);
  t.is(s.node(3).core.epoch, epoch, 'the majority side had no reason to change its master');
  t.true(s.propose(3, 'while-cut'));
  s.run(4);
  t.is(s.outcomes.get('while-cut'), 'acked');

  const masterEvents = s.node(3).events.length;
  s.net.heal();
  t.true(s.runUntil(() => elected(s, 3) && s.node(1).core.commitIndex === s.node(3).core.commitIndex));
  s.run(5 * FAILURE_TIMEOUT);
  t.true(elected(s, 3));
  t.is(s.node(3).core.epoch, epoch);
  const after = s
    .node(3)
    .events.slice(masterEvents)
    .map((e) => e.type);
  t.false(after.includes('stepped-down'), after.join(','));
});

test('a cut-off minority of a five-node cluster does not inflate the epoch or disrupt the majority', (t) => {
  const s = new Scenario(5, 7);
  t.true(s.runUntil(() => elected(s, 5)));
  const epoch = s.node(5).core.epoch;
  s.net.partition([
    [1, 2],
    [3, 4, 5],
  ]);
  for (let k = 0; k < LONG_CUT / 10; k++) {
    s.run(10);
    t.true(maxPromised(s, [1, 2]) <= epoch + 2, `minority at ${maxPromised(s, [1, 2])}, cluster at ${epoch}`);
    t.not(s.node(1).core.role, 'master');
    t.not(s.node(2).core.role, 'master');
  }
  s.net.heal();
  t.true(
    s.runUntil(
      () => elected(s, 5) && s.nodes.every((n) => n.core.commitIndex === s.node(5).core.commitIndex),
    ),
  );
  t.is(s.node(5).core.epoch, epoch);
});

test('without pre-vote the same isolated node inflates its epoch and fences the master on return (what the tests above guard)', (t) => {
  const s = new Scenario(3, 1, { unsafe: { skipPreVote: true } });
  t.true(s.runUntil(() => elected(s, 3)));
  const epoch = s.node(3).core.epoch;
  s.net.partition([[1], [2, 3]]);
  s.run(LONG_CUT);
  t.true(s.node(1).core.promisedEpoch > epoch + 20, `only reached ${s.node(1).core.promisedEpoch}`);
  const masterEvents = s.node(3).events.length;
  s.net.heal();
  s.run(5 * FAILURE_TIMEOUT);
  t.true(
    s
      .node(3)
      .events.slice(masterEvents)
      .some((e) => e.type === 'stepped-down'),
  );
});

test('a cut-off master is replaced once; when it returns it catches up and takes over (bully order)', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  const epoch = s.node(3).core.epoch;
  s.net.partition([[3], [1, 2]]);
  t.true(s.runUntil(() => s.node(2).core.serving));
  t.true(s.propose(2, 'during-cut'));
  s.run(LONG_CUT);
  t.true(s.node(2).core.serving);
  t.true(maxPromised(s, [1, 2, 3]) <= epoch + 3, `epochs went from ${epoch} to ${maxPromised(s, [1, 2, 3])}`);
  s.net.heal();
  t.true(s.runUntil(() => elected(s, 3)));
  t.true(s.node(3).core.epoch <= epoch + 4);
  t.true(s.committedLog().some((e) => e.kind === 'command' && e.payload.id === 'during-cut'));
});

test('a returning higher node raises no epoch before it holds everything committed, then takes over', (t) => {
  const s = new Scenario(3);
  t.true(s.runUntil(() => elected(s, 3)));
  s.node(3).crash();
  t.true(s.runUntil(() => elected(s, 2)));
  const epoch = s.node(2).core.epoch;
  for (let k = 0; k < 20; k++) t.true(s.propose(2, `w${k}`));
  s.run(3);
  s.node(3).restart();
  const took = s.runUntil(() => {
    const n3 = s.node(3).core;
    if (n3.promisedEpoch > epoch) {
      // Its candidacy began: by then it must hold what node 2 committed.
      t.true(n3.lastIndex >= s.node(2).core.commitIndex, `candidate at ${n3.lastIndex}`);
      return true;
    }
    return false;
  });
  t.true(took);
  t.true(s.runUntil(() => elected(s, 3)));
  t.is(s.node(3).core.epoch, epoch + 1);
});

// ---- one core, message by message ----------------------------------------------------------------

type Msg = PeerMessage<string>;

const CFG = { id: 1, peerIds: [2, 3], heartbeatTicks: 2, failureTimeoutTicks: 10, electionTimeoutTicks: 4 };

function core(log: Entry<string>[] = [], epoch = 0, id = 1, peerIds = [2, 3]): ClusterCore<string> {
  return new ClusterCore<string>({ ...CFG, id, peerIds }, { epoch, log, lamport: 0 });
}

/** Drains everything the core wants done, as the driver would (all of it durable at once). */
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

function sent(c: ClusterCore<string>): Msg[] {
  return drain(c).flatMap((rd) => rd.messages);
}

const barrier = (index: number, epoch: number): Entry<string> => ({
  index,
  epoch,
  lamport: index,
  kind: 'barrier',
});

function append(
  from: number,
  epoch: number,
  prevIndex: number,
  entries: Entry<string>[],
  commitIndex: number,
) {
  const prevEpoch = prevIndex === 0 ? 0 : epoch;
  return { type: 'append', from, to: 1, epoch, lamport: 1, prevIndex, prevEpoch, entries, commitIndex };
}

function preVote(from: number, lastEpoch: number, lastIndex: number, takeover = false, round = 1) {
  return { type: 'pre-vote', from, to: 1, epoch: 1, lamport: 1, round, lastEpoch, lastIndex, takeover };
}

function reply(messages: Msg[], to: number) {
  const r = messages.find((m) => m.type === 'pre-vote-reply' && m.to === to);
  return r?.type === 'pre-vote-reply' ? r.granted : undefined;
}

test('a slave that hears its master refuses pre-votes; once the master is silent for the failure timeout it grants', (t) => {
  const c = core();
  c.step(append(3, 1, 0, [barrier(1, 1)], 1));
  drain(c);
  c.tick();
  c.step(preVote(2, 1, 1));
  t.false(reply(sent(c), 2));
  for (let k = 0; k < CFG.failureTimeoutTicks; k++) c.tick();
  drain(c);
  c.step(preVote(2, 1, 1, false, 2));
  t.true(reply(sent(c), 2));
});

test('a slave whose own link to the master closed grants at once', (t) => {
  const c = core();
  c.step(append(3, 1, 0, [barrier(1, 1)], 1));
  drain(c);
  c.peerDown(3);
  drain(c);
  c.step(preVote(2, 1, 1));
  t.true(reply(sent(c), 2));
});

test('a pre-vote changes nothing durable and raises no epoch on either side', (t) => {
  const c = core([barrier(1, 1)], 1);
  for (let k = 0; k < CFG.failureTimeoutTicks; k++) c.tick();
  drain(c);
  const promised = c.promisedEpoch;
  c.step({ ...preVote(2, 1, 1), epoch: 40 });
  const readies = drain(c);
  t.true(readies.every((rd) => rd.persist.hardState === undefined && rd.persist.append.length === 0));
  t.is(c.promisedEpoch, promised);
  t.is(c.epoch, 1);
});

test('a candidate that lacks committed entries is refused; a more up-to-date one is granted', (t) => {
  const c = core();
  c.step(append(3, 1, 0, [barrier(1, 1), barrier(2, 1), barrier(3, 1)], 3));
  for (let k = 0; k < CFG.failureTimeoutTicks; k++) c.tick();
  drain(c);
  c.step(preVote(2, 1, 2));
  t.false(reply(sent(c), 2), 'its log ends before our commit index');
  c.step(preVote(2, 1, 3, false, 2));
  t.true(reply(sent(c), 2), 'same log');
  c.step(preVote(2, 2, 1, false, 3));
  t.true(reply(sent(c), 2), 'a later last epoch');
});

test('a master refuses pre-votes except a takeover by a higher id that shares its log', (t) => {
  // Node 2 of [1, 2, 3]: win an election alone with node 1's promise, so node 3 can take over.
  const c = core([], 0, 2, [1, 3]);
  c.peerDown(3);
  for (let k = 0; k < 3 * CFG.failureTimeoutTicks && c.role !== 'master'; k++) {
    c.tick();
    for (const m of sent(c)) {
      if (m.to !== 1) continue;
      if (m.type === 'pre-vote')
        c.step({
          type: 'pre-vote-reply',
          from: 1,
          to: 2,
          epoch: 0,
          lamport: 1,
          round: m.round,
          granted: true,
        });
      if (m.type === 'coordinator')
        c.step({
          type: 'promise',
          from: 1,
          to: 2,
          epoch: m.epoch,
          lamport: 1,
          lastEpoch: 0,
          lastIndex: 0,
          commitIndex: 0,
        });
    }
  }
  t.is(c.role, 'master');
  drain(c);
  const vote = (from: number, lastEpoch: number, lastIndex: number, takeover: boolean) => {
    c.step({ ...preVote(from, lastEpoch, lastIndex, takeover), to: 2 });
    return reply(sent(c), from);
  };
  const e = c.epoch;
  t.false(vote(1, e, 1, false), 'a lower slave');
  t.false(vote(1, e, 1, true), 'a lower id cannot take over');
  t.false(vote(3, e, 1, false), 'a higher id that is not taking over');
  t.true(vote(3, e, 1, true), 'a caught-up higher id taking over');
  t.false(vote(3, e - 1, 1, true), 'a takeover with a log that disagrees with ours');
  t.is(c.role, 'master', 'granting changed nothing');
});

test('a higher node answers OK to ELECTION only if its log is at least as up to date as the asker', (t) => {
  const c = core([barrier(1, 1), barrier(2, 1)], 1, 2, [1, 3]);
  const election = (lastEpoch: number, lastIndex: number) => ({
    type: 'election',
    from: 1,
    to: 2,
    epoch: 1,
    lamport: 1,
    lastEpoch,
    lastIndex,
  });
  c.step(election(1, 3));
  t.false(
    sent(c).some((m) => m.type === 'ok'),
    'the asker has more',
  );
  c.step(election(1, 2));
  t.true(sent(c).some((m) => m.type === 'ok'));
  // An asker without a log end (an older node) gets the classic answer.
  c.step({ type: 'election', from: 1, to: 2, epoch: 1, lamport: 1 });
  t.true(sent(c).some((m) => m.type === 'ok'));
});

test('malformed pre-vote messages are ignored', (t) => {
  const c = core();
  const ok = preVote(2, 0, 0);
  for (const bad of [
    { ...ok, round: -1 },
    { ...ok, takeover: 'yes' },
    { ...ok, lastIndex: undefined },
    { type: 'pre-vote-reply', from: 2, to: 1, epoch: 0, lamport: 1, round: 1 },
    { type: 'election', from: 2, to: 1, epoch: 0, lamport: 1, lastEpoch: 1 },
  ]) {
    t.false(c.step(bad), JSON.stringify(bad));
  }
  t.true(c.step(ok));
});
