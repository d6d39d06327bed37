/**
 * One simulated node: the real ClusterCore plus a fake disk that follows the Ready contract
 * (persist, then send, then advance, then apply and report `appliedTo`). A crash throws away
 * everything but the disk; a Ready that was taken but not yet persisted is lost with it, exactly
 * like a process killed between `ready()` and its transaction commit.
 *
 * A node with `lagApply` applies committed entries later, a few at a time, as the production
 * driver's applier does behind a catalog import or a slow database: the core must not count them
 * (serve, compact, label snapshots) before `appliedTo` says they are durable.
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
  /** Committed entries handed out and not yet applied (lagApply only; lost in a crash). */
  #toApply: Entry<Payload>[] = [];
  lagApply = false;
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
    this.#toApply = [];
  }

  restart(): void {
    this.#incarnation++;
    this.inflight = null;
    this.#toApply = [];
    this.core = this.#boot();
    this.state = 'up';
  }

  /** Takes the next Ready if there is one and none is in flight. */
  takeReady(): boolean {
    if (this.inflight || !this.core.hasReady()) return false;
    this.inflight = this.core.ready();
    return true;
  }

  /** Committed entries waiting to be applied. */
  get unapplied(): number {
    return this.#toApply.length;
  }

  /**
   * Persists, "sends" and advances the in-flight Ready, then applies what it committed (unless the
   * node lags). Returns the messages to send and the entries applied now.
   */
  completeReady(): Pick<Ready<Payload>, 'messages' | 'snapshotNeeded'> & { applied: Entry<Payload>[] } {
    const rd = this.inflight;
    if (!rd) return { messages: [], applied: [], snapshotNeeded: [] };
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
    this.events.push(...rd.events);
    this.core.advance(rd);
    this.#toApply.push(...rd.committed);
    // Without lag, applied in the same "transaction" as the log, as the driver does inline.
    const applied = this.lagApply ? [] : this.applyPending(Number.POSITIVE_INFINITY);
    return { messages: rd.messages, applied, snapshotNeeded: rd.snapshotNeeded };
  }

  /** Applies up to `max` waiting entries durably and tells the core. Returns them. */
  applyPending(max: number): Entry<Payload>[] {
    const batch = this.#toApply.splice(0, max);
    for (const e of batch) {
      const last = this.disk.applied.at(-1)?.index ?? 0;
      if (e.index !== last + 1) throw new Error(`node ${this.id}: applied ${e.index} after ${last}`);
      this.disk.applied.push(e);
    }
    const last = batch.at(-1);
    if (last) this.core.appliedTo(last.index);
    return batch;
  }

  /**
   * Installs a snapshot of another node's state machine in one transaction: the state, the log's
   * new start and the stored entries after it; then tells the core. Refused (false) while a Ready is
   * in flight or if the state would not move forward.
   */
  installSnapshot(point: SnapshotPoint, applied: Entry<Payload>[], from: number, epoch: number): boolean {
    // The driver first drains its applier and its Ready (ReplicatedLog #drain); here: refuse, the
    // master sends another once this transfer times out.
    if (this.state !== 'up' || this.inflight || this.#toApply.length > 0) return false;
    if (this.core.snapshotRefusal(point, epoch) !== null) return false;
    this.disk.applied = applied.slice(0, point.index);
    this.disk.log = this.disk.log.filter((e) => e.index > point.index);
    this.disk.base = point;
    this.core.installSnapshot(point, from, epoch);
    return true;
  }
}
