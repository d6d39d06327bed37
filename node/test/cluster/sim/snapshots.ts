/**
 * The simulated driver's side of log compaction and snapshot transfer, shared by the random
 * simulation and the scenarios: compact after applying, stream a snapshot (as one message on the
 * faulty network) when the core asks, install it on arrival, report a transfer that timed out.
 */
import type { SnapshotNeeded } from '../../../src/cluster/core.js';
import type { Entry } from '../../../src/cluster/entry.js';
import type { SnapshotPoint } from '../../../src/cluster/replication-log.js';
import type { Checker } from './checker.js';
import type { Payload, SimNode } from './sim-node.js';

/** The snapshot "stream": the sender's whole state machine at `point`, in one message. */
export interface SnapshotMessage {
  type: 'sim-snapshot';
  from: number;
  to: number;
  epoch: number;
  lamport: number;
  point: SnapshotPoint;
  applied: Entry<Payload>[];
}

export function isSnapshotMessage(m: { type: string }): m is SnapshotMessage {
  return m.type === 'sim-snapshot';
}

export interface CompactionPolicy {
  /** Compact once this many applied entries are retained. */
  every: number;
  /** Keep up to this many applied entries after compacting (random in [0, keep]). */
  keep: number;
  /** A transfer not acknowledged after this many ticks is reported failed. */
  timeoutTicks: number;
}

export class SnapshotDriver {
  /** "from>to" → tick the running transfer started. */
  readonly #running = new Map<string, number>();
  installs = 0;

  constructor(
    private readonly policy: CompactionPolicy,
    private readonly random: () => number,
  ) {}

  /** The most entries a node may retain: what the policy lets pile up plus the unapplied tail. */
  bound(n: SimNode): number {
    return this.policy.every + (n.core.lastIndex - n.core.appliedIndex);
  }

  /** After a node finished a Ready: compact if due, start the transfers its core asked for. */
  afterReady(
    n: SimNode,
    needed: readonly SnapshotNeeded[],
    now: number,
    send: (m: SnapshotMessage) => void,
  ): void {
    const core = n.core;
    if (core.appliedIndex - core.snapshotIndex >= this.policy.every) {
      const keep = Math.floor(this.random() * (this.policy.keep + 1));
      core.compact(core.appliedIndex - keep);
    }
    for (const { to } of needed) {
      const key = `${n.id}>${to}`;
      if (this.#running.has(key)) continue; // one transfer per peer at a time
      const index = n.disk.applied.length;
      const point = core.snapshotPoint(index);
      if (!point) continue;
      this.#running.set(key, now);
      send({
        type: 'sim-snapshot',
        from: n.id,
        to,
        epoch: core.epoch,
        lamport: 0,
        point,
        applied: n.disk.applied.slice(0, index),
      });
    }
  }

  /** A snapshot arrived: install it if it moves the node forward. */
  deliver(n: SimNode, m: SnapshotMessage, checker: Checker): void {
    if (!n.installSnapshot(m.point, m.applied, m.from, m.epoch)) return;
    this.installs++;
    checker.sawSnapshot(n.id, n.disk.applied, m.point.index);
  }

  /** Transfers whose master moved on are done; ones that took too long are reported failed. */
  tick(byId: ReadonlyMap<number, SimNode>, now: number): void {
    for (const [key, at] of this.#running) {
      const [from, to] = key.split('>').map(Number) as [number, number];
      const master = byId.get(from)!;
      const view = master.state === 'crashed' ? undefined : master.core.peers().find((p) => p.id === to);
      if (!view?.snapshotting) this.#running.delete(key);
      else if (now - at > this.policy.timeoutTicks) {
        master.core.reportSnapshot(to, false);
        this.#running.delete(key);
      }
    }
  }
}
