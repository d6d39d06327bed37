/**
 * The booking state machine as the write log drives it: each committed batch is applied to the
 * in-memory machine (deciding every entry's outcome, the same on every node) and written to the
 * database as its net effects in the log's transaction.
 */
import type { Pool } from 'mysql2/promise';
import { REMEMBERED_REJECTIONS } from '../limits.js';
import type { Applier, PreparedBatch } from '../log/write-log.js';
import { effectStatements } from '../store/effects.js';
import { readStateRows } from '../store/queries.js';
import type { BookingEntry, Command } from './entries.js';
import { BookingMachine, type Outcome } from './machine.js';

export interface RejectedEntry {
  entry: BookingEntry;
  outcome: Extract<Outcome, { ok: false }>;
}

export class BookingApplier implements Applier<Command> {
  /** Recent rejections by index, so a proposer still waiting learns its entry did not take effect. */
  readonly #rejections = new Map<number, RejectedEntry>();

  constructor(
    readonly machine: BookingMachine,
    /** Where the applied state is read back from after a snapshot install. */
    private readonly db: Pool,
    private readonly onRejected: (rejected: RejectedEntry) => void = () => {},
  ) {}

  prepare(entries: readonly BookingEntry[], throughIndex: number): PreparedBatch<Command> {
    const { effects, outcomes } = this.machine.applyBatch(entries, throughIndex);
    const applied: BookingEntry[] = [];
    entries.forEach((entry, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) {
        applied.push(entry);
        return;
      }
      const rejected = { entry, outcome };
      this.#rejections.set(entry.index, rejected);
      if (this.#rejections.size > REMEMBERED_REJECTIONS) {
        this.#rejections.delete(this.#rejections.keys().next().value!);
      }
      this.onRejected(rejected);
    });
    return { statements: effectStatements(effects), applied };
  }

  /**
   * A snapshot was installed under this node: the machine becomes what the database now holds.
   * In place, because the service and the metrics hold this machine object.
   */
  async reload(): Promise<void> {
    this.machine.replaceWith(BookingMachine.load(await readStateRows(this.db)));
    // Rejections remembered for indexes the snapshot covers can no longer be waited on here.
    this.#rejections.clear();
  }

  /** Why the entry at `index` was rejected, if it was (recently). */
  rejection(index: number): RejectedEntry | undefined {
    return this.#rejections.get(index);
  }
}
