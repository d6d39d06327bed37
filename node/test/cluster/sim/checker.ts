/**
 * The invariants, checked after every simulation step. Each failure names what broke; the
 * simulation adds the seed and step so the run can be replayed.
 */
import { majority } from '../../../src/cluster/election.js';
import type { Entry } from '../../../src/cluster/entry.js';
import type { Payload, SimNode } from './sim-node.js';

export class InvariantError extends Error {}

function same(a: Entry<Payload>, b: Entry<Payload>): boolean {
  if (a.index !== b.index || a.epoch !== b.epoch || a.lamport !== b.lamport || a.kind !== b.kind)
    return false;
  return a.kind !== 'command' || b.kind !== 'command' || a.payload.id === b.payload.id;
}

function describe(e: Entry<Payload>): string {
  return `#${e.index}@${e.epoch} L${e.lamport} ${e.kind === 'command' ? e.payload.id : 'barrier'}`;
}

export class Checker {
  /** epoch → the one node that was ever master in it. */
  readonly #masterOf = new Map<number, number>();
  /** The committed log as first seen anywhere; every later sighting must agree. */
  readonly committed: Entry<Payload>[] = [];
  /** How far each node's applied entries were already checked. */
  readonly #checkedApplied = new Map<number, number>();

  /**
   * `maxRetained`: when set, the retained log of every node must stay within it after every step
   * (the driver compacts; the core must really drop what it compacted).
   */
  constructor(
    private readonly clusterSize: number,
    private readonly maxRetained?: (n: SimNode) => number,
  ) {}

  /**
   * A node installed a snapshot: its state machine must be exactly the committed log up to the
   * snapshot point. A snapshot that misses or changes a committed entry fails here, at once.
   */
  sawSnapshot(node: number, applied: readonly Entry<Payload>[], index: number): void {
    if (applied.length !== index) {
      throw new InvariantError(
        `node ${node} installed a snapshot at ${index} holding ${applied.length} entries`,
      );
    }
    if (index > this.committed.length) {
      throw new InvariantError(
        `node ${node} installed a snapshot at ${index} past the committed ${this.committed.length}`,
      );
    }
    for (let i = 0; i < index; i++) {
      if (!same(applied[i]!, this.committed[i]!)) {
        throw new InvariantError(
          `node ${node} installed a snapshot with ${describe(applied[i]!)}, committed is ${describe(this.committed[i]!)}`,
        );
      }
    }
  }

  /** A node applied these entries: they are committed. */
  sawCommitted(node: number, entries: readonly Entry<Payload>[]): void {
    for (const e of entries) {
      const known = this.committed[e.index - 1];
      if (known) {
        if (!same(known, e)) {
          throw new InvariantError(
            `committed entry changed: node ${node} applied ${describe(e)}, but ${describe(known)} was committed`,
          );
        }
      } else {
        if (e.index !== this.committed.length + 1) {
          throw new InvariantError(`node ${node} applied ${describe(e)} past the known committed prefix`);
        }
        const prev = this.committed.at(-1);
        if (prev && e.lamport <= prev.lamport) {
          throw new InvariantError(
            `Lamport time does not grow along the commit order: ${describe(prev)} then ${describe(e)}`,
          );
        }
        this.committed.push(e);
      }
    }
  }

  afterStep(nodes: readonly SimNode[]): void {
    for (const n of nodes) {
      if (n.state === 'crashed') continue;
      const core = n.core;
      if (core.role === 'master') {
        const was = this.#masterOf.get(core.epoch);
        if (was === undefined) this.#masterOf.set(core.epoch, n.id);
        else if (was !== n.id) {
          throw new InvariantError(`two masters in epoch ${core.epoch}: nodes ${was} and ${n.id}`);
        }
      }
      // A serving master decides against its applied state (the booking machine): that state must
      // hold every entry committed in an earlier epoch, or a retried booking is decided twice.
      if (core.serving) {
        // Entries after the applied index only: the committed log is in index order.
        const missed = this.committed
          .slice(core.appliedIndex)
          .find((e) => e.epoch < core.epoch && e.index > core.appliedIndex);
        if (missed) {
          throw new InvariantError(
            `node ${n.id} serves in epoch ${core.epoch} without having applied ${describe(missed)}`,
          );
        }
      }
      // The in-memory log agrees with the committed log up to the node's commit index (before its
      // first index the state machine holds it: checked when applied or installed).
      const upTo = Math.min(core.commitIndex, this.committed.length);
      const from = this.#checkedApplied.get(n.id) ?? 0;
      for (let i = Math.max(core.firstIndex, Math.min(from, upTo)); i <= upTo; i++) {
        const mine = core.entry(i);
        if (!mine || !same(mine, this.committed[i - 1]!)) {
          throw new InvariantError(
            `node ${n.id} (commit ${core.commitIndex}) has ${mine ? describe(mine) : 'nothing'} at ${i}, committed is ${describe(this.committed[i - 1]!)}`,
          );
        }
      }
      this.#checkedApplied.set(n.id, upTo);
      if (core.appliedIndex < core.snapshotIndex || n.disk.applied.length < n.disk.base.index) {
        throw new InvariantError(`node ${n.id} compacted past what it applied`);
      }
      const bound = this.maxRetained?.(n);
      if (bound !== undefined && core.retainedEntries > bound) {
        throw new InvariantError(`node ${n.id} retains ${core.retainedEntries} entries (bound ${bound})`);
      }
      // With no Ready pending, storage holds exactly the retained log: compaction reached the disk.
      if (n.state === 'up' && !n.inflight && !core.hasReady()) {
        if (n.disk.base.index !== core.snapshotIndex || n.disk.log.length !== core.retainedEntries) {
          throw new InvariantError(
            `node ${n.id} stores ${n.disk.log.length} entries after ${n.disk.base.index}, retains ${core.retainedEntries} after ${core.snapshotIndex}`,
          );
        }
      }
    }
    this.#durableOnMajority(nodes);
  }

  #durableChecked = 0;

  /**
   * Every committed entry is durably stored on a majority (crashed nodes' disks count). This is the
   * property that makes it survive any failover; checking it directly catches an unsafe commit the
   * moment it happens, before any failover has to expose it. Only newly committed entries are
   * checked each step, plus a sample of older ones, to keep thousands of seeds fast.
   */
  #durableOnMajority(nodes: readonly SimNode[]): void {
    const need = majority(this.clusterSize);
    const check = (i: number) => {
      const e = this.committed[i - 1]!;
      let holders = 0;
      for (const n of nodes) {
        // A compacted entry is held by the node's durable state machine (its snapshot).
        const base = n.disk.base.index;
        const d = i <= base ? n.disk.applied[i - 1] : n.disk.log[i - base - 1];
        if (d && same(d, e)) holders++;
      }
      if (holders < need) {
        throw new InvariantError(
          `committed ${describe(e)} is durable on ${holders} nodes only (need ${need})`,
        );
      }
    };
    for (let i = this.#durableChecked + 1; i <= this.committed.length; i++) check(i);
    this.#durableChecked = this.committed.length;
    if (this.committed.length > 0) check(1 + ((this.committed.length * 7) % this.committed.length));
  }
}
