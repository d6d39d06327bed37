/**
 * The driver simulation's storage: what MySQL holds for one node (log, meta, the state machine's
 * applied content, a staged snapshot), in memory, behind the production `LogStore` port.
 *
 * Every operation completes later, on the node's virtual timers: a slow disk is a large latency,
 * a failing database an operation that rejects (the driver retries), and a crash drops whatever
 * had not completed, so a write the node was waiting for is lost as an uncommitted transaction
 * is. A completed write is atomic: all of it or nothing.
 */
import type { Entry } from '../../../src/cluster/entry.js';
import type { SnapshotPoint } from '../../../src/cluster/replication-log.js';
import type {
  LogStore,
  LogWrite,
  SnapshotInstall,
  SnapshotStaging,
  StoredLog,
  Vote,
} from '../../../src/log/log-store.js';
import type { Timers } from '../../../src/log/timers.js';
import type { SnapshotRows, SnapshotTable, StateReader } from '../../../src/store/queries.js';

export interface Payload {
  /** Unique per client command, so the checker can find it everywhere. */
  id: string;
  /** 'catalog.import' makes the entry heavy: the driver applies it behind the log, not inline. */
  kind?: string;
}

/** A command as the state machine stored it (its effect). */
export interface AppliedCommand {
  index: number;
  epoch: number;
  lamport: number;
  id: string;
}

/** The one effect the simulated state machine has: these commands took effect. */
export interface Effect {
  commands: AppliedCommand[];
}

/** The table the simulated state travels in during a snapshot transfer. */
const STATE_TABLE: SnapshotTable = 'bookings';
const COLUMNS = ['idx', 'epoch', 'lamport', 'id'];

export interface DiskWeather {
  /** Milliseconds an operation takes: min + random * spread. */
  latency(): number;
  /** Whether this operation fails (the database is down for it). */
  fails(): boolean;
  /**
   * A lying disk (for the checker's own test): a write reports done at once and reaches the disk
   * only later, so a crash in between loses what the driver was told is durable.
   */
  lies?: boolean;
  /** Hears of every write that reached the disk (the replay trace shows them). */
  wrote?: (what: string) => void;
}

export class MemoryDisk {
  vote: Vote = { epoch: 0, promisedEpoch: 0, promisedTo: null };
  commitIndex = 0;
  lamport = 0;
  base: SnapshotPoint | undefined;
  log: Entry<Payload>[] = [];
  appliedIndex = 0;
  applied: AppliedCommand[] = [];
  staged: AppliedCommand[] | null = null;
  /** Completed writes (for the checker: whether the disk changed since it last looked). */
  version = 0;

  get baseIndex(): number {
    return this.base?.index ?? 0;
  }

  /** The durable entry at `index`, if the stored log holds it. */
  entry(index: number): Entry<Payload> | undefined {
    return this.log[index - this.baseIndex - 1];
  }

  write(w: LogWrite<Payload, Effect>): void {
    if (w.log) {
      const { base, truncateFrom, append } = w.log;
      if (base && base.index > this.baseIndex) {
        this.log = this.log.filter((e) => e.index > base.index);
        this.base = base;
      }
      if (truncateFrom !== undefined) {
        this.log.length = Math.max(0, Math.min(this.log.length, truncateFrom - this.baseIndex - 1));
      }
      for (const e of append) {
        if (e.index !== this.baseIndex + this.log.length + 1) {
          throw new Error(`append at ${e.index} leaves a gap after ${this.baseIndex + this.log.length}`);
        }
        this.log.push(structuredClone(e));
      }
    }
    for (const effect of w.effects ?? []) {
      for (const c of effect.commands) {
        const last = this.applied.at(-1)?.index ?? 0;
        if (c.index <= last || c.index <= this.appliedIndex) {
          throw new Error(`applied ${c.index} after ${Math.max(last, this.appliedIndex)}`);
        }
        this.applied.push({ ...c });
      }
    }
    if (w.appliedIndex !== undefined) {
      if (w.appliedIndex < this.appliedIndex) {
        throw new Error(`applied index moved back from ${this.appliedIndex} to ${w.appliedIndex}`);
      }
      this.appliedIndex = w.appliedIndex;
    }
    if (w.vote) this.vote = { ...w.vote };
    if (w.commitIndex !== undefined) this.commitIndex = w.commitIndex;
    if (w.lamport !== undefined) this.lamport = w.lamport;
    this.version++;
  }

  install(s: SnapshotInstall): void {
    if (!this.staged) throw new Error('install without a staged snapshot');
    this.applied = this.staged;
    this.staged = null;
    this.appliedIndex = s.point.index;
    this.base = s.point;
    this.log = s.keepAfter ? this.log.filter((e) => e.index > s.point.index) : [];
    this.vote = { ...s.vote };
    this.commitIndex = s.commitIndex;
    this.lamport = s.lamport;
    this.version++;
  }
}

function describeWrite(w: LogWrite<Payload, Effect>): string {
  const parts: string[] = [];
  const l = w.log;
  if (l?.base) parts.push(`base ${l.base.index}`);
  if (l?.truncateFrom !== undefined) parts.push(`truncate from ${l.truncateFrom}`);
  if (l && l.append.length > 0)
    parts.push(`append ${l.append[0]!.index}..${l.append.at(-1)!.index}@${l.append.at(-1)!.epoch}`);
  if (w.appliedIndex !== undefined) parts.push(`applied ${w.appliedIndex}`);
  if (w.vote) parts.push(`vote ${JSON.stringify(w.vote)}`);
  if (w.commitIndex !== undefined) parts.push(`commit ${w.commitIndex}`);
  return parts.join(', ');
}

/**
 * The port over a disk for one incarnation of its node: operations complete on that incarnation's
 * timers, so a crash loses the ones still running. `onFatal` hears of a write the disk refused as
 * impossible (a gap, the applied index moving back): a driver bug, reported by the checker.
 */
export function memoryLogStore(
  disk: MemoryDisk,
  timers: Timers,
  weather: DiskWeather,
  onFatal: (error: Error) => void,
): LogStore<Payload, Effect> {
  const later = <T>(work: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const fail = weather.fails();
      timers.setTimeout(() => {
        if (fail) return reject(new Error('simulated database failure'));
        try {
          resolve(work());
        } catch (error) {
          onFatal(error as Error);
          reject(error);
        }
      }, weather.latency());
    });
  const staging: SnapshotStaging = {
    reset: () =>
      later(() => {
        disk.staged = [];
      }),
    stage: (table, columns, rows) =>
      later(() => {
        if (table !== STATE_TABLE || columns.join() !== COLUMNS.join() || !disk.staged) {
          throw new Error(`unexpected snapshot chunk of ${table}`);
        }
        for (const [index, epoch, lamport, id] of rows as [number, number, number, string][]) {
          disk.staged.push({ index, epoch, lamport, id });
        }
      }),
    drop: () =>
      later(() => {
        disk.staged = null;
      }),
  };
  return {
    staging,
    load: () =>
      later(
        (): StoredLog<Payload> => ({
          vote: { ...disk.vote },
          commitIndex: disk.commitIndex,
          lamport: disk.lamport,
          ...(disk.base ? { snapshot: { ...disk.base } } : {}),
          log: structuredClone(disk.log),
        }),
      ),
    write: (w) => {
      // The transaction's content is fixed when it is sent, as a SQL text would be.
      const copy = structuredClone(w);
      const done = () => {
        disk.write(copy);
        weather.wrote?.(describeWrite(copy));
      };
      if (weather.lies) {
        void later(done).catch(() => {});
        return Promise.resolve();
      }
      return later(done);
    },
    saveLamport: (time) =>
      later(() => {
        disk.lamport = Math.max(disk.lamport, time);
      }),
    openStateReader: () =>
      later((): StateReader => {
        // A consistent read: a copy of the applied state as of now.
        const appliedIndex = disk.appliedIndex;
        const rows = disk.applied.map((c) => [c.index, c.epoch, c.lamport, c.id]);
        return {
          appliedIndex,
          rows: (table, after, limit) =>
            later((): SnapshotRows => {
              if (table !== STATE_TABLE) return { columns: COLUMNS, rows: [], next: null };
              const from =
                after === null ? 0 : rows.findIndex((r) => (r[0] as number) > (after[0] as number));
              const part = from < 0 ? [] : rows.slice(from, from + limit);
              const last = part.at(-1);
              return { columns: COLUMNS, rows: part, next: last && part.length === limit ? [last[0]] : null };
            }),
          close: () => Promise.resolve(),
        };
      }),
    installSnapshot: (s) => {
      const copy = structuredClone(s);
      return later(() => {
        disk.install(copy);
        weather.wrote?.(
          `install ${copy.point.index}@${copy.point.epoch}${copy.keepAfter ? ' keeping the log after it' : ''}`,
        );
      });
    },
  };
}
