/**
 * An in-memory network for the simulation, after etcd's raft_test `network`: every message can be
 * dropped, delayed, duplicated and reordered; nodes can be cut apart by partitions. Messages to a
 * paused node wait in its "socket buffer" and arrive when it resumes; messages to a crashed node
 * are lost. All randomness comes from the run's seeded generator.
 */
import type { PeerMessage } from '../../../src/cluster/messages.js';
import { randomInt } from '../../../src/cluster/prng.js';

export interface NetworkFaults {
  /** Probability that a message is lost. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Messages take 1..maxDelay ticks (random, so they also overtake each other). */
  maxDelay: number;
  /** false: messages due in the same tick keep their send order (a healthy TCP link). Default true. */
  reorder?: boolean;
}

interface InFlight {
  deliverAt: number;
  message: PeerMessage<unknown>;
}

export class SimNetwork {
  #queue: InFlight[] = [];
  /** Node id → partition group; nodes in different groups cannot talk. */
  #group = new Map<number, number>();

  constructor(
    private readonly random: () => number,
    public faults: NetworkFaults,
  ) {}

  get pending(): number {
    return this.#queue.length;
  }

  send(now: number, message: PeerMessage<unknown>): void {
    if (this.random() < this.faults.drop) return;
    const copies = this.random() < this.faults.duplicate ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      // A deep copy: the receiver must never share objects with the sender (sockets do not).
      const copy = JSON.parse(JSON.stringify(message)) as PeerMessage<unknown>;
      this.#queue.push({ deliverAt: now + 1 + randomInt(this.random, this.faults.maxDelay), message: copy });
    }
  }

  /** Splits the nodes into groups; a message crossing groups is lost when it would arrive. */
  partition(groups: number[][]): void {
    this.#group.clear();
    groups.forEach((g, k) => {
      for (const id of g) this.#group.set(id, k);
    });
  }

  heal(): void {
    this.#group.clear();
  }

  connected(a: number, b: number): boolean {
    return (this.#group.get(a) ?? 0) === (this.#group.get(b) ?? 0);
  }

  /**
   * Messages due by `now`, in random order. `canReceive` decides per message: 'deliver', 'hold'
   * (a paused receiver: keep it queued) or 'lose' (a crashed receiver).
   */
  due(now: number, canReceive: (to: number) => 'deliver' | 'hold' | 'lose'): PeerMessage<unknown>[] {
    const out: PeerMessage<unknown>[] = [];
    const keep: InFlight[] = [];
    for (const m of this.#queue) {
      if (m.deliverAt > now) {
        keep.push(m);
        continue;
      }
      const verdict = canReceive(m.message.to);
      if (verdict === 'hold') keep.push(m);
      else if (verdict === 'deliver' && this.connected(m.message.from, m.message.to)) out.push(m.message);
    }
    this.#queue = keep;
    if (this.faults.reorder === false) return out;
    // Fisher-Yates: arrival order among due messages is arbitrary.
    for (let i = out.length - 1; i > 0; i--) {
      const j = randomInt(this.random, i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}
