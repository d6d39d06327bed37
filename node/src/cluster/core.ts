import {
  atLeastAsUpToDate,
  deadline,
  type LogEnd,
  type LogPosition,
  majority,
  mostUpToDate,
} from './election.js';
import type { Entry, HardState } from './entry.js';
import type { ClusterEventRecord, ClusterEventType } from './events.js';
import { LamportClock } from './lamport.js';
import {
  type AppendMessage,
  type FetchReplyMessage,
  type PeerMessage,
  type PeerMessageBody,
  type PreVoteMessage,
  parsePeerMessage,
} from './messages.js';
import { mulberry32 } from './prng.js';
import { freshProgress, hasActiveQuorum, type PeerProgress, quorumMatch } from './progress.js';
import { EMPTY_PREFIX, type LogChanges, ReplicationLog, type SnapshotPoint } from './replication-log.js';

export type { SnapshotPoint } from './replication-log.js';

export type Role = 'master' | 'slave' | 'candidate';

export interface ClusterConfig<P = unknown> {
  id: number;
  /** The other configured nodes. Majorities are of peerIds.length + 1, alive or not. */
  peerIds: readonly number[];
  /** The master sends an append (maybe empty) to every slave this often. */
  heartbeatTicks: number;
  /**
   * A slave that has not heard its master for this long starts an election; a master that has not
   * heard a majority for this long steps down. Keep it several heartbeats long.
   */
  failureTimeoutTicks: number;
  /** How long a node waits for OK after ELECTION before it stands itself. */
  electionTimeoutTicks: number;
  /** Cap on entries per append message (a lagging slave catches up in chunks). Default 512. */
  maxAppendEntries?: number;
  /** Seeded PRNG in [0, 1) for election jitter. Default: mulberry32(id). */
  random?: () => number;
  /**
   * The node's Lamport clock, shared with whatever else on the node stamps events, so that one
   * node has one clock. Default: a private clock.
   */
  clock?: LamportClock;
  /** Validates payloads arriving from peers; a message carrying a bad one is ignored. */
  isPayload?: (payload: unknown) => payload is P;
  /**
   * Deliberately broken variants, only for showing that the simulation's checker catches them.
   * Never set these outside tests.
   */
  unsafe?: {
    commitWithoutQuorum?: boolean;
    skipLogAdoption?: boolean;
    skipPreVote?: boolean;
    /** Drop the whole log on a snapshot install, even entries after the point it has acked. */
    resetLogOnSnapshot?: boolean;
    /** Serve once the view change committed, before this node applied what earlier masters committed. */
    serveBeforeApplied?: boolean;
  };
}

/** What the I/O layer loaded from durable storage at start (all of it optional on first boot). */
export interface PersistedState<P> {
  epoch: number;
  promisedEpoch?: number;
  promisedTo?: number | null;
  /** The stored log: the entries after `snapshot.index`, contiguous. */
  log: readonly Entry<P>[];
  /** Where the stored log starts (the last `persist.base` written). Default: never compacted. */
  snapshot?: SnapshotPoint;
  commitIndex?: number;
  /**
   * Last index the application has applied durably (its own bookkeeping, e.g. in the same DB). Never
   * below `snapshot.index`: the state covers the compacted prefix.
   */
  appliedIndex?: number;
  lamport: number;
}

/**
 * One batch of work for the I/O layer, etcd-Ready style. Handle it in this order:
 *
 * 1. `persist`: if `mustSync`, durably (one transaction is best): if `base` is set delete log
 *    entries <= base.index and store `base` as where the log starts, delete log entries >=
 *    `truncateFrom` if set, insert `append`, and save `hardState` if set. Without `mustSync` only the
 *    commit index and Lamport time changed: they may wait for the next write (losing them costs a
 *    re-learn from the master), so no fsync is owed. Messages promise things (votes, acks) that are
 *    only true once the write is durable: send them after it, unless `sendBeforeSync`.
 * 2. `messages`: send each to `message.to` (best effort; losing them is fine, reordering is fine).
 *    With `sendBeforeSync` (a master whose vote did not change: its appends promise nothing, and it
 *    counts its own copy only from `advance`) they may go out before or during the write, so the
 *    slaves write in parallel with the master (Raft thesis 10.2.1).
 * 3. `committed`: apply in order (skip `kind: 'barrier'`), and report each durably applied prefix
 *    with `appliedTo(index)`. This may lag behind (a separate applier): the entries are committed,
 *    and after a crash the core hands out again everything after the persisted applied index.
 * 4. `advance(ready)`: after step 1; the master counts its own copy towards a majority from here.
 * 5. `snapshotNeeded` (master only, any time): each peer listed needs entries this log compacted
 *    away. Stream it the state machine's snapshot (see `snapshotPoint`), out of the core, and call
 *    `reportSnapshot(peer, ok, index)` when the transfer ends, whichever way: the core asks again
 *    (a later `snapshotNeeded`) while the peer still needs one, never while a transfer runs.
 *
 * Call `ready()` again only after `advance()` of the previous one. `tick`, `step`, `propose` and
 * `flush` may be called at any time in between; their output goes into the next Ready.
 */
export interface Ready<P> {
  persist: LogChanges<P> & { hardState?: HardState };
  /** The log or the vote changed: `persist` must be durable before the messages go out. */
  mustSync: boolean;
  /** The messages may go out before `persist` is durable (see step 2). */
  sendBeforeSync: boolean;
  messages: PeerMessage<P>[];
  committed: Entry<P>[];
  events: ClusterEventRecord[];
  snapshotNeeded: SnapshotNeeded[];
}

/** A slave needs entries below `firstIndex`, which the master's log no longer holds. */
export interface SnapshotNeeded {
  to: number;
  firstIndex: number;
}

export type ProposeResult = { index: number; epoch: number; lamport: number } | { notMaster: number | null };

/** For `cluster.status`. `matchIndex` is only known on the master. */
export interface PeerView {
  id: number;
  alive: boolean;
  /** Ticks since anything was heard from the peer (null: never, since this process started). */
  lastHeardTicksAgo: number | null;
  matchIndex: number | null;
  caughtUp: boolean | null;
  /** Master only: waiting for the peer to install a snapshot. */
  snapshotting: boolean | null;
}

type ElectionPhase =
  /** Sent ELECTION to the higher ids, waiting for an OK. */
  | { kind: 'electing'; deadline: number; reason: string }
  /** A higher id answered OK; waiting for it to announce itself. */
  | { kind: 'awaiting'; deadline: number; reason: string }
  /**
   * Asked everyone whether they would accept a candidacy (nothing durable changed yet); `granted`
   * holds the yes votes of this `round`, self included.
   */
  | {
      kind: 'pre-voting';
      round: number;
      deadline: number;
      reason: string;
      takeover: boolean;
      granted: Set<number>;
      refused: Set<number>;
    }
  /** Announced COORDINATOR for `epoch`, collecting promises (each with the promiser's log end). */
  | {
      kind: 'collecting';
      epoch: number;
      deadline: number;
      sentAt: number;
      promises: Map<number, LogPosition>;
    }
  /** A majority promised; fetching the missing suffix of the most up-to-date log from `from`. */
  | {
      kind: 'fetching';
      epoch: number;
      deadline: number;
      sentAt: number;
      from: number;
      fromIndex: number;
      knownCommit: number;
    };

/**
 * The consensus core of one node: bully election with epochs and pre-vote, VR-style view change,
 * majority replication with group commit, Lamport time. A pure state machine: no I/O, no timers, no clock,
 * no Math.random. Time arrives as `tick()`, peer messages as `step()`, client commands as
 * `propose()`; everything it wants done leaves through `ready()`.
 *
 * The log is kept in memory from the last snapshot point on (`compact()`, `installSnapshot()`).
 */
export class ClusterCore<P = unknown> {
  readonly id: number;
  readonly peerIds: readonly number[];
  readonly #peerSet: ReadonlySet<number>;
  readonly #cfg: Required<Omit<ClusterConfig<P>, 'isPayload' | 'unsafe' | 'clock'>> &
    Pick<ClusterConfig<P>, 'isPayload' | 'unsafe'>;
  readonly #clock: LamportClock;
  readonly #log: ReplicationLog<P>;

  #role: Role = 'slave';
  #masterId: number | null = null;
  #epoch: number;
  #promisedEpoch: number;
  #promisedTo: number | null;
  #commitIndex: number;
  /** Durably applied by the driver (`appliedTo`): never more than was handed out. */
  #appliedIndex: number;
  /** Committed entries up to here have been handed out in a Ready. */
  #handedOut: number;
  /** The vote as last made durable (advance() of the Ready that carried it). */
  #durableVote: { epoch: number; promisedEpoch: number; promisedTo: number | null };
  /** Log prefix known durable (advance() of the Ready that carried it). */
  #stableIndex: number;
  #hardDirty = false;

  #now = 0;
  #heardFromMasterAt = 0;
  /** When this slave last sent `alive` (see `early`). */
  #aliveSentAt = Number.NEGATIVE_INFINITY;
  #lastHeard = new Map<number, number>();
  #maxSeenEpoch: number;
  #phase: ElectionPhase | null = null;
  /** Pairs pre-vote replies with the attempt that asked (volatile: a stale grant costs an epoch at most). */
  #preVoteRound = 0;
  /** When this node last promised an epoch to another candidate (its view change may be running). */
  #promisedAt: number | null = null;
  /** Peers whose connection the transport reports as down (all are presumed up until told). */
  readonly #down = new Set<number>();
  /** After an admin step-down: stay out of elections until this tick, so that another node wins. */
  #quietUntil = 0;

  /** Master only. */
  #progress = new Map<number, PeerProgress>();
  #lastBroadcastAt = 0;
  /** Index of this master's barrier until it commits (the view change is done then). */
  #barrierIndex: number | null = null;
  /**
   * Master: the commit index when its view change committed. It serves once it has applied up to
   * here: its decisions must see everything every earlier master committed.
   */
  #serveFrom: number | null = null;

  /** Slave only: behind the master's commit index. */
  #catchingUp = false;
  #caughtUp = false;

  #outbox: PeerMessage<P>[] = [];
  #events: ClusterEventRecord[] = [];
  #snapshotNeeded: SnapshotNeeded[] = [];

  constructor(config: ClusterConfig<P>, persisted: PersistedState<P>) {
    if (config.peerIds.includes(config.id)) throw new Error('peerIds must not contain the node itself');
    if (config.heartbeatTicks < 1 || config.failureTimeoutTicks <= config.heartbeatTicks)
      throw new Error('need heartbeatTicks >= 1 and failureTimeoutTicks > heartbeatTicks');
    this.id = config.id;
    this.peerIds = [...config.peerIds];
    this.#peerSet = new Set(config.peerIds);
    this.#cfg = {
      maxAppendEntries: 512,
      random: mulberry32(config.id),
      ...config,
    };
    const base = persisted.snapshot ?? EMPTY_PREFIX;
    this.#log = new ReplicationLog(persisted.log, base);
    this.#epoch = persisted.epoch;
    this.#promisedEpoch = Math.max(persisted.promisedEpoch ?? persisted.epoch, persisted.epoch);
    this.#promisedTo = persisted.promisedTo ?? null;
    this.#durableVote = {
      epoch: this.#epoch,
      promisedEpoch: this.#promisedEpoch,
      promisedTo: this.#promisedTo,
    };
    this.#maxSeenEpoch = this.#promisedEpoch;
    // The compacted prefix is applied, hence committed.
    this.#commitIndex = Math.max(base.index, Math.min(persisted.commitIndex ?? 0, this.#log.lastIndex));
    const applied = persisted.appliedIndex ?? 0;
    if (applied < base.index) {
      throw new Error(`applied index ${applied} is below the log's start ${base.index}: entries are lost`);
    }
    this.#appliedIndex = Math.min(applied, this.#commitIndex);
    this.#handedOut = this.#appliedIndex;
    this.#stableIndex = this.#log.lastIndex;
    // Entries carry Lamport times too: the clock must pass them even if `lamport` was saved earlier.
    this.#clock = config.clock ?? new LamportClock();
    this.#clock.witness(Math.max(persisted.lamport, this.#log.lamportAt(this.#log.lastIndex) ?? 0));
  }

  // ---- read-only view -------------------------------------------------------------------------

  get role(): Role {
    return this.#role;
  }
  get masterId(): number | null {
    return this.#masterId;
  }
  get epoch(): number {
    return this.#epoch;
  }
  get promisedEpoch(): number {
    return this.#promisedEpoch;
  }
  get commitIndex(): number {
    return this.#commitIndex;
  }
  get appliedIndex(): number {
    return this.#appliedIndex;
  }
  get lastIndex(): number {
    return this.#log.lastIndex;
  }
  get lamport(): number {
    return this.#clock.time;
  }
  /**
   * The node may take writes (and decide them): it is master, its view change (barrier) committed,
   * and it has applied everything committed up to then.
   */
  get serving(): boolean {
    return (
      this.#role === 'master' &&
      this.#barrierIndex === null &&
      this.#serveFrom !== null &&
      (this.#appliedIndex >= this.#serveFrom || this.#cfg.unsafe?.serveBeforeApplied === true)
    );
  }
  /** First index still in the log; everything before it is in the state machine's snapshot. */
  get firstIndex(): number {
    return this.#log.firstIndex;
  }
  /** Index the log was last compacted to (or a snapshot installed at); 0 if never. */
  get snapshotIndex(): number {
    return this.#log.base.index;
  }
  /** Entries held in memory (lastIndex - snapshotIndex). */
  get retainedEntries(): number {
    return this.#log.retained;
  }
  /** An entry that is still retained (undefined before `firstIndex`). */
  entry(index: number): Entry<P> | undefined {
    return this.#log.entry(index);
  }
  /** Retained entries in [from, to]. */
  entries(from = this.#log.firstIndex, to = this.#log.lastIndex): Entry<P>[] {
    return this.#log.slice(from, to);
  }
  /**
   * How to label a snapshot of the state machine taken at applied index `index`: that entry's
   * epoch and Lamport time. Undefined if the log no longer knows it (below the snapshot point) or
   * does not have it yet.
   */
  snapshotPoint(index: number): SnapshotPoint | undefined {
    const epoch = this.#log.epochAt(index);
    const lamport = this.#log.lamportAt(index);
    if (epoch === undefined || lamport === undefined || index > this.#appliedIndex) return undefined;
    return { index, epoch, lamport };
  }

  peers(): PeerView[] {
    return this.peerIds.map((id) => {
      const heard = this.#lastHeard.get(id);
      const p = this.#role === 'master' ? this.#progress.get(id) : undefined;
      return {
        id,
        alive: heard !== undefined && this.#now - heard < this.#cfg.failureTimeoutTicks,
        lastHeardTicksAgo: heard === undefined ? null : this.#now - heard,
        matchIndex: p ? p.match : null,
        caughtUp: p ? p.match >= this.#commitIndex : null,
        snapshotting: p ? p.snapshotting : null,
      };
    });
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** One unit of time. The wiring calls it every tick (e.g. every 10 ms). */
  tick(): void {
    this.#now++;
    if (this.#role === 'master') {
      if (this.#now - this.#lastBroadcastAt >= this.#cfg.heartbeatTicks) this.#broadcastAppend(true);
      if (!hasActiveQuorum(this.#progress.values(), this.#now, this.#cfg.failureTimeoutTicks)) {
        this.#stepDown('lost-majority', {});
      }
      return;
    }
    if (this.#phase) {
      this.#tickElection(this.#phase);
      return;
    }
    if (
      this.#now >= this.#quietUntil &&
      this.#now - this.#heardFromMasterAt >= this.#cfg.failureTimeoutTicks
    ) {
      this.#startElection(this.#masterId === null ? 'no-master' : 'master-silent');
    }
  }

  /**
   * A message from a peer, exactly as it came off the wire. Malformed messages, messages from unknown
   * ids and messages addressed to someone else are ignored (returns false).
   */
  step(raw: unknown): boolean {
    const m = parsePeerMessage(raw);
    if (!m || m.to !== this.id || m.from === this.id || !this.#peerSet.has(m.from)) return false;
    if ((m.type === 'append' || m.type === 'fetch-reply') && !this.#payloadsOk(m.entries)) return false;
    const msg = m as PeerMessage<P>;
    this.#clock.witness(msg.lamport);
    this.#lastHeard.set(msg.from, this.#now);
    if (msg.epoch > this.#maxSeenEpoch) this.#maxSeenEpoch = msg.epoch;
    switch (msg.type) {
      case 'election':
        this.#onElection(
          msg.from,
          msg.lastEpoch === undefined || msg.lastIndex === undefined
            ? null
            : { lastEpoch: msg.lastEpoch, lastIndex: msg.lastIndex },
        );
        break;
      case 'pre-vote':
        this.#onPreVote(msg);
        break;
      case 'pre-vote-reply':
        this.#onPreVoteReply(msg.from, msg.round, msg.granted);
        break;
      case 'ok':
        if (this.#phase?.kind === 'electing' && msg.from > this.id) {
          this.#phase = {
            kind: 'awaiting',
            reason: this.#phase.reason,
            deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
          };
        }
        break;
      case 'coordinator':
        this.#onCoordinator(msg.from, msg.epoch);
        break;
      case 'promise':
        if (this.#phase?.kind === 'collecting' && msg.epoch === this.#phase.epoch) {
          this.#phase.promises.set(msg.from, msg);
          this.#maybeFinishCollecting();
        }
        break;
      case 'fetch':
        this.#onFetch(msg.from, msg.epoch, msg.fromIndex);
        break;
      case 'fetch-reply':
        this.#onFetchReply(msg);
        break;
      case 'append':
        this.#onAppend(msg);
        break;
      case 'append-ok':
        this.#onAppendOk(msg.from, msg.epoch, msg.matchIndex);
        break;
      case 'append-nack':
        this.#onAppendNack(msg.from, msg.epoch, msg.rejectedIndex, msg.hintIndex);
        break;
      case 'reject':
        this.#onReject(msg.from, msg.epoch, msg.refused);
        break;
      case 'alive': {
        const p = this.#progress.get(msg.from);
        if (this.#role === 'master' && msg.epoch === this.#epoch && p) p.lastAckAt = this.#now;
        break;
      }
    }
    return true;
  }

  /**
   * Appends a client command if this node is the master. It is not sent until `flush()` (group
   * commit: everything proposed between two flushes travels as one batch). The command is
   * acknowledged once an entry with this index AND epoch appears in `Ready.committed`; if a different
   * entry commits at that index, the command was lost with a failover and the client should retry.
   */
  propose(payload: P): ProposeResult {
    if (this.#role !== 'master') return { notMaster: this.#role === 'slave' ? this.#masterId : null };
    const entry: Entry<P> = {
      index: this.#log.lastIndex + 1,
      epoch: this.#epoch,
      lamport: this.#clock.tick(),
      kind: 'command',
      payload,
    };
    this.#log.append(entry);
    return { index: entry.index, epoch: entry.epoch, lamport: entry.lamport };
  }

  /** Sends what was proposed since the last flush (one message per slave), and new commit indexes. */
  flush(): void {
    if (this.#role !== 'master') return;
    for (const [id, p] of this.#progress) {
      const hasNew = !p.probing && !p.snapshotting && p.next <= this.#log.lastIndex;
      if (hasNew || p.sentCommit < this.#commitIndex) this.#sendAppend(id, p);
    }
  }

  /**
   * The transport lost its connection to `peer` (socket closed: the process died or the network
   * broke). Only a hint for speed: a slave whose master's socket closed starts an election now
   * instead of waiting out the failure timeout, and elections skip ELECTION messages to higher ids
   * that cannot be reached. Safety never depends on it (a wrong hint costs an election, nothing more).
   */
  peerDown(peer: number): void {
    if (!this.#peerSet.has(peer)) return;
    this.#down.add(peer);
    if (this.#role === 'slave' && this.#masterId === peer && this.#now >= this.#quietUntil) {
      this.#startElection('master-disconnected');
    }
  }

  peerUp(peer: number): void {
    this.#down.delete(peer);
  }

  /**
   * Admin: give up mastership and keep out of elections for `quietTicks` (no candidacy, no OK to
   * ELECTION, no takeover), so the next node in bully order wins. Afterwards classic bully applies.
   */
  stepDown(quietTicks: number): boolean {
    if (this.#role !== 'master') return false;
    this.#quietUntil = this.#now + quietTicks;
    this.#stepDown('admin', { quietTicks });
    return true;
  }

  /**
   * The driver recorded a snapshot: its durable state machine covers everything up to `index`, so
   * the log may drop those entries (a `persist.base` in the next Ready deletes them from storage).
   * Clamped to the applied index. Returns whether anything was dropped. A slave that later needs
   * dropped entries gets a snapshot instead (`Ready.snapshotNeeded`).
   */
  compact(index: number): boolean {
    const to = Math.min(index, this.#appliedIndex);
    if (to <= this.#log.base.index) return false;
    this.#log.compact(to);
    return true;
  }

  /**
   * The driver installed a snapshot of the state machine at `point` (streamed from master `from`
   * of `epoch`): the durable state is now the state after `point.index`, and, in the same
   * transaction, stored log entries <= point.index were deleted and the log's start set to `point`.
   * Call it between `advance()` and the next `ready()`, and only for a snapshot past `appliedIndex`
   * (check before streaming: nothing may apply meanwhile). Everything up to point.index is
   * committed. If our log has the point's entry, it agrees up to there and the entries after it
   * stay (we may have acked them: a master may count that copy towards a commit); otherwise
   * nothing after it is committed and the next Ready truncates it (`truncateFrom`).
   */
  installSnapshot(point: SnapshotPoint, from: number, epoch: number): void {
    const refused = this.snapshotRefusal(point, epoch);
    if (refused) throw new Error(`node ${this.id}: snapshot at ${point.index} refused: ${refused}`);
    if (this.#role === 'master') this.#stepDown('snapshot-installed', { index: point.index });
    // Like an append from that master: from now on refuse older masters, whose logs may lack the
    // entries the snapshot holds (we will claim to match any master we accept up to point.index).
    if (epoch > this.#promisedEpoch) {
      this.#promisedEpoch = epoch;
      this.#promisedTo = from;
      this.#maxSeenEpoch = Math.max(this.#maxSeenEpoch, epoch);
    }
    if (epoch > this.#epoch) this.#epoch = epoch;
    const kept = this.#log.epochAt(point.index) === point.epoch && !this.#cfg.unsafe?.resetLogOnSnapshot;
    if (kept) {
      // Our log has the snapshot's last entry, so it agrees up to there and we keep what follows:
      // we may have acked it, and a master may count that copy towards a commit.
      this.#log.compact(point.index);
    } else {
      // Our log diverges at or before the point, so nothing in it past the point is committed.
      this.#log.reset(point);
    }
    // Its sender is the master we follow now: an election this node was running is over.
    if (this.#peerSet.has(from)) this.#follow(from);
    this.#clock.witness(point.lamport);
    this.#commitIndex = Math.max(this.#commitIndex, point.index);
    this.#appliedIndex = point.index;
    this.#handedOut = point.index;
    // Written in the install's own transaction (the driver's contract above).
    this.#durableVote = {
      epoch: this.#epoch,
      promisedEpoch: this.#promisedEpoch,
      promisedTo: this.#promisedTo,
    };
    // Durable now: the point, and what we kept after it. A log reset above dropped entries that
    // were durable before; counting them still (max with the old stable index) let this node, once
    // master, count its own copy of new entries at those indexes before writing them: a commit on
    // one disk of three (found by the driver simulation, seed 2973).
    this.#stableIndex = kept ? Math.max(this.#stableIndex, point.index) : point.index;
    this.#hardDirty = true;
    this.#emit('snapshot-installed', { index: point.index, epoch: point.epoch, from });
    // "Done": the master resumes appends after the snapshot instead of waiting for a heartbeat.
    if (this.#peerSet.has(from)) {
      this.#send(from, { type: 'append-ok', epoch: this.#epoch, matchIndex: point.index });
    }
  }

  /**
   * Why a snapshot at `point` from a master of `epoch` must not be installed here, or null. Ask
   * before the transfer and again before the install: it must move the state forward, and come
   * from a master this node may still follow (an older one may lack entries our promise covers).
   */
  snapshotRefusal(point: SnapshotPoint, epoch: number): string | null {
    if (point.index <= this.#appliedIndex)
      return `applied ${this.#appliedIndex} already, at or past ${point.index}`;
    if (epoch < this.#promisedEpoch)
      return `epoch ${epoch} is older than the promised ${this.#promisedEpoch}`;
    return null;
  }

  /**
   * The driver's snapshot transfer to `peer` ended; `ok` with the snapshot's index when the peer
   * installed it. Either way the peer is probed again: if it still needs entries this log dropped
   * (the transfer failed, or the log was compacted past the snapshot meanwhile) the next append
   * asks for another snapshot. Until this call the core waits: a success used to be left to the
   * peer's ack, and an ack that still fell short of the log's start (compacted again meanwhile)
   * left the peer waiting for a transfer nobody would start (found by the driver simulation).
   */
  reportSnapshot(peer: number, ok: boolean, index?: number): void {
    const p = this.#progress.get(peer);
    if (!p?.snapshotting) return;
    p.snapshotting = false;
    p.probing = true;
    // The peer holds everything up to the snapshot now: probe from there, not from where it was.
    if (ok && index !== undefined && index + 1 > p.next) p.next = index + 1;
  }

  hasReady(): boolean {
    return (
      this.#hardDirty ||
      this.#outbox.length > 0 ||
      this.#events.length > 0 ||
      this.#snapshotNeeded.length > 0 ||
      this.#handedOut < Math.min(this.#commitIndex, this.#log.lastIndex) ||
      this.#log.dirty
    );
  }

  /** Drains pending output. See `Ready` for what to do with it, in which order. */
  ready(): Ready<P> {
    const changes = this.#log.drainChanges();
    const persist: Ready<P>['persist'] = changes;
    if (this.#hardDirty) {
      persist.hardState = {
        epoch: this.#epoch,
        promisedEpoch: this.#promisedEpoch,
        promisedTo: this.#promisedTo,
        commitIndex: this.#commitIndex,
        lamport: this.#clock.time,
      };
      this.#hardDirty = false;
    }
    const commitTo = Math.min(this.#commitIndex, this.#log.lastIndex);
    const committed = this.#log.slice(this.#handedOut + 1, commitTo);
    this.#handedOut = Math.max(this.#handedOut, commitTo);
    // The hard state, when there is one, is the current vote: it changed unless that is durable.
    const voteChanged = persist.hardState !== undefined && !this.#voteDurable();
    const logChanged =
      persist.base !== undefined || persist.truncateFrom !== undefined || persist.append.length > 0;
    const rd: Ready<P> = {
      persist,
      mustSync: logChanged || voteChanged,
      sendBeforeSync: this.#role === 'master' && !voteChanged,
      messages: this.#outbox,
      committed,
      events: this.#events,
      snapshotNeeded: this.#snapshotNeeded,
    };
    this.#outbox = [];
    this.#events = [];
    this.#snapshotNeeded = [];
    return rd;
  }

  /**
   * Messages that may go out now, while the write of the Ready in hand is still running (one slow
   * or stalled database must not look like a dead node; etcd's asynchronous storage writes): a
   * master's appends and heartbeats, once its epoch is durable (they promise nothing, as with
   * `sendBeforeSync`), and a slave's `alive` to its master, once per heartbeat. Acknowledgements
   * and votes stay in the outbox for the next Ready: they are true only once the write is durable.
   */
  early(): PeerMessage<P>[] {
    if (!this.#voteDurable()) return [];
    if (this.#role === 'master') {
      const appends: PeerMessage<P>[] = [];
      const rest: PeerMessage<P>[] = [];
      for (const m of this.#outbox) (m.type === 'append' ? appends : rest).push(m);
      this.#outbox = rest;
      return appends;
    }
    if (this.#role !== 'slave' || this.#masterId === null) return [];
    if (this.#now - this.#aliveSentAt < this.#cfg.heartbeatTicks) return [];
    this.#aliveSentAt = this.#now;
    const alive = {
      type: 'alive',
      epoch: this.#epoch,
      from: this.id,
      to: this.#masterId,
      lamport: this.#clock.tick(),
    } satisfies PeerMessage<P>;
    return [alive];
  }

  /** Whether the current epoch and promise are the ones last made durable. */
  #voteDurable(): boolean {
    return (
      this.#epoch === this.#durableVote.epoch &&
      this.#promisedEpoch === this.#durableVote.promisedEpoch &&
      this.#promisedTo === this.#durableVote.promisedTo
    );
  }

  /** The Ready was persisted (and its messages sent). */
  advance(rd: Ready<P>): void {
    const last = rd.persist.append.at(-1);
    // Identity check: if the log was truncated since ready(), that write no longer proves anything.
    if (last && this.#log.entry(last.index) === last) {
      this.#stableIndex = Math.max(this.#stableIndex, last.index);
    }
    const hard = rd.persist.hardState;
    if (hard && rd.mustSync) {
      this.#durableVote = {
        epoch: hard.epoch,
        promisedEpoch: hard.promisedEpoch,
        promisedTo: hard.promisedTo,
      };
    }
    if (this.#role === 'master') this.#maybeCommit();
  }

  /**
   * The driver made the effects of the committed entries up to `index` durable. Only from here do
   * they count as applied: for serving, for compaction, for snapshot points.
   */
  appliedTo(index: number): void {
    if (index > this.#handedOut) {
      throw new Error(`node ${this.id}: applied ${index}, but only ${this.#handedOut} were handed out`);
    }
    this.#appliedIndex = Math.max(this.#appliedIndex, index);
  }

  // ---- election -------------------------------------------------------------------------------

  #tickElection(phase: ElectionPhase): void {
    if (
      (phase.kind === 'collecting' || phase.kind === 'fetching') &&
      this.#now - phase.sentAt >= this.#cfg.heartbeatTicks
    ) {
      // Retransmit: the network may have lost the first attempt.
      phase.sentAt = this.#now;
      if (phase.kind === 'collecting') {
        for (const id of this.peerIds) {
          if (!phase.promises.has(id)) this.#send(id, { type: 'coordinator', epoch: phase.epoch });
        }
      } else {
        this.#send(phase.from, { type: 'fetch', epoch: phase.epoch, fromIndex: phase.fromIndex });
      }
    }
    if (this.#now < phase.deadline) return;
    switch (phase.kind) {
      case 'electing':
        this.#startPreVote(phase.reason);
        break;
      case 'pre-voting':
        this.#preVoteFailed(phase);
        break;
      case 'awaiting':
        this.#startElection('no-coordinator');
        break;
      default:
        this.#startElection('view-change-timeout');
    }
  }

  #startElection(reason: string): void {
    this.#role = 'candidate';
    if (reason !== 'takeover') this.#masterId = null;
    const higher = this.peerIds.filter((id) => id > this.id && !this.#down.has(id));
    this.#emit('election-started', { reason, higher });
    if (higher.length === 0) {
      this.#startPreVote(reason);
      return;
    }
    const end = this.#logEnd();
    for (const id of higher) this.#send(id, { type: 'election', epoch: this.#promisedEpoch, ...end });
    this.#phase = {
      kind: 'electing',
      reason,
      deadline: deadline(this.#now, this.#cfg.electionTimeoutTicks, this.#cfg.random),
    };
  }

  /**
   * Asks everyone whether they would accept this node as candidate before it raises the epoch (Raft
   * thesis 9.6). A node cut off from the majority, or whose peers still hear a live master, never
   * wins it, so it never inflates the epoch and never fences a healthy master when it reconnects.
   */
  #startPreVote(reason: string): void {
    if (this.#cfg.unsafe?.skipPreVote) {
      this.#becomeCandidate({ granted: [] });
      return;
    }
    const round = ++this.#preVoteRound;
    const takeover = reason === 'takeover';
    this.#role = 'candidate';
    this.#phase = {
      kind: 'pre-voting',
      round,
      reason,
      takeover,
      // A failed round retries after a failure timeout, like Raft's election timer: an isolated node
      // costs its peers a few messages per timeout, nothing more.
      deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
      granted: new Set([this.id]),
      refused: new Set(),
    };
    for (const id of this.peerIds) this.#askPreVote(id, round, takeover);
    this.#maybeWinPreVote();
  }

  #askPreVote(to: number, round: number, takeover: boolean): void {
    this.#send(to, { type: 'pre-vote', epoch: this.#promisedEpoch, round, takeover, ...this.#logEnd() });
  }

  #onPreVote(m: PreVoteMessage): void {
    const granted = !this.#leaseHeld(m.from, m.takeover) && this.#couldLead(m, m.takeover);
    this.#send(m.from, { type: 'pre-vote-reply', epoch: this.#promisedEpoch, round: m.round, granted });
  }

  /**
   * Whether this node still follows someone who leads (a live master, or a candidate it promised
   * whose view change may be running): then it refuses pre-votes, like Raft's leader lease. Only a
   * higher id taking over from a lower master is let through, for bully order.
   */
  #leaseHeld(candidate: number, takeover: boolean): boolean {
    const timeout = this.#cfg.failureTimeoutTicks;
    if (this.#role === 'master') return !(takeover && candidate > this.id);
    const master = this.#masterId;
    if (master !== null && !this.#down.has(master) && this.#now - this.#heardFromMasterAt < timeout) {
      return !(takeover && candidate > master);
    }
    const promised = this.#promisedTo;
    return (
      promised !== null &&
      promised !== this.id &&
      promised !== candidate &&
      this.#promisedAt !== null &&
      this.#now - this.#promisedAt < timeout
    );
  }

  /**
   * Whether the candidate's log is good enough to lead: at least as up to date as ours (Raft's
   * order), or a prefix of ours that holds everything we know to be committed. A takeover candidate
   * only needs to share our log so far: it follows the same master and is at most a batch or two
   * behind, which under load is always true of some entries our commit index already covers. (The
   * view change fetches what the candidate lacks, so this is about cost, never safety.)
   */
  #couldLead(end: LogEnd, takeover: boolean): boolean {
    if (atLeastAsUpToDate(end, this.#logEnd())) return true;
    const prefix = this.#log.epochAt(end.lastIndex) === end.lastEpoch;
    return prefix && (takeover || end.lastIndex >= this.#commitIndex);
  }

  #onPreVoteReply(from: number, round: number, granted: boolean): void {
    const phase = this.#phase;
    if (phase?.kind !== 'pre-voting' || round !== phase.round) return;
    if (granted) {
      phase.granted.add(from);
      this.#maybeWinPreVote();
      return;
    }
    phase.refused.add(from);
    // A refused takeover goes back to following (and tries again on a later append); an ordinary
    // candidacy waits for its deadline, so that leases that expire meanwhile still count.
    if (phase.takeover && phase.refused.size > this.peerIds.length + 1 - majority(this.peerIds.length + 1)) {
      this.#preVoteFailed(phase);
    }
  }

  #maybeWinPreVote(): void {
    const phase = this.#phase;
    if (phase?.kind !== 'pre-voting' || phase.granted.size < majority(this.peerIds.length + 1)) return;
    this.#becomeCandidate({ granted: [...phase.granted].sort((a, b) => a - b) });
  }

  #preVoteFailed(phase: Extract<ElectionPhase, { kind: 'pre-voting' }>): void {
    if (phase.takeover && this.#masterId !== null) {
      this.#phase = null;
      this.#role = 'slave';
      return;
    }
    this.#startElection('no-pre-vote-majority');
  }

  #logEnd(): LogEnd {
    return { lastEpoch: this.#log.lastEpoch, lastIndex: this.#log.lastIndex };
  }

  #becomeCandidate(detail: Record<string, unknown>): void {
    const epoch = Math.max(this.#promisedEpoch, this.#maxSeenEpoch, this.#epoch) + 1;
    // Promise ourselves first, persisted with the COORDINATOR messages of this Ready: one vote per epoch.
    this.#promisedEpoch = epoch;
    this.#promisedTo = this.id;
    this.#maxSeenEpoch = epoch;
    this.#hardDirty = true;
    this.#role = 'candidate';
    this.#masterId = null;
    this.#phase = {
      kind: 'collecting',
      epoch,
      sentAt: this.#now,
      deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
      promises: new Map([[this.id, this.#position()]]),
    };
    this.#emit('became-candidate', { candidateEpoch: epoch, preVotes: detail['granted'] });
    for (const id of this.peerIds) this.#send(id, { type: 'coordinator', epoch });
    this.#maybeFinishCollecting();
  }

  #position(): LogPosition {
    return { lastEpoch: this.#log.lastEpoch, lastIndex: this.#log.lastIndex, commitIndex: this.#commitIndex };
  }

  #onElection(from: number, asker: LogEnd | null): void {
    if (from > this.id || this.#now < this.#quietUntil) return; // bully: only lower ids ask us
    const phase = this.#phase;
    if (phase?.kind === 'pre-voting' && !phase.granted.has(from)) {
      // The asker lost its master too: it may have refused us a moment ago while it still heard
      // it. Ask again rather than wait out the round (the usual race right after a master dies).
      this.#askPreVote(from, phase.round, phase.takeover);
    }
    // Stand in for the asker only if we could win its pre-vote: an OK from a node that is behind
    // would hold the asker back while no one can win. The most up-to-date of the reachable nodes
    // with the highest id never gets an OK, so some node always stands.
    if (asker && !atLeastAsUpToDate(this.#logEnd(), asker)) return;
    this.#send(from, { type: 'ok', epoch: this.#promisedEpoch });
    if (this.#role === 'master') {
      const p = this.#progress.get(from);
      if (p) this.#sendAppend(from, p); // it lost us; show we are here
    } else if (
      this.#role === 'slave' &&
      (this.#masterId === null || this.#now - this.#heardFromMasterAt >= this.#cfg.failureTimeoutTicks)
    ) {
      this.#startElection('peer-election');
    }
    // A slave with a live master does not disrupt it: the master will reach the asker, or not.
  }

  #onCoordinator(from: number, epoch: number): void {
    if (epoch < this.#promisedEpoch || (epoch === this.#promisedEpoch && this.#promisedTo !== from)) {
      this.#send(from, { type: 'reject', epoch: this.#promisedEpoch, refused: 'coordinator' });
      return;
    }
    if (epoch > this.#promisedEpoch) {
      this.#promisedEpoch = epoch;
      this.#promisedTo = from;
      this.#hardDirty = true;
    }
    this.#promisedAt = this.#now;
    if (this.#role === 'master') this.#stepDown('fenced', { by: from, newEpoch: epoch });
    this.#role = 'slave';
    this.#phase = null;
    this.#masterId = null;
    // Give the candidate a full failure timeout to finish its view change before suspecting it.
    this.#heardFromMasterAt = this.#now;
    this.#send(from, { type: 'promise', epoch, ...this.#position() });
  }

  #maybeFinishCollecting(): void {
    const phase = this.#phase;
    if (phase?.kind !== 'collecting') return;
    if (phase.promises.size < majority(this.peerIds.length + 1)) return;
    let knownCommit = this.#commitIndex;
    for (const pos of phase.promises.values()) knownCommit = Math.max(knownCommit, pos.commitIndex);
    const best = this.#cfg.unsafe?.skipLogAdoption ? this.id : mostUpToDate(phase.promises, this.id);
    const bestPos = phase.promises.get(best);
    const mine = this.#position();
    if (!bestPos || (bestPos.lastEpoch === mine.lastEpoch && bestPos.lastIndex === mine.lastIndex)) {
      // Same last (epoch, index) means the same log (log matching): nothing to fetch.
      this.#becomeMaster(phase.epoch, Math.min(knownCommit, this.#log.lastIndex), this.id);
      return;
    }
    // Everything up to our commit index is committed, hence identical in the best log.
    const fromIndex = this.#commitIndex + 1;
    this.#phase = {
      kind: 'fetching',
      epoch: phase.epoch,
      sentAt: this.#now,
      deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
      from: best,
      fromIndex,
      knownCommit,
    };
    this.#send(best, { type: 'fetch', epoch: phase.epoch, fromIndex });
  }

  #onFetch(from: number, epoch: number, fromIndex: number): void {
    if (epoch < this.#promisedEpoch) {
      this.#send(from, { type: 'reject', epoch: this.#promisedEpoch, refused: 'fetch' });
      return;
    }
    // Only the candidate we promised: our log is frozen for it (older masters are refused).
    if (epoch !== this.#promisedEpoch || this.#promisedTo !== from) return;
    // What we compacted is committed, so the candidate has it too if its log agrees at our start.
    const start = Math.max(fromIndex, this.#log.firstIndex);
    this.#send(from, {
      type: 'fetch-reply',
      epoch,
      fromIndex: start,
      prevEpoch: this.#log.epochAt(start - 1) ?? 0,
      entries: this.#log.slice(start),
      commitIndex: this.#commitIndex,
    });
  }

  #onFetchReply(m: FetchReplyMessage<P>): void {
    const phase = this.#phase;
    if (
      phase?.kind !== 'fetching' ||
      m.epoch !== phase.epoch ||
      m.from !== phase.from ||
      m.fromIndex < phase.fromIndex
    ) {
      return;
    }
    if (m.fromIndex > phase.fromIndex && this.#log.epochAt(m.fromIndex - 1) !== m.prevEpoch) {
      // The best log was compacted past entries we lack: we cannot adopt it without its snapshot.
      // Stand back; that node (or one as up to date) stands and wins, then sends us a snapshot.
      this.#phase = {
        kind: 'awaiting',
        reason: 'cannot-adopt',
        deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
      };
      this.#emit('stepped-down', { reason: 'cannot-adopt', from: m.from, firstIndex: m.fromIndex });
      return;
    }
    // Make our log exactly the best one: keep the agreeing prefix, replace the rest.
    let i = m.fromIndex;
    for (const e of m.entries) {
      if (this.#log.epochAt(e.index) !== e.epoch) {
        this.#truncate(e.index);
        this.#log.append(e);
      }
      this.#clock.witness(e.lamport);
      i = e.index + 1;
    }
    this.#truncate(i);
    const knownCommit = Math.max(phase.knownCommit, m.commitIndex);
    this.#becomeMaster(phase.epoch, Math.min(knownCommit, this.#log.lastIndex), m.from);
  }

  #becomeMaster(epoch: number, knownCommit: number, adoptedFrom: number): void {
    this.#phase = null;
    this.#role = 'master';
    this.#serveFrom = null;
    this.#masterId = this.id;
    this.#epoch = epoch;
    this.#hardDirty = true;
    this.#catchingUp = false;
    this.#advanceCommit(knownCommit);
    // The barrier's Lamport time is above every adopted entry: the clock witnessed them all.
    const barrier: Entry<P> = {
      index: this.#log.lastIndex + 1,
      epoch,
      lamport: this.#clock.tick(),
      kind: 'barrier',
    };
    this.#log.append(barrier);
    this.#barrierIndex = barrier.index;
    this.#progress = new Map(this.peerIds.map((id) => [id, freshProgress(barrier.index, this.#now)]));
    this.#emit('became-master', { adoptedFrom, lastIndex: barrier.index, commitIndex: this.#commitIndex });
    this.#broadcastAppend(true);
  }

  #stepDown(reason: string, detail: Record<string, unknown>): void {
    this.#role = 'slave';
    this.#masterId = null;
    this.#progress = new Map();
    this.#barrierIndex = null;
    this.#serveFrom = null;
    this.#heardFromMasterAt = this.#now;
    this.#emit('stepped-down', { reason, ...detail });
  }

  #onReject(from: number, epoch: number, refused: string): void {
    if (this.#role === 'master' && epoch > this.#epoch) {
      this.#stepDown('fenced', { by: from, newEpoch: epoch, refused });
    } else if (
      this.#role === 'candidate' &&
      (this.#phase?.kind === 'collecting' || this.#phase?.kind === 'fetching') &&
      epoch > this.#phase.epoch
    ) {
      // Someone is ahead: wait for it to announce itself; the next attempt picks an epoch above
      // maxSeenEpoch. A refusal in our own epoch is only a collision: the refuser promised the
      // other candidate, and we may still gather a majority (standing back then let two colliding
      // candidates both give up and collide again, in step).
      this.#phase = {
        kind: 'awaiting',
        reason: 'candidate-ahead',
        deadline: deadline(this.#now, this.#cfg.failureTimeoutTicks, this.#cfg.random),
      };
    }
  }

  // ---- replication: master side ---------------------------------------------------------------

  #broadcastAppend(heartbeat: boolean): void {
    for (const [id, p] of this.#progress) {
      if (heartbeat || !p.probing) this.#sendAppend(id, p);
    }
    if (heartbeat) this.#lastBroadcastAt = this.#now;
  }

  #sendAppend(to: number, p: PeerProgress): void {
    const base = this.#log.base;
    if (p.next <= base.index) {
      // It needs entries we compacted away: only a snapshot can bring it up.
      if (!p.snapshotting) this.#needSnapshot(to, p);
      // Meanwhile a keep-alive it cannot match: its answer keeps its lease on us and ours on it.
      this.#send(to, {
        type: 'append',
        epoch: this.#epoch,
        prevIndex: base.index,
        prevEpoch: base.epoch,
        entries: [],
        commitIndex: this.#commitIndex,
      });
      p.sentCommit = this.#commitIndex;
      return;
    }
    const from = p.next;
    const upTo = Math.min(this.#log.lastIndex, from + this.#cfg.maxAppendEntries - 1);
    const entries = this.#log.slice(from, upTo);
    const prevIndex = from - 1;
    this.#send(to, {
      type: 'append',
      epoch: this.#epoch,
      prevIndex,
      prevEpoch: this.#log.epochAt(prevIndex) ?? 0,
      entries,
      commitIndex: this.#commitIndex,
    });
    p.sentCommit = this.#commitIndex;
    if (!p.probing) p.next = upTo + 1;
  }

  #needSnapshot(to: number, p: PeerProgress): void {
    p.snapshotting = true;
    p.probing = true;
    this.#snapshotNeeded.push({ to, firstIndex: this.#log.firstIndex });
    this.#emit('snapshot-needed', { peer: to, match: p.match, firstIndex: this.#log.firstIndex });
  }

  #onAppendOk(from: number, epoch: number, matchIndex: number): void {
    const p = this.#progress.get(from);
    if (this.#role !== 'master' || epoch !== this.#epoch || !p) return;
    p.lastAckAt = this.#now;
    if (matchIndex > p.match) p.match = matchIndex;
    if (p.next <= p.match) p.next = p.match + 1;
    if (p.snapshotting) {
      if (p.next <= this.#log.base.index) {
        // It installed a snapshot older than our start (we compacted again meanwhile), or the ack
        // is stale: ask again; the driver ignores this while a transfer to it is still running.
        if (matchIndex === p.match) this.#needSnapshot(from, p);
        return;
      }
      p.snapshotting = false;
    }
    p.probing = false;
    this.#maybeCommit();
    if (p.next <= this.#log.lastIndex) this.#sendAppend(from, p);
  }

  #onAppendNack(from: number, epoch: number, rejectedIndex: number, hintIndex: number): void {
    const p = this.#progress.get(from);
    if (this.#role !== 'master' || epoch !== this.#epoch || !p) return;
    p.lastAckAt = this.#now;
    if (p.snapshotting) {
      // Waiting for its snapshot, unless it got past our start some other way.
      if (hintIndex < this.#log.base.index) return;
      p.snapshotting = false;
      p.next = hintIndex + 1;
      this.#sendAppend(from, p);
      return;
    }
    // Stale answers (reordered or duplicated) must not move `next` backwards needlessly.
    if (p.probing ? rejectedIndex !== p.next - 1 : rejectedIndex <= p.match) return;
    p.next = Math.max(p.match + 1, Math.min(rejectedIndex, hintIndex + 1));
    p.probing = true;
    this.#sendAppend(from, p);
  }

  #maybeCommit(): void {
    const n = this.#cfg.unsafe?.commitWithoutQuorum
      ? this.#stableIndex
      : quorumMatch(this.#stableIndex, this.#progress.values());
    // Only entries of our own epoch are committed by counting (Raft's rule); older ones ride along.
    if (n > this.#commitIndex && this.#log.epochAt(n) === this.#epoch) this.#advanceCommit(n);
  }

  #advanceCommit(index: number): void {
    if (index <= this.#commitIndex) return;
    this.#commitIndex = index;
    this.#hardDirty = true;
    if (this.#barrierIndex !== null && index >= this.#barrierIndex) {
      this.#barrierIndex = null;
      this.#serveFrom = index;
      this.#emit('view-change-done', { commitIndex: index });
    }
  }

  // ---- replication: slave side ----------------------------------------------------------------

  #onAppend(m: AppendMessage<P>): void {
    if (m.epoch < this.#promisedEpoch) {
      this.#send(m.from, { type: 'reject', epoch: this.#promisedEpoch, refused: 'append' });
      return;
    }
    if (m.epoch > this.#promisedEpoch) {
      this.#promisedEpoch = m.epoch;
      this.#promisedTo = m.from;
      this.#hardDirty = true;
    }
    if (this.#epoch !== m.epoch) {
      this.#epoch = m.epoch;
      this.#hardDirty = true;
    }
    if (this.#role === 'master') this.#stepDown('fenced', { by: m.from, newEpoch: m.epoch });
    this.#follow(m.from);

    let { prevIndex, prevEpoch, entries } = m;
    const base = this.#log.base;
    if (prevIndex < base.index) {
      // Everything up to our start is committed and in our snapshot, and our promise is at least
      // the epoch it was known committed in (see installSnapshot), so this master's log has it too.
      const skip = Math.min(entries.length, base.index - prevIndex);
      entries = entries.slice(skip);
      prevIndex = base.index;
      prevEpoch = base.epoch;
    }
    if (prevIndex > this.#log.lastIndex || this.#log.epochAt(prevIndex) !== prevEpoch) {
      const hint =
        prevIndex > this.#log.lastIndex
          ? this.#log.lastIndex
          : this.#log.lastIndexAtOrBelowEpoch(prevIndex - 1, prevEpoch);
      this.#send(m.from, {
        type: 'append-nack',
        epoch: m.epoch,
        rejectedIndex: prevIndex,
        hintIndex: Math.max(hint, Math.min(this.#commitIndex, prevIndex - 1)),
      });
      if (m.commitIndex > this.#log.lastIndex) this.#setCatchingUp(true, m.commitIndex);
      return;
    }
    for (const e of entries) {
      // Keep what agrees (a duplicate or reordered append must not cut entries off).
      if (this.#log.epochAt(e.index) === e.epoch) continue;
      this.#truncate(e.index);
      this.#log.append(e);
    }
    const lastNew = prevIndex + entries.length;
    this.#advanceCommit(Math.min(m.commitIndex, lastNew));
    this.#send(m.from, { type: 'append-ok', epoch: m.epoch, matchIndex: lastNew });
    this.#setCatchingUp(m.commitIndex > lastNew, m.commitIndex);
    // Classic bully: a higher id that is back (and has caught up, so the switch is cheap) takes over.
    if (this.#caughtUp && m.from < this.id && this.#role === 'slave' && this.#now >= this.#quietUntil) {
      this.#startElection('takeover');
    }
  }

  #follow(master: number): void {
    this.#heardFromMasterAt = this.#now;
    if (this.#role === 'candidate') {
      const phase = this.#phase;
      // Keep replicating while a takeover of a lower master runs. Any other attempt ends: peers that
      // hear this master refuse its pre-vote, and the append below may start a takeover instead.
      const takeover =
        phase?.kind === 'pre-voting'
          ? phase.takeover
          : (phase?.kind === 'electing' || phase?.kind === 'awaiting') && phase.reason === 'takeover';
      if (takeover && master < this.id && this.#caughtUp) {
        this.#masterId = master;
        return;
      }
      this.#phase = null;
      this.#role = 'slave';
    }
    if (this.#masterId !== master) {
      this.#masterId = master;
      this.#caughtUp = false;
      this.#emit('became-slave', { masterId: master });
    }
  }

  #setCatchingUp(behind: boolean, masterCommit: number): void {
    this.#caughtUp = !behind;
    if (behind && !this.#catchingUp) {
      this.#catchingUp = true;
      this.#emit('catch-up-started', { lastIndex: this.#log.lastIndex, masterCommit });
    } else if (!behind && this.#catchingUp) {
      this.#catchingUp = false;
      this.#emit('catch-up-finished', { lastIndex: this.#log.lastIndex, masterCommit });
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  #truncate(index: number): void {
    if (index > this.#log.lastIndex) return;
    if (index <= this.#commitIndex) {
      // Fail-stop: cutting a committed entry means the algorithm is broken; never hide it.
      throw new Error(
        `node ${this.id}: refusing to truncate committed entry ${index} (commit ${this.#commitIndex})`,
      );
    }
    this.#log.truncateFrom(index);
    this.#stableIndex = Math.min(this.#stableIndex, index - 1);
  }

  #payloadsOk(entries: readonly Entry<unknown>[]): boolean {
    const check = this.#cfg.isPayload;
    return !check || entries.every((e) => e.kind !== 'command' || check(e.payload));
  }

  /** `body` is always a fresh literal: stamping it in place spares a copy per message. */
  #send(to: number, body: PeerMessageBody<P>): void {
    const m = body as PeerMessage<P>;
    m.from = this.id;
    m.to = to;
    m.lamport = this.#clock.tick();
    this.#outbox.push(m);
  }

  #emit(type: ClusterEventType, detail: Record<string, unknown>): void {
    this.#events.push({ type, lamport: this.#clock.tick(), epoch: this.#epoch, tick: this.#now, detail });
  }
}
