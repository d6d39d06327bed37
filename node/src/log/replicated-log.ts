/**
 * The write log of a node in a cluster: the pure consensus core (cluster/core.ts) driven by real
 * time and MySQL. This class is the core's I/O layer, and follows its Ready contract:
 *
 *   persist (log changes + hard state, and the newly committed entries' effects, in ONE
 *   transaction) → send the messages (a master sends its appends first) → tell waiters → advance.
 *
 * Group commit comes for free: everything proposed while a transaction runs travels in the next
 * Ready, as one transaction here and one append message per slave. It is generic over the command
 * type: what an entry does is the Applier's business (booking/apply.ts).
 *
 * The log is bounded: once `snapshotEvery` applied entries are retained, the older half is
 * compacted (the database state is the snapshot). A slave that needs compacted entries gets the
 * master's state instead (snapshot-transfer.ts), installed here in one transaction.
 */
import type { Logger } from 'pino';
import { ClusterCore, type Ready, type SnapshotPoint } from '../cluster/core.js';
import { catchUpTicks } from '../cluster/election.js';
import type { Entry } from '../cluster/entry.js';
import type { ClusterEventRecord } from '../cluster/events.js';
import type { LamportClock } from '../cluster/lamport.js';
import {
  MAX_BATCH_ENTRIES,
  PERSIST_STALL_VOUCH_MS,
  PROPOSE_TIMEOUT_MS,
  RETRY_BACKOFF_MAX_MS,
  SNAPSHOT_CHUNK_ROWS,
  SNAPSHOT_CHUNK_TIMEOUT_MS,
} from '../limits.js';
import { AppError } from '../protocol/errors.js';
import type { StateReader } from '../store/queries.js';
import { AppliedIndex } from './applied.js';
import type { LogStore, Vote } from './log-store.js';
import {
  type ReceivedSnapshot,
  type SnapshotAnswer,
  SnapshotReceiver,
  streamSnapshot,
} from './snapshot-transfer.js';
import { realTimers, type TimerHandle, type Timers } from './timers.js';
import type { Applier, LogEntry, PreparedBatch, Proposal, WriteLog } from './write-log.js';

export interface ReplicatedLogOptions {
  nodeId: number;
  peerIds: number[];
  heartbeatMs: number;
  failureTimeoutMs: number;
  logger: Logger;
  /** Hands a consensus message to the transport (best effort). */
  send(to: number, message: unknown): void;
  onEvent(event: ClusterEventRecord): void;
  /** Called every heartbeat, e.g. to gossip this node's status to its peers. */
  onHeartbeat?(): void;
  /** A batch of appended entries was made durable here, in `seconds`. */
  onBatch?(entries: number, seconds: number): void;
  /** A proposal of this master committed and applied here, `seconds` after it was proposed. */
  onCommitted?(seconds: number): void;
  /** Applying committed entries failed (the database); it is retried. */
  onApplyFailure?(error: unknown, attempt: number): void;
  /** Recognises a command among the payloads peers send (anything else is refused). */
  isPayload(payload: unknown): boolean;
  /** Readers parked on an index at most. */
  maxWaiters: number;
  /** How long a proposal may wait for its commit before the client is told to retry. */
  proposeTimeoutMs?: number;
  /** Defaults to PERSIST_STALL_VOUCH_MS (limits.ts). */
  persistStallVouchMs?: number;
  /** Compact once this many applied entries are retained (BOOKING_SNAPSHOT_EVERY); the newer half stays. */
  snapshotEvery: number;
  /** Sends one part of a snapshot stream to a peer; resolves with its answer (the transport's request path). */
  sendSnapshot?(to: number, part: unknown, timeoutMs: number): Promise<unknown>;
  /** A snapshot transfer to a slave ended. */
  onSnapshotSent?(outcome: 'ok' | 'failed'): void;
  /** A snapshot from the master was installed here, refused (it would not move this node forward) or failed. */
  onSnapshotInstall?(outcome: 'ok' | 'refused' | 'failed'): void;
  /** Time; real by default (the simulation passes a virtual clock). */
  timers?: Timers;
  /** Election jitter; Math.random by default (the simulation passes a seeded generator). */
  random?: () => number;
}

interface Pending {
  epoch: number;
  lamport: number;
  proposedAt: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  timer: TimerHandle;
}

/** Time slices per heartbeat: fine enough for jitter, coarse enough to cost nothing. */
const TICKS_PER_HEARTBEAT = 5;
/** Entries per append message: a lagging node catches up in bounded chunks. */
const MAX_APPEND_ENTRIES = 64;

export function tickPlan(heartbeatMs: number, failureTimeoutMs: number) {
  const tickMs = Math.max(1, Math.floor(heartbeatMs / TICKS_PER_HEARTBEAT));
  const heartbeatTicks = Math.max(1, Math.round(heartbeatMs / tickMs));
  const failureTimeoutTicks = Math.max(heartbeatTicks + 1, Math.round(failureTimeoutMs / tickMs));
  // OK comes back within a round trip; a third of the failure timeout is plenty on a LAN.
  const electionTimeoutTicks = Math.max(2, Math.round(failureTimeoutTicks / 3));
  return { tickMs, heartbeatTicks, failureTimeoutTicks, electionTimeoutTicks };
}

/** Entries that are cheap to apply: anything but a catalog import may ride in the log's transaction. */
function isLight<C>(e: Entry<C>): boolean {
  return e.kind !== 'command' || (e.payload as { kind?: unknown }).kind !== 'catalog.import';
}

function toLogEntry<C>(e: Entry<C>): LogEntry<C> | null {
  return e.kind === 'command'
    ? { index: e.index, epoch: e.epoch, lamport: e.lamport, command: e.payload }
    : null;
}

export class ReplicatedLog<C, E = unknown> implements WriteLog<C> {
  #core!: ClusterCore<C>;
  readonly #o: ReplicatedLogOptions;
  readonly #t: Timers;
  readonly #plan: ReturnType<typeof tickPlan>;
  readonly #pending = new Map<number, Pending>();
  #timer: TimerHandle | null = null;
  #lastTickAt = 0;
  #ticks = 0;
  /** Since when the pump is inside a Ready's write (see `core.early`), or null. */
  #persistingSince: number | null = null;
  #scheduled = false;
  #pumping: Promise<void> | null = null;
  /** Committed entries handed out by the core, waiting to be applied (in order). */
  readonly #toApply: Entry<C>[] = [];
  readonly #applied: AppliedIndex<C>;
  #servingTerm = 0;
  /** The epoch this node last started serving in (a new serving period always has a new epoch). */
  #servedEpoch: number | null = null;
  /** The last error of applying committed entries, while it keeps failing (null once it worked). */
  #applyError: Error | null = null;
  #applying: Promise<void> | null = null;
  #closed = false;
  readonly #servingListeners = new Set<() => void>();
  /** Snapshot transfers this master runs, by peer (one at a time per peer). */
  readonly #transfers = new Map<number, Promise<void>>();
  /**
   * Peers the core asked a snapshot for while one to them was still running (its last answer in
   * flight): the core asks once per need, so the next transfer starts when that one ends.
   */
  readonly #transferAgain = new Set<number>();
  #transferSeq = 0;
  #receiver!: SnapshotReceiver;
  /**
   * Set while a received snapshot is installed: peer messages and ticks are dropped (a short pause,
   * as after SIGSTOP), so that the core's log stays exactly what storage holds until the core is told.
   */
  #frozen = false;
  /** The vote as last made durable. */
  #saved: Vote = {
    epoch: 0,
    promisedEpoch: 0,
    promisedTo: null,
  };

  constructor(
    private readonly store: LogStore<C, E>,
    private readonly applier: Applier<C, E>,
    private readonly clock: LamportClock,
    appliedIndex: number,
    options: ReplicatedLogOptions,
  ) {
    this.#o = options;
    this.#t = options.timers ?? realTimers;
    this.#plan = tickPlan(options.heartbeatMs, options.failureTimeoutMs);
    this.#applied = new AppliedIndex(appliedIndex, options.maxWaiters);
    this.#receiver = new SnapshotReceiver({
      staging: store.staging,
      now: () => this.#t.now(),
      refuse: (s) => this.#refuseSnapshot(s),
      install: (s) => this.#installSnapshot(s),
      staleMs: SNAPSHOT_CHUNK_TIMEOUT_MS,
    });
  }

  async load(): Promise<void> {
    const stored = await this.store.load();
    this.#saved = stored.vote;
    const isPayload = this.#o.isPayload;
    this.#core = new ClusterCore<C>(
      {
        id: this.#o.nodeId,
        peerIds: this.#o.peerIds,
        heartbeatTicks: this.#plan.heartbeatTicks,
        failureTimeoutTicks: this.#plan.failureTimeoutTicks,
        electionTimeoutTicks: this.#plan.electionTimeoutTicks,
        maxAppendEntries: MAX_APPEND_ENTRIES,
        clock: this.clock,
        // Jitter must differ between nodes and restarts; it never affects safety.
        random: this.#o.random ?? Math.random,
        isPayload: (p: unknown): p is C => isPayload(p),
      },
      {
        ...this.#saved,
        log: stored.log,
        ...(stored.snapshot ? { snapshot: stored.snapshot } : {}),
        // The applied prefix is committed by definition (applied in the same transaction).
        commitIndex: Math.max(stored.commitIndex, this.#applied.index),
        appliedIndex: this.#applied.index,
        lamport: stored.lamport,
      },
    );
    // A node that ran long without compacting (or with a larger BOOKING_SNAPSHOT_EVERY) catches up now.
    this.#maybeCompact();
  }

  start(): void {
    this.#lastTickAt = this.#t.now();
    this.#timer = this.#t.setInterval(() => this.#onTimer(), this.#plan.tickMs);
    this.#schedule();
  }

  get core(): ClusterCore<C> {
    return this.#core;
  }
  get appliedIndex(): number {
    return this.#applied.index;
  }
  get lastIndex(): number {
    return this.#core.lastIndex;
  }
  get servingTerm(): number {
    return this.#servingTerm;
  }
  /** Set while applying committed entries keeps failing (the database is down): the node is not ready. */
  get applyError(): Error | null {
    return this.#applyError;
  }
  /** Readers parked on an index. */
  get readWaiters(): number {
    return this.#applied.waiting;
  }
  get commitIndex(): number {
    return this.#core.commitIndex;
  }
  get epoch(): number {
    return this.#core.epoch;
  }
  get tickMs(): number {
    return this.#plan.tickMs;
  }
  /** While a snapshot from the master is being received or installed: the node is catching up. */
  get installingSnapshot(): boolean {
    return this.#frozen || this.#receiver.receiving;
  }

  /**
   * The core decides: master, view change committed, and applied here (`appliedTo`), so booking
   * decisions see everything any earlier master committed.
   */
  get serving(): boolean {
    return this.#core.serving;
  }

  /** Called each time this node starts serving as master. */
  onServing(listener: () => void): () => void {
    this.#servingListeners.add(listener);
    return () => this.#servingListeners.delete(listener);
  }

  /** A consensus message from an authenticated peer. A message claiming another sender is dropped. */
  receive(from: number, raw: unknown): void {
    if (this.#closed || this.#frozen || (raw as { from?: unknown } | null)?.from !== from) return;
    if (this.#core.step(raw)) this.#schedule();
  }

  peerLink(peer: number, up: boolean): void {
    if (up) this.#core.peerUp(peer);
    else this.#core.peerDown(peer);
    this.#schedule();
  }

  stepDown(): boolean {
    // Quiet for a few failure timeouts: long enough for the next node to win and settle.
    const done = this.#core.stepDown(4 * this.#plan.failureTimeoutTicks);
    this.#schedule();
    return done;
  }

  /**
   * Appends on a serving master only: a master that has not applied its view change yet must not
   * decide anything (its decisions would not see what earlier masters committed).
   */
  propose(command: C): Proposal {
    if (!this.serving || this.#frozen) {
      throw new AppError('NO_MASTER', 'this node is not the serving master; retry shortly');
    }
    const r = this.#core.propose(command);
    if ('notMaster' in r) throw new AppError('NO_MASTER', 'this node is not the master; retry shortly');
    this.#schedule();
    const done = new Promise<void>((resolve, reject) => {
      const timer = this.#t.setTimeout(() => {
        this.#pending.delete(r.index);
        reject(
          new AppError('NO_MASTER', 'the write was not committed in time (failover?); retry shortly', {
            indefinite: true,
          }),
        );
      }, this.#o.proposeTimeoutMs ?? PROPOSE_TIMEOUT_MS);
      this.#pending.set(r.index, {
        epoch: r.epoch,
        lamport: r.lamport,
        proposedAt: this.#t.now(),
        resolve,
        reject,
        timer,
      });
    });
    return { index: r.index, epoch: r.epoch, lamport: r.lamport, done };
  }

  waitApplied(index: number, timeoutMs: number): Promise<boolean> {
    return this.#applied.wait(index, timeoutMs);
  }

  onApplied(listener: (entries: readonly LogEntry<C>[]) => void): () => void {
    return this.#applied.onApplied(listener);
  }

  /** One part of a snapshot stream from peer `from` (the transport's `peer.snapshot`). */
  receiveSnapshot(from: number, part: unknown): Promise<SnapshotAnswer> {
    if (this.#closed) return Promise.resolve({ ok: false, reason: 'node shutting down' });
    return this.#receiver.receive(from, part);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#t.clearInterval(this.#timer);
    await this.#pumping;
    await this.#applying;
    await Promise.all(this.#transfers.values());
    for (const p of this.#pending.values()) {
      this.#t.clearTimeout(p.timer);
      p.reject(new AppError('NO_MASTER', 'node shutting down'));
    }
    this.#pending.clear();
    await this.store.saveLamport(this.clock.time).catch(() => undefined);
  }

  // ---- time -----------------------------------------------------------------------------------

  /**
   * Ticks by elapsed wall time, not by timer callbacks, so timer drift under load does not stretch
   * the timeouts. After a stall (a starved event loop, or SIGSTOP) the catch-up is capped at half the
   * failure timeout (catchUpTicks) and runs after the pending socket data was read (setImmediate runs after the
   * poll phase): the node first hears what its peers said meanwhile, and a stall of its own event
   * loop is not mistaken for silence of the others. Safety never depends on timing: a stale master
   * cannot commit (the others refuse its epoch), it only learns it is stale a little later.
   */
  #onTimer(): void {
    const now = this.#t.now();
    const due = Math.floor((now - this.#lastTickAt) / this.#plan.tickMs);
    if (due <= 0) return;
    this.#lastTickAt += due * this.#plan.tickMs;
    const n = catchUpTicks(due, this.#plan.failureTimeoutTicks);
    this.#t.setImmediate(() => {
      // Time that passes during a snapshot install is lost, like a pause; the cap above still holds.
      if (this.#closed || this.#frozen) return;
      for (let k = 0; k < n; k++) {
        this.#core.tick();
        if (++this.#ticks % this.#plan.heartbeatTicks === 0) this.#o.onHeartbeat?.();
      }
      // The pump waits for a write: what may go out before it does goes now, so that a stalled
      // database (the same one under every node, on one machine) starts no election.
      // Only for a while: a master whose database is gone for good must be replaced.
      const vouch = this.#o.persistStallVouchMs ?? PERSIST_STALL_VOUCH_MS;
      if (this.#persistingSince !== null && this.#t.now() - this.#persistingSince < vouch) {
        for (const m of this.#core.early()) this.#o.send(m.to, m);
      }
      this.#schedule();
    });
  }

  // ---- the Ready loop -------------------------------------------------------------------------

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    this.#t.setImmediate(() => {
      this.#scheduled = false;
      if (!this.#pumping) this.#pumping = this.#pump().finally(() => (this.#pumping = null));
    });
  }

  /**
   * One Ready: persist → send → advance, with two shortcuts that make a batch cost one transaction
   * and one round of messages:
   *
   * - A master sends its appends *before* its own write (Raft thesis 10.2.1): the slaves write in
   *   parallel with it, and the core counts the master's own copy only after `advance`. Messages that
   *   promise something (votes, when the epoch or the promise changed in this Ready) and every
   *   slave's acknowledgement still wait for the write.
   * - Committed entries are applied in the same transaction as the log changes when nothing is
   *   queued before them and none is heavy (a catalog import goes to the applier behind, so that
   *   heartbeats and acks never wait for it). Their proposers are answered before that write:
   *   the entries are already on a majority's disk and their outcomes are decided in memory.
   */
  async #pump(): Promise<void> {
    while (!this.#closed) {
      this.#core.flush();
      if (!this.#core.hasReady()) return;
      const rd = this.#core.ready();
      const early = rd.sendBeforeSync;
      if (early) this.#sendAll(rd);
      const inline =
        rd.committed.length > 0 &&
        rd.committed.length <= MAX_BATCH_ENTRIES &&
        this.#toApply.length === 0 &&
        !this.#applying &&
        rd.committed.every(isLight)
          ? this.#prepare(rd.committed)
          : null;
      // Committed means on a majority's disk, and prepare has decided every outcome (apply is
      // deterministic and total): the proposers can have their answer now instead of after this
      // node's own apply transaction. Reads that ask for the index still wait for that write.
      if (inline) this.#settleAll(rd.committed);
      this.#persistingSince = this.#t.now();
      try {
        await this.#persist(rd, inline);
      } finally {
        this.#persistingSince = null;
      }
      if (this.#closed) return;
      if (!early) this.#sendAll(rd);
      for (const e of rd.events) this.#o.onEvent(e);
      if (rd.persist.truncateFrom !== undefined) {
        for (const [index, p] of this.#pending) {
          if (index >= rd.persist.truncateFrom) this.#settle(index, p, false);
        }
      }
      this.#core.advance(rd);
      if (inline) this.#afterApplied(rd.committed, inline);
      else if (rd.committed.length > 0) {
        this.#toApply.push(...rd.committed);
        this.#startApplier();
      }
      for (const { to } of rd.snapshotNeeded) this.#startTransfer(to);
      this.#noticeServing();
    }
  }

  /** Tells the listeners when a new serving period starts (the core says when it serves). */
  #noticeServing(): void {
    if (!this.#core.serving || this.#servedEpoch === this.#core.epoch) return;
    this.#servedEpoch = this.#core.epoch;
    this.#servingTerm++;
    for (const l of this.#servingListeners) l();
  }

  #sendAll(rd: Ready<C>): void {
    for (const m of rd.messages) this.#o.send(m.to, m);
  }

  /** Which rows to write: the vote rows only when the vote differs from what is stored. */
  #voteChanged(rd: Ready<C>): boolean {
    const hard = rd.persist.hardState;
    return (
      hard !== undefined &&
      (hard.epoch !== this.#saved.epoch ||
        hard.promisedEpoch !== this.#saved.promisedEpoch ||
        hard.promisedTo !== this.#saved.promisedTo)
    );
  }

  #prepare(batch: readonly Entry<C>[]): { prepared: PreparedBatch<C, E>; through: number } {
    const commands = batch.map(toLogEntry).filter((e): e is LogEntry<C> => e !== null);
    const through = batch.at(-1)!.index;
    return { prepared: this.applier.prepare(commands, through), through };
  }

  async #persist(
    rd: Ready<C>,
    apply: { prepared: PreparedBatch<C, E>; through: number } | null,
  ): Promise<void> {
    const hard = rd.persist.hardState;
    // Without mustSync only the commit index and the Lamport time changed: they ride along with the
    // next write (losing them costs a re-learn from the master; alone, an fsync per heartbeat).
    const voteChanged = this.#voteChanged(rd);
    if (!rd.mustSync && !apply) return;
    const h = hard ?? { ...this.#saved, commitIndex: this.#core.commitIndex, lamport: this.clock.time };
    const vote = { epoch: h.epoch, promisedEpoch: h.promisedEpoch, promisedTo: h.promisedTo };
    const started = this.#t.now();
    await this.#retrying(
      apply
        ? 'persisting the replicated log and applying committed entries'
        : 'persisting the replicated log',
      () =>
        this.store.write({
          log: rd.persist,
          ...(apply ? { effects: apply.prepared.statements, appliedIndex: apply.through } : {}),
          // The vote rows only when the vote changed: fewer rows per batch for MySQL to write.
          ...(voteChanged ? { vote } : {}),
          commitIndex: h.commitIndex,
          lamport: h.lamport,
        }),
      apply ? (error, attempt) => this.#applyFailed(error, attempt) : undefined,
    );
    if (hard) this.#saved = vote;
    if (rd.persist.append.length > 0) {
      this.#o.onBatch?.(rd.persist.append.length, (this.#t.now() - started) / 1000);
    }
  }

  #applyFailed(error: unknown, attempt: number): void {
    this.#applyError = error instanceof Error ? error : new Error(String(error));
    this.#o.onApplyFailure?.(error, attempt);
  }

  /** After a batch's effects are durable: wake readers, answer proposers, maybe start serving. */
  #afterApplied(batch: readonly Entry<C>[], done: { prepared: PreparedBatch<C, E>; through: number }): void {
    this.#applyError = null;
    this.#core.appliedTo(done.through);
    this.#applied.advance(done.through, done.prepared.applied);
    this.#settleAll(batch);
    this.#noticeServing();
    this.#maybeCompact();
  }

  // ---- compaction and snapshots ---------------------------------------------------------------

  /**
   * Drops the older half of the applied entries once `snapshotEvery` are retained. Only below this
   * node's durable applied index: the database already holds their effects, so it is the snapshot
   * (the core clamps to its own applied index, which counts entries handed out, not yet written).
   * The next Ready deletes them from the table in its transaction (`persist.base`).
   */
  #maybeCompact(): void {
    const every = this.#o.snapshotEvery;
    const applied = this.#core.appliedIndex;
    if (applied - this.#core.snapshotIndex < every) return;
    if (this.#core.compact(applied - Math.floor(every / 2))) this.#schedule();
  }

  /**
   * Master: streams the applied state to `to`, which needs entries this log compacted away. The
   * state is read in one consistent snapshot at its applied index S and labelled with S's entry
   * (`snapshotPoint`), so the slave gets exactly the state after the committed prefix up to S.
   */
  #startTransfer(to: number): void {
    const send = this.#o.sendSnapshot;
    if (!send || this.#closed) return;
    if (this.#transfers.has(to)) {
      this.#transferAgain.add(to);
      return;
    }
    const epoch = this.#core.epoch;
    const transfer = `${this.#o.nodeId}-${epoch}-${++this.#transferSeq}`;
    const stillValid = () => !this.#closed && this.#core.role === 'master' && this.#core.epoch === epoch;
    const run = (async () => {
      let reader: StateReader | null = null;
      try {
        reader = await this.store.openStateReader();
        const point = this.#core.snapshotPoint(reader.appliedIndex);
        if (!point) throw new Error(`no snapshot point for applied index ${reader.appliedIndex}`);
        const started = this.#t.now();
        const sent = await streamSnapshot({
          transfer,
          reader,
          point,
          masterEpoch: epoch,
          chunkRows: SNAPSHOT_CHUNK_ROWS,
          send: (part) => send(to, part, SNAPSHOT_CHUNK_TIMEOUT_MS),
          stillValid,
        });
        this.#o.logger.info(
          { peer: to, index: point.index, ...sent, seconds: (this.#t.now() - started) / 1000 },
          'snapshot sent',
        );
        this.#o.onSnapshotSent?.('ok');
        if (stillValid()) {
          this.#core.reportSnapshot(to, true, point.index);
          this.#schedule();
        }
      } catch (error) {
        this.#o.logger.warn({ err: error, peer: to }, 'snapshot transfer failed');
        this.#o.onSnapshotSent?.('failed');
        // The core asks again (a later Ready's snapshotNeeded) while the peer still needs one.
        if (!this.#closed) {
          this.#core.reportSnapshot(to, false);
          this.#schedule();
        }
      } finally {
        await reader?.close();
        this.#transfers.delete(to);
        // Asked again while this one ran, perhaps by a later epoch of ours (this transfer's own
        // epoch may be over): start afresh in the current one (found by the driver simulation,
        // seed 512: a transfer that outlived its epoch left the new epoch's request unserved).
        if (this.#transferAgain.delete(to) && !this.#closed && this.#core.role === 'master') {
          this.#startTransfer(to);
        }
      }
    })();
    this.#transfers.set(to, run);
  }

  /** Slave, at the start of a transfer: only a snapshot from a current master that moves us forward. */
  #refuseSnapshot(s: ReceivedSnapshot): string | null {
    return this.#core.snapshotRefusal(s.point as SnapshotPoint, s.masterEpoch);
  }

  /**
   * Slave, once every chunk is staged: install in one transaction, then tell the core. First the
   * node is frozen (peer messages and ticks dropped) and everything the core already handed out is
   * made durable and applied, so storage holds exactly the core's log and nothing moves until
   * `installSnapshot`. The transaction writes the state, applied_index = S, the log's new start, the
   * deletion of stored entries up to S (and after it, if our log disagrees at S: the core then drops
   * them too), and the hard state the core is about to take, so that the promise to the sender's
   * epoch is durable before anything can be acknowledged on the strength of the snapshot.
   */
  async #installSnapshot(s: ReceivedSnapshot): Promise<string | null> {
    if (this.#frozen) return 'another snapshot is being installed';
    this.#frozen = true;
    try {
      await this.#drain();
      if (this.#closed) return 'node shutting down';
      const refusal = this.#refuseSnapshot(s);
      if (refusal) {
        this.#o.onSnapshotInstall?.('refused');
        return refusal;
      }
      const { point, from, masterEpoch } = s;
      const keepAfter = this.#core.entry(point.index)?.epoch === point.epoch;
      const raise = masterEpoch > this.#core.promisedEpoch;
      const hard = {
        epoch: Math.max(this.#core.epoch, masterEpoch),
        promisedEpoch: raise ? masterEpoch : this.#core.promisedEpoch,
        promisedTo: raise ? from : this.#saved.promisedTo,
      };
      const started = this.#t.now();
      try {
        await this.store.installSnapshot({
          point,
          keepAfter,
          vote: hard,
          commitIndex: Math.max(this.#core.commitIndex, point.index),
          lamport: Math.max(this.clock.time, point.lamport),
        });
      } catch (error) {
        this.#o.logger.error({ err: error, index: point.index }, 'installing a snapshot failed');
        this.#o.onSnapshotInstall?.('failed');
        throw error;
      }
      this.#saved = hard;
      // The database is the snapshot now; the in-memory state must follow before anything applies.
      await this.#retrying('reloading the state after a snapshot install', () => this.applier.reload());
      if (this.#closed) return 'node shutting down';
      this.#core.installSnapshot(point as SnapshotPoint, from, masterEpoch);
      this.#applyError = null;
      this.#applied.advance(point.index, []);
      this.#o.onSnapshotInstall?.('ok');
      this.#o.logger.info(
        { from, index: point.index, keptLog: keepAfter, seconds: (this.#t.now() - started) / 1000 },
        'snapshot installed',
      );
      return null;
    } finally {
      this.#frozen = false;
      this.#schedule();
    }
  }

  /** Waits until no Ready is in flight, nothing waits to be applied and the core has nothing new. */
  async #drain(): Promise<void> {
    while (!this.#closed) {
      if (this.#pumping) await this.#pumping;
      else if (this.#applying) await this.#applying;
      else if (this.#core.hasReady()) this.#pumping = this.#pump().finally(() => (this.#pumping = null));
      else return;
    }
  }

  /**
   * Applies committed entries in order, many per transaction, then acknowledges their proposers.
   * The state machine decides a batch's effects once (in memory); a failed transaction is retried
   * with the same effects until the database takes them.
   */
  /**
   * Starts the applier unless it runs. When it ends it looks again: entries handed to it between
   * its last check and the end of its promise would otherwise wait for the next commit.
   */
  #startApplier(): void {
    if (this.#applying || this.#closed) return;
    this.#applying = this.#applyLoop().finally(() => {
      this.#applying = null;
      if (this.#toApply.length > 0) this.#startApplier();
    });
  }

  async #applyLoop(): Promise<void> {
    while (this.#toApply.length > 0 && !this.#closed) {
      const batch = this.#toApply.splice(0, MAX_BATCH_ENTRIES);
      const done = this.#prepare(batch);
      await this.#retrying(
        'applying committed entries',
        () => this.store.write({ effects: done.prepared.statements, appliedIndex: done.through }),
        (error, attempt) => this.#applyFailed(error, attempt),
      );
      if (this.#closed) return;
      this.#afterApplied(batch, done);
    }
  }

  /**
   * A Ready cannot be taken back, and nothing of it may be sent before it is durable: retry until
   * the database answers. Meanwhile the node is silent, which its peers treat as a failure.
   */
  async #retrying(
    what: string,
    work: () => Promise<void>,
    onFailure?: (error: unknown, attempt: number) => void,
  ): Promise<void> {
    for (let attempt = 0; !this.#closed; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        this.#o.logger.error({ err: error, attempt }, `${what} failed; retrying`);
        onFailure?.(error, attempt);
        await new Promise((r) =>
          this.#t.setTimeout(() => r(undefined), Math.min(RETRY_BACKOFF_MAX_MS, 50 * 2 ** attempt)),
        );
      }
    }
  }

  /** Answers the proposers of committed entries (those already answered are no longer pending). */
  #settleAll(batch: readonly Entry<C>[]): void {
    for (const e of batch) {
      const p = this.#pending.get(e.index);
      if (p) this.#settle(e.index, p, e.epoch === p.epoch && e.lamport === p.lamport);
    }
  }

  /** Acknowledges a proposal if its own entry committed, or fails it if another took its place. */
  #settle(index: number, p: Pending, ours: boolean): void {
    this.#pending.delete(index);
    this.#t.clearTimeout(p.timer);
    if (ours) {
      this.#o.onCommitted?.((this.#t.now() - p.proposedAt) / 1000);
      p.resolve();
    } else p.reject(new AppError('NO_MASTER', 'the write was lost in a failover; retry shortly'));
  }
}
