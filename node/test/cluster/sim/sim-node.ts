/**
 * One simulated node: the real ClusterCore plus a fake disk that follows the Ready contract
 * (persist, then send, then apply, then advance). A crash throws away everything but the disk; a
 * Ready that was taken but not yet persisted is lost with it, exactly like a process killed
 * between `ready()` and its transaction commit.
 */
import { type ClusterConfig, ClusterCore, type Ready } from '../../../src/cluster/core.js';
import type { Entry, HardState } from '../../../src/cluster/entry.js';
import type { ClusterEventRecord } from '../../../src/cluster/events.js';
import { mulberry32 } from '../../../src/cluster/prng.js';
import { EMPTY_PREFIX, type SnapshotPoint } from '../../../src/cluster/replication-log.js';

export interface Payload {
  /** Unique per client command, so the checker can find it in every log. */
  id: string;
}

export interface Disk {
  /** The stored log starts after this point (compaction or a snapshot install moved it). */
  base: SnapshotPoint;
  /** Entries after `base`, contiguous. */
  log: Entry<Payload>[];
  hard: HardState | null;
  /** The state machine's durable content: applied entries, in order (a snapshot is a prefix of it). */
  applied: Entry<Payload>[];
}

export type NodeState = 'up' | 'paused' | 'crashed';

export class SimNode {
  readonly disk: Disk = { base: EMPTY_PREFIX, log: [], hard: null, applied: [] };
  core: ClusterCore<Payload>;
  state: NodeState = 'up';
  /** A Ready taken from the core and not yet persisted (the I/O layer is "busy" with it). */
  inflight: Ready<Payload> | null = null;
  readonly events: ClusterEventRecord[] = [];
  #incarnation = 0;

  constructor(
    readonly id: number,
    private readonly config: Omit<ClusterConfig<Payload>, 'random'>,
    private readonly seed: number,
  ) {
    this.core = this.#boot();
  }

  #boot(): ClusterCore<Payload> {
    const hard = this.disk.hard;
    return new ClusterCore<Payload>(
      // Each incarnation draws its own jitter, still a pure function of the run's seed.
      { ...this.config, random: mulberry32(this.seed * 7919 + this.id * 104729 + this.#incarnation) },
      {
        epoch: hard?.epoch ?? 0,
        promisedEpoch: hard?.promisedEpoch ?? 0,
        promisedTo: hard?.promisedTo ?? null,
        commitIndex: hard?.commitIndex ?? 0,
        appliedIndex: this.disk.applied.at(-1)?.index ?? 0,
        lamport: hard?.lamport ?? 0,
        log: this.disk.log,
        snapshot: this.disk.base,
      },
    );
  }

  crash(): void {
    this.state = 'crashed';
    this.inflight = null;
  }

  restart(): void {
    this.#incarnation++;
    this.inflight = null;
    this.core = this.#boot();
    this.state = 'up';
  }

  /** Takes the next Ready if there is one and none is in flight. */
  takeReady(): boolean {
    if (this.inflight || !this.core.hasReady()) return false;
    this.inflight = this.core.ready();
    return true;
  }

  /** Persists, "sends", applies and advances the in-flight Ready. Returns the messages to send. */
  completeReady(): Pick<Ready<Payload>, 'messages' | 'committed' | 'snapshotNeeded'> {
    const rd = this.inflight;
    if (!rd) return { messages: [], committed: [], snapshotNeeded: [] };
    this.inflight = null;
    const { base, truncateFrom, append, hardState } = rd.persist;
    if (base && base.index > this.disk.base.index) {
      this.disk.log = this.disk.log.filter((e) => e.index > base.index);
      this.disk.base = base;
    }
    const start = this.disk.base.index;
    if (truncateFrom !== undefined)
      this.disk.log.length = Math.max(0, Math.min(this.disk.log.length, truncateFrom - 1 - start));
    for (const e of append) {
      if (e.index !== start + this.disk.log.length + 1) {
        throw new Error(
          `node ${this.id}: persisted append at ${e.index} leaves a gap (${this.disk.log.length})`,
        );
      }
      this.disk.log.push(e);
    }
    if (hardState) this.disk.hard = { ...hardState };
    for (const e of rd.committed) {
      const last = this.disk.applied.at(-1)?.index ?? 0;
      if (e.index !== last + 1) throw new Error(`node ${this.id}: applied ${e.index} after ${last}`);
      this.disk.applied.push(e);
    }
    this.events.push(...rd.events);
    this.core.advance(rd);
    return { messages: rd.messages, committed: rd.committed, snapshotNeeded: rd.snapshotNeeded };
  }

  /**
   * Installs a snapshot of another node's state machine in one transaction: the state, the log's
   * new start and the stored entries after it; then tells the core. Refused (false) while a Ready is
   * in flight or if the state would not move forward.
   */
  installSnapshot(point: SnapshotPoint, applied: Entry<Payload>[], from: number, epoch: number): boolean {
    if (this.state !== 'up' || this.inflight || point.index <= this.core.appliedIndex) return false;
    this.disk.applied = applied.slice(0, point.index);
    this.disk.log = this.disk.log.filter((e) => e.index > point.index);
    this.disk.base = point;
    this.core.installSnapshot(point, from, epoch);
    return true;
  }
}
