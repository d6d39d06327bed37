/**
 * Snapshot transfer between a master and a slave that needs entries the master compacted away
 * (docs/cluster.md, "Compaction and snapshot install in the driver"). The master reads its applied
 * state in one consistent read (store/queries.ts `openStateReader`) and streams it table by table
 * in bounded chunks, one request at a time: each answer says the chunk is stored, so at most one
 * chunk is in flight and a stalled slave fails the transfer by timeout. The slave stages the chunks
 * beside its live tables and installs them in one transaction when the last part arrives; its live
 * state is untouched until then, so a crash or a broken stream leaves the old state intact.
 *
 *   begin {transfer, point, masterEpoch}      → {ok} | {ok: false, reason}
 *   chunk {transfer, seq, table, columns, rows}
 *   end   {transfer, seq, rows}               → answered after the install
 */
import type { SnapshotPoint } from '../cluster/replication-log.js';
import { isSnapshotTable, SNAPSHOT_TABLES, type SnapshotTable, type StateReader } from '../store/queries.js';
import type { SnapshotStaging } from './log-store.js';

export type SnapshotPart =
  | { kind: 'begin'; transfer: string; point: SnapshotPoint; masterEpoch: number }
  | {
      kind: 'chunk';
      transfer: string;
      seq: number;
      table: SnapshotTable;
      columns: string[];
      rows: unknown[][];
    }
  | { kind: 'end'; transfer: string; seq: number; rows: number };

export type SnapshotAnswer = { ok: true } | { ok: false; reason: string };

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function isPoint(v: unknown): v is SnapshotPoint {
  const p = v as Partial<SnapshotPoint> | null;
  return !!p && isCount(p.index) && p.index > 0 && isCount(p.epoch) && isCount(p.lamport);
}

/** Validates a part as it came off the wire (the peer is authenticated, but a bug must not corrupt). */
export function parseSnapshotPart(raw: unknown): SnapshotPart | null {
  const m = raw as Record<string, unknown> | null;
  if (!m || typeof m.transfer !== 'string' || m.transfer.length === 0 || m.transfer.length > 64) return null;
  if (m.kind === 'begin') {
    return isPoint(m.point) && isCount(m.masterEpoch) ? (m as unknown as SnapshotPart) : null;
  }
  if (m.kind === 'chunk') {
    const ok =
      isCount(m.seq) &&
      isSnapshotTable(m.table) &&
      Array.isArray(m.columns) &&
      m.columns.every((c) => typeof c === 'string') &&
      Array.isArray(m.rows);
    return ok ? (m as unknown as SnapshotPart) : null;
  }
  if (m.kind === 'end') return isCount(m.seq) && isCount(m.rows) ? (m as unknown as SnapshotPart) : null;
  return null;
}

// ---- master side ------------------------------------------------------------------------------

export interface StreamOptions {
  transfer: string;
  reader: StateReader;
  point: SnapshotPoint;
  masterEpoch: number;
  chunkRows: number;
  /** Sends one part and resolves with the slave's answer. */
  send(part: SnapshotPart): Promise<unknown>;
  /** False once this node is no longer the master that started the transfer: stop. */
  stillValid(): boolean;
}

/** Streams the state `reader` sees to the slave; resolves once it installed it, throws otherwise. */
export async function streamSnapshot(o: StreamOptions): Promise<{ rows: number; chunks: number }> {
  const call = async (part: SnapshotPart) => {
    if (!o.stillValid()) throw new Error('no longer the master that started this transfer');
    const answer = (await o.send(part)) as SnapshotAnswer | null;
    if (answer?.ok !== true) {
      throw new Error(
        `the slave refused the snapshot: ${answer?.ok === false ? answer.reason : 'no answer'}`,
      );
    }
  };
  await call({ kind: 'begin', transfer: o.transfer, point: o.point, masterEpoch: o.masterEpoch });
  let seq = 0;
  let rows = 0;
  for (const { name } of SNAPSHOT_TABLES) {
    let after: unknown[] | null = null;
    do {
      const chunk = await o.reader.rows(name, after, o.chunkRows);
      if (chunk.rows.length > 0) {
        await call({
          kind: 'chunk',
          transfer: o.transfer,
          seq: seq++,
          table: name,
          columns: chunk.columns,
          rows: chunk.rows,
        });
        rows += chunk.rows.length;
      }
      after = chunk.next;
    } while (after !== null);
  }
  await call({ kind: 'end', transfer: o.transfer, seq, rows });
  return { rows, chunks: seq };
}

// ---- slave side -------------------------------------------------------------------------------

export interface ReceivedSnapshot {
  from: number;
  point: SnapshotPoint;
  masterEpoch: number;
}

export interface ReceiverOptions {
  staging: SnapshotStaging;
  /** Milliseconds, monotonic (the driver's clock). */
  now(): number;
  /** A refusal reason if a snapshot labelled `point` from `from` cannot move this node forward. */
  refuse(s: ReceivedSnapshot): string | null;
  /** Installs the staged snapshot; resolves with a refusal reason, or null once it is installed. */
  install(s: ReceivedSnapshot): Promise<string | null>;
  /** How long a transfer may be silent before it no longer counts as running. */
  staleMs: number;
}

/**
 * The slave's end of the stream. One transfer at a time: a `begin` (the master restarted, or a new
 * master) replaces whatever was staged. Parts are handled strictly one after another.
 */
export class SnapshotReceiver {
  #current: (ReceivedSnapshot & { transfer: string; seq: number; rows: number }) | null = null;
  #lastPartAt = 0;
  #installing = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ReceiverOptions) {}

  /** Whether a transfer is under way (a part arrived recently): the node is catching up. */
  get receiving(): boolean {
    return this.#installing || (this.#current !== null && this.o.now() - this.#lastPartAt < this.o.staleMs);
  }

  receive(from: number, raw: unknown): Promise<SnapshotAnswer> {
    const run = this.#queue.then(() => this.#handle(from, raw));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #handle(from: number, raw: unknown): Promise<SnapshotAnswer> {
    const part = parseSnapshotPart(raw);
    if (!part) return { ok: false, reason: 'malformed snapshot part' };
    this.#lastPartAt = this.o.now();
    if (part.kind === 'begin') {
      this.#current = null;
      const s = { from, point: part.point, masterEpoch: part.masterEpoch };
      const refusal = this.o.refuse(s);
      if (refusal) return { ok: false, reason: refusal };
      await this.o.staging.reset();
      this.#current = { ...s, transfer: part.transfer, seq: 0, rows: 0 };
      return { ok: true };
    }
    const t = this.#current;
    if (!t || t.transfer !== part.transfer || t.from !== from) {
      return { ok: false, reason: 'no such transfer running here' };
    }
    if (part.seq !== t.seq) {
      this.#current = null;
      return { ok: false, reason: `chunk ${part.seq} arrived where ${t.seq} was due` };
    }
    if (part.kind === 'chunk') {
      try {
        await this.o.staging.stage(part.table, part.columns, part.rows);
      } catch (error) {
        this.#current = null;
        throw error;
      }
      t.seq++;
      t.rows += part.rows.length;
      return { ok: true };
    }
    if (part.rows !== t.rows) {
      this.#current = null;
      return { ok: false, reason: `${t.rows} rows arrived of ${part.rows}` };
    }
    let refusal: string | null;
    this.#installing = true;
    try {
      refusal = await this.o.install(t);
    } finally {
      this.#installing = false;
      this.#current = null;
    }
    if (refusal) return { ok: false, reason: refusal };
    // The staged copy is in the live tables now; the space goes back (best effort: the next
    // transfer drops and recreates the staging tables anyway).
    await this.o.staging.drop().catch(() => undefined);
    return { ok: true };
  }
}
