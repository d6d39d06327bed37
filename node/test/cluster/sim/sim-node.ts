/**
 * One simulated node: the real ClusterCore plus a fake disk that follows the Ready contract
 * (persist, then send, then apply, then advance). A crash throws away everything but the disk; a
 * Ready that was taken but not yet persisted is lost with it, exactly like a process killed
 * between `ready()` and its transaction commit.
 */
import { type ClusterConfig, ClusterCore, type Ready } from '../../../src/cluster/core.js';
import type { Entry, HardState } from '../../../src/cluster/entry.js';
import type { ClusterEventRecord } from '../../../src/cluster/events.js';
import type { PeerMessage } from '../../../src/cluster/messages.js';
import { mulberry32 } from '../../../src/cluster/prng.js';

export interface Payload {
  /** Unique per client command, so the checker can find it in every log. */
  id: string;
}

export interface Disk {
  log: Entry<Payload>[];
  hard: HardState | null;
  /** The state machine's durable content: applied entries, in order. */
  applied: Entry<Payload>[];
}

export type NodeState = 'up' | 'paused' | 'crashed';

export class SimNode {
  readonly disk: Disk = { log: [], hard: null, applied: [] };
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
  completeReady(): { messages: PeerMessage<Payload>[]; committed: Entry<Payload>[] } {
    const rd = this.inflight;
    if (!rd) return { messages: [], committed: [] };
    this.inflight = null;
    const { truncateFrom, append, hardState } = rd.persist;
    if (truncateFrom !== undefined) this.disk.log.length = Math.min(this.disk.log.length, truncateFrom - 1);
    for (const e of append) {
      if (e.index !== this.disk.log.length + 1) {
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
    return { messages: rd.messages, committed: rd.committed };
  }
}
