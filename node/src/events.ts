/**
 * This node's cluster events (elections, role changes, commits, catch-ups), stamped with its
 * Lamport clock so that merging every node's events by (lamport, nodeId) tells one causal story.
 * Kept in memory for `cluster.events` and written to MySQL so a restart keeps the history.
 */
import type { Pool } from 'mysql2/promise';
import type { LamportClock } from './cluster/lamport.js';
import type { ClusterEvent } from './protocol/model.js';
import { insertEvents, recentEvents } from './store/queries.js';

const KEEP = 2000;

export class EventLog {
  #events: ClusterEvent[] = [];
  #unsaved: ClusterEvent[] = [];
  #saving = false;

  constructor(
    private readonly nodeId: number,
    private readonly clock: LamportClock,
    private readonly pool: Pool,
    private readonly onError: (error: unknown) => void,
  ) {}

  async load(): Promise<void> {
    this.#events = await recentEvents(this.pool, KEEP);
    const last = this.#events.at(-1);
    if (last) this.clock.witness(last.lamport);
  }

  record(type: string, detail: Record<string, unknown> = {}): ClusterEvent {
    return this.recordAt(type, this.clock.tick(), detail);
  }

  /** An event the cluster core already stamped with this node's Lamport clock. */
  recordAt(type: string, lamport: number, detail: Record<string, unknown> = {}): ClusterEvent {
    const event: ClusterEvent = {
      nodeId: this.nodeId,
      lamport,
      type,
      at: new Date().toISOString(),
      detail,
    };
    this.#events.push(event);
    if (this.#events.length > KEEP) this.#events.splice(0, this.#events.length - KEEP);
    this.#unsaved.push(event);
    void this.#save();
    return event;
  }

  since(lamport = 0): ClusterEvent[] {
    return this.#events.filter((e) => e.lamport > lamport);
  }

  async flush(): Promise<void> {
    while (this.#saving) await new Promise((r) => setTimeout(r, 5));
    await this.#save();
  }

  async #save(): Promise<void> {
    if (this.#saving || this.#unsaved.length === 0) return;
    this.#saving = true;
    const batch = this.#unsaved.splice(0);
    try {
      await insertEvents(this.pool, batch);
    } catch (error) {
      this.onError(error);
    } finally {
      this.#saving = false;
    }
    if (this.#unsaved.length > 0) void this.#save();
  }
}
