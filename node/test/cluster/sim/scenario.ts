/**
 * A hand-driven cluster for scenario tests: the same SimNode and SimNetwork as the random
 * simulation, but a perfect network and faults placed by the test. Every step is checked by the
 * same Checker.
 */

import type { ClusterConfig } from '../../../src/cluster/core.js';
import { catchUpTicks } from '../../../src/cluster/election.js';
import type { Entry } from '../../../src/cluster/entry.js';
import { mulberry32 } from '../../../src/cluster/prng.js';
import { Checker } from './checker.js';
import { SimNetwork } from './network.js';
import { type Payload, SimNode } from './sim-node.js';
import { type CompactionPolicy, isSnapshotMessage, SnapshotDriver } from './snapshots.js';

export const HEARTBEAT = 2;
export const FAILURE_TIMEOUT = 10;

export class Scenario {
  readonly nodes: SimNode[];
  readonly net: SimNetwork;
  readonly checker: Checker;
  now = 0;
  /** Commands proposed through `propose`, and the outcome once known. */
  readonly outcomes = new Map<string, 'acked' | 'lost'>();
  readonly #waiting: { node: number; index: number; epoch: number; id: string }[] = [];
  /** Ticks a woken node owes, run right after the messages that waited for it. */
  readonly #owed = new Map<number, number>();

  /** Set when the scenario compacts: the simulated driver's compaction and snapshot transfers. */
  readonly snapshots: SnapshotDriver | null;

  constructor(
    size: number,
    seed = 1,
    extra: Pick<ClusterConfig<Payload>, 'unsafe' | 'maxAppendEntries'> = {},
    compaction: CompactionPolicy | null = null,
  ) {
    const ids = Array.from({ length: size }, (_, k) => k + 1);
    this.net = new SimNetwork(mulberry32(seed), { drop: 0, duplicate: 0, maxDelay: 1 });
    const snapshots = compaction ? new SnapshotDriver(compaction, mulberry32(seed + 1)) : null;
    this.snapshots = snapshots;
    this.checker = new Checker(size, snapshots ? (n) => snapshots.bound(n) : undefined);
    this.nodes = ids.map(
      (id) =>
        new SimNode(
          id,
          {
            id,
            peerIds: ids.filter((p) => p !== id),
            heartbeatTicks: HEARTBEAT,
            failureTimeoutTicks: FAILURE_TIMEOUT,
            electionTimeoutTicks: 4,
            ...extra,
          },
          seed,
        ),
    );
  }

  node(id: number): SimNode {
    return this.nodes[id - 1]!;
  }

  /** The one running master, if exactly one running node thinks it is master. */
  master(): SimNode | undefined {
    const masters = this.nodes.filter((n) => n.state === 'up' && n.core.role === 'master');
    return masters.length === 1 ? masters[0] : undefined;
  }

  propose(id: number, commandId: string): boolean {
    const n = this.node(id);
    const r = n.core.propose({ id: commandId });
    if (!('index' in r)) return false;
    this.#waiting.push({ node: id, index: r.index, epoch: r.epoch, id: commandId });
    return true;
  }

  /**
   * Pauses `id` for `ticks` (messages to it wait in its socket buffer), then wakes it the way the
   * I/O layer does: it reads what waited, then runs the ticks it owes (capped by catchUpTicks).
   */
  stall(id: number, ticks: number): void {
    const n = this.node(id);
    n.state = 'paused';
    this.run(ticks);
    n.state = 'up';
    this.#owed.set(id, catchUpTicks(ticks, FAILURE_TIMEOUT));
  }

  run(ticks: number): void {
    for (let k = 0; k < ticks; k++) this.#step();
  }

  /** Runs until `done()` or `limit` ticks; returns whether `done()` became true. */
  runUntil(done: () => boolean, limit = 20 * FAILURE_TIMEOUT): boolean {
    for (let k = 0; k < limit; k++) {
      if (done()) return true;
      this.#step();
    }
    return done();
  }

  committedLog(): Entry<Payload>[] {
    return this.checker.committed;
  }

  #step(): void {
    this.now++;
    for (const m of this.net.due(this.now, (to) => {
      const s = this.node(to).state;
      return s === 'up' ? 'deliver' : s === 'paused' ? 'hold' : 'lose';
    })) {
      const target = this.node(m.to);
      if (isSnapshotMessage(m)) this.snapshots?.deliver(target, m, this.checker);
      else target.core.step(m);
    }
    for (const n of this.nodes) {
      if (n.state !== 'up') continue;
      for (let k = this.#owed.get(n.id) ?? 0; k > 0; k--) n.core.tick();
      this.#owed.delete(n.id);
      n.core.tick();
    }
    for (const n of this.nodes) {
      if (n.state !== 'up') continue;
      n.core.flush();
      while (n.takeReady()) {
        const { messages, applied: committed, snapshotNeeded } = n.completeReady();
        for (const m of messages) this.net.send(this.now, m);
        this.checker.sawCommitted(n.id, committed);
        this.snapshots?.afterReady(n, snapshotNeeded, this.now, (m) => this.net.send(this.now, m as never));
        for (let k = this.#waiting.length - 1; k >= 0; k--) {
          const w = this.#waiting[k]!;
          const hit = w.node === n.id ? committed.find((e) => e.index === w.index) : undefined;
          if (!hit) continue;
          this.#waiting.splice(k, 1);
          const ours = hit.epoch === w.epoch && hit.kind === 'command' && hit.payload.id === w.id;
          this.outcomes.set(w.id, ours ? 'acked' : 'lost');
        }
      }
    }
    this.snapshots?.tick(new Map(this.nodes.map((n) => [n.id, n])), this.now);
    this.checker.afterStep(this.nodes);
  }
}
