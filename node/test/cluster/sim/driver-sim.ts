/**
 * One seeded run of the PRODUCTION driver (log/replicated-log.ts, over the real ClusterCore) with
 * in-memory storage, virtual time and a simulated network: the same code that runs against MySQL
 * and sockets, so a seed exercises the Ready loop, the inline and the behind-the-log applier, the
 * retries of a failing database, compaction, snapshot streaming and install, proposal timeouts and
 * the serving rule as they run in production. The pure-core simulation (simulation.ts) stays: it
 * is twenty times faster and runs thousands of seeds; this one runs the driver's code paths.
 *
 * Faults: crash and restart (a write not yet committed is lost), pause and resume, partitions,
 * lossy and reordering links, a slow disk, a failing database, forward clock jumps, a wrongly
 * reported disconnect. Invariants are checked after every task; after the last fault heals the
 * cluster must converge within a stated bound, keep every acknowledged write, and take new ones.
 *
 * Everything is a function of the seed: `runDriverSeed(seed)` replays a failure exactly.
 */
import type { Logger } from 'pino';
import { majority } from '../../../src/cluster/election.js';
import type { Entry } from '../../../src/cluster/entry.js';
import type { ClusterEventRecord } from '../../../src/cluster/events.js';
import { LamportClock } from '../../../src/cluster/lamport.js';
import { mulberry32, randomInt } from '../../../src/cluster/prng.js';
import { ReplicatedLog } from '../../../src/log/replicated-log.js';
import type { Applier } from '../../../src/log/write-log.js';
import { type Effect, MemoryDisk, memoryLogStore, type Payload } from './memory-log-store.js';
import { Incarnation, Scheduler } from './virtual-time.js';

export interface DriverSimOptions {
  nodes?: number;
  /** Virtual milliseconds of faults and load. */
  faultMs?: number;
  trace?: boolean;
  /** Deliberate bugs, so the tests can show the checker catches them. */
  unsafe?: { lyingDisk?: boolean };
  /** False: no random faults, only load (and `stall`, if set). */
  faults?: boolean;
  /**
   * Every node's disk stalls at once (one database server under all of them, as on one machine):
   * a write that starts in the window completes only at its end.
   */
  stall?: { atMs: number; forMs: number; nodes?: number[] };
}

export interface DriverSimResult {
  seed: number;
  ok: boolean;
  error?: string;
  /** Virtual time of the failure. */
  at?: number;
  committed: number;
  acked: number;
  snapshotInstalls: number;
  faults: number;
  maxEpoch: number;
  /** Virtual ms from the end of the faults until the cluster converged. */
  convergedAfterMs?: number;
  /** Elections started from the start of `stall` on (all of them without one). */
  electionsSinceStall: number;
  /** Nodes that became master from the start of `stall` on. */
  mastersSinceStall: number[];
  trace: string[];
}

export class DriverInvariantError extends Error {}

const HEARTBEAT_MS = 50;
const FAILURE_TIMEOUT_MS = 500;
/** Clients keep writing this long after the faults stop, so the first elections run under load. */
const CALM_CLIENT_MS = 2 * FAILURE_TIMEOUT_MS;
/**
 * Liveness bound after the calm: elections (a restarted node waits a failure timeout, pre-votes
 * may be refused while leases run out, a bully takeover by the highest id follows) and the
 * catch-up, by log or by snapshot. Twelve failure timeouts; the slowest of 1,000 seeds is in the
 * test's log.
 */
export const CONVERGE_MS = 12 * FAILURE_TIMEOUT_MS;
/** Past this, a node whose write is stalled stops vouching for itself (limits.ts, scaled down). */
export const PERSIST_STALL_VOUCH_MS = 6 * FAILURE_TIMEOUT_MS;
const LIVENESS_WRITES = 3;
const LIVENESS_MS = 10 * HEARTBEAT_MS;

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silent;
  },
} as unknown as Logger;

const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

type State = 'up' | 'paused' | 'crashed';

interface SimDriverNode {
  id: number;
  disk: MemoryDisk;
  state: State;
  inc: Incarnation;
  /** Null while the incarnation loads its log (a process starting up) or after a crash. */
  log: ReplicatedLog<Payload, Effect> | null;
  slowDisk: boolean;
  failingDb: boolean;
}

function same(a: Entry<Payload>, b: Entry<Payload>): boolean {
  if (a.index !== b.index || a.epoch !== b.epoch || a.lamport !== b.lamport || a.kind !== b.kind)
    return false;
  return a.kind !== 'command' || b.kind !== 'command' || a.payload.id === b.payload.id;
}

const describe = (e: Entry<Payload>) =>
  `#${e.index}@${e.epoch} L${e.lamport} ${e.kind === 'command' ? e.payload.id : 'barrier'}`;

class DriverChecker {
  readonly #masterOf = new Map<number, number>();
  /** The committed log as first seen in any core; every later sighting must agree. */
  readonly committed: Entry<Payload>[] = [];
  readonly #seenUpTo = new Map<number, number>();
  readonly #appliedChecked = new Map<number, { list: unknown; count: number }>();
  #durableChecked = 0;

  constructor(
    private readonly size: number,
    private readonly snapshotEvery: number,
  ) {}

  afterStep(nodes: readonly SimDriverNode[]): void {
    for (const n of nodes) {
      const log = n.log;
      if (n.state === 'crashed' || !log) continue;
      const core = log.core;
      if (core.role === 'master') {
        const was = this.#masterOf.get(core.epoch);
        if (was === undefined) this.#masterOf.set(core.epoch, n.id);
        else if (was !== n.id)
          throw new DriverInvariantError(`two masters in epoch ${core.epoch}: ${was} and ${n.id}`);
      }
      this.#learnCommitted(n);
      // The driver contract: the core counts an entry applied only once its effects are durable.
      if (core.appliedIndex > n.disk.appliedIndex) {
        throw new DriverInvariantError(
          `node ${n.id}: core counts ${core.appliedIndex} applied, storage holds ${n.disk.appliedIndex}`,
        );
      }
      // Compaction only below what storage has applied, and it keeps the log bounded.
      if (core.snapshotIndex > n.disk.appliedIndex) {
        throw new DriverInvariantError(
          `node ${n.id} compacted to ${core.snapshotIndex} past its applied ${n.disk.appliedIndex}`,
        );
      }
      if (core.appliedIndex - core.snapshotIndex > this.snapshotEvery) {
        throw new DriverInvariantError(
          `node ${n.id} retains ${core.appliedIndex - core.snapshotIndex} applied entries (snapshot every ${this.snapshotEvery})`,
        );
      }
      // A serving master decides against its applied state: it must hold every entry committed in
      // an earlier epoch (the wedge of issue 7: a retried booking decided twice).
      if (log.serving) {
        const missed = this.committed
          .slice(n.disk.appliedIndex)
          .find((e) => e.epoch < core.epoch && e.index > n.disk.appliedIndex);
        if (missed) {
          throw new DriverInvariantError(
            `node ${n.id} serves in epoch ${core.epoch} without having applied ${describe(missed)}`,
          );
        }
      }
    }
    for (const n of nodes) this.#checkApplied(n);
    this.#durableOnMajority(nodes);
  }

  /** Entries up to a core's commit index are committed: record them, or check them against the record. */
  #learnCommitted(n: SimDriverNode): void {
    const core = n.log!.core;
    const upTo = core.commitIndex;
    for (let i = Math.max(core.firstIndex, (this.#seenUpTo.get(n.id) ?? 0) + 1); i <= upTo; i++) {
      const mine = core.entry(i);
      if (!mine) break;
      const known = this.committed[i - 1];
      if (known) {
        if (!same(known, mine)) {
          throw new DriverInvariantError(
            `committed entry changed: node ${n.id} has ${describe(mine)}, committed is ${describe(known)}`,
          );
        }
      } else if (i === this.committed.length + 1) {
        const prev = this.committed.at(-1);
        if (prev && mine.lamport <= prev.lamport) {
          throw new DriverInvariantError(
            `Lamport time does not grow along the log: ${describe(prev)} then ${describe(mine)}`,
          );
        }
        this.committed.push(mine);
      } else break;
      this.#seenUpTo.set(n.id, i);
    }
  }

  /** The state machine's durable content is the committed log's commands, in order, nothing else. */
  #checkApplied(n: SimDriverNode): void {
    const list = n.disk.applied;
    const seen = this.#appliedChecked.get(n.id);
    // A snapshot install replaces the list: check all of it again.
    let from = seen && seen.list === list ? seen.count : 0;
    for (; from < list.length; from++) {
      const c = list[from]!;
      const e = this.committed[c.index - 1];
      if (!e) break; // not seen committed in a core yet: checked on a later step
      if (e.kind !== 'command' || e.payload.id !== c.id || e.epoch !== c.epoch || e.lamport !== c.lamport) {
        throw new DriverInvariantError(
          `node ${n.id} applied ${c.id} at ${c.index}; committed there is ${describe(e)}`,
        );
      }
      const prev = list[from - 1];
      const gap = this.committed.slice(prev ? prev.index : 0, c.index - 1).find((x) => x.kind === 'command');
      if (gap)
        throw new DriverInvariantError(`node ${n.id} applied ${c.id} without ${describe(gap)} before it`);
    }
    this.#appliedChecked.set(n.id, { list, count: from });
  }

  /** Every committed entry is durable on a majority of disks (crashed nodes' disks count). */
  #durableOnMajority(nodes: readonly SimDriverNode[]): void {
    const need = majority(this.size);
    const check = (i: number) => {
      const e = this.committed[i - 1]!;
      let holders = 0;
      for (const n of nodes) {
        const d = n.disk;
        const held =
          i <= d.baseIndex
            ? d.appliedIndex >= i
            : (() => {
                const x = d.entry(i);
                return x !== undefined && same(x, e);
              })();
        if (held) holders++;
      }
      if (holders < need) {
        const disks = nodes
          .map((n) => {
            const d = n.disk;
            const x = d.entry(i);
            return `${n.id}: base ${d.baseIndex}, ${d.log.length} entries, applied ${d.appliedIndex}, at ${i} ${x ? describe(x) : 'nothing'}`;
          })
          .join('; ');
        throw new DriverInvariantError(
          `committed ${describe(e)} is durable on ${holders} disks (need ${need}): ${disks}`,
        );
      }
    };
    for (let i = this.#durableChecked + 1; i <= this.committed.length; i++) check(i);
    this.#durableChecked = this.committed.length;
  }
}

export async function runDriverSeed(seed: number, options: DriverSimOptions = {}): Promise<DriverSimResult> {
  const random = mulberry32(seed);
  const size = options.nodes ?? 3 + 2 * randomInt(random, 2);
  const faultMs = options.faultMs ?? 4_000 + randomInt(random, 4_000);
  const ids = Array.from({ length: size }, (_, k) => k + 1);
  const trace: string[] = [];
  const sched = new Scheduler();
  const log = (text: string) => {
    if (options.trace) trace.push(`t=${sched.now} ${text}`);
  };
  const snapshotEvery = 4 + randomInt(random, 40);
  const checker = new DriverChecker(size, snapshotEvery);
  const weather = {
    drop: random() < 0.4 ? 0 : random() * 0.1,
    duplicate: random() * 0.05,
    reorder: random() < 0.3,
    maxDelayMs: 1 + randomInt(random, 10),
    diskMs: 1 + randomInt(random, 8),
    faultEveryMs: 100 + randomInt(random, 400),
    proposeEveryMs: 2 + randomInt(random, 20),
    heavy: random() < 0.5 ? 0 : random() * 0.1,
  };
  let fatal: Error | null = null;
  let faults = 0;
  let installs = 0;
  let nextCommand = 1;
  let clients = true;
  const acked = new Map<string, number>();
  let electionsSinceStall = 0;
  const mastersSinceStall: number[] = [];
  const stalledUntil = (id: number) => {
    const st = options.stall;
    if (!st || sched.now < st.atMs || (st.nodes && !st.nodes.includes(id))) return 0;
    return st.atMs + st.forMs;
  };
  const incarnations = new Map<number, number>();

  const nodes: SimDriverNode[] = ids.map((id) => ({
    id,
    disk: new MemoryDisk(),
    state: 'crashed',
    inc: new Incarnation(id, 0),
    log: null,
    slowDisk: false,
    failingDb: false,
  }));
  const byId = new Map(nodes.map((n) => [n.id, n]));

  // ---- the network: per-link FIFO (TCP) unless the weather reorders; partitions cut links ----
  const group = new Map<number, number>();
  const connected = (a: number, b: number) => (group.get(a) ?? 0) === (group.get(b) ?? 0);
  const linkClock = new Map<string, number>();
  const arrival = (from: number, to: number) => {
    const at = sched.now + 1 + randomInt(random, weather.maxDelayMs);
    if (weather.reorder) return at;
    const key = `${from}>${to}`;
    const t = Math.max(at, linkClock.get(key) ?? 0);
    linkClock.set(key, t);
    return t;
  };
  /** Delivers to whatever incarnation of `to` runs on arrival: held if it is paused, lost if down. */
  const deliver = (
    from: number,
    to: number,
    fn: (log: ReplicatedLog<Payload, Effect>) => void,
    lost?: () => void,
  ) => {
    sched.at(arrival(from, to), () => {
      const target = byId.get(to)!;
      if (!connected(from, to) || target.state === 'crashed' || !target.log) return lost?.();
      const l = target.log;
      sched.at(sched.now, () => fn(l), target.inc);
    });
  };
  const send = (from: number, to: number, message: unknown) => {
    if (!connected(from, to) || random() < weather.drop) return;
    const copies = random() < weather.duplicate ? 2 : 1;
    for (let k = 0; k < copies; k++) {
      const copy = JSON.parse(JSON.stringify(message)) as unknown;
      deliver(from, to, (l) => l.receive(from, copy));
    }
  };
  /** The transport's request path: a lost request or answer fails at once, as a closed socket does. */
  const request = (n: SimDriverNode, to: number, part: unknown, timeoutMs: number) =>
    new Promise<unknown>((resolve, reject) => {
      const inc = n.inc;
      let done = false;
      const finish = (f: () => void) =>
        sched.at(
          sched.now,
          () => {
            if (!done) {
              done = true;
              f();
            }
          },
          inc,
        );
      const timers = sched.timersFor(inc);
      timers.setTimeout(() => finish(() => reject(new Error('snapshot part timed out'))), timeoutMs);
      const copy = JSON.parse(JSON.stringify(part)) as unknown;
      deliver(
        n.id,
        to,
        (l) => {
          void l.receiveSnapshot(n.id, copy).then(
            (answer) =>
              deliver(
                to,
                n.id,
                () => finish(() => resolve(JSON.parse(JSON.stringify(answer)))),
                () => finish(() => reject(new Error('link closed'))),
              ),
            (error: Error) =>
              deliver(
                to,
                n.id,
                () => finish(() => reject(error)),
                () => finish(() => reject(new Error('link closed'))),
              ),
          );
        },
        () => finish(() => reject(new Error('link closed'))),
      );
    });

  // ---- nodes ----
  const boot = (n: SimDriverNode) => {
    const number = (incarnations.get(n.id) ?? 0) + 1;
    incarnations.set(n.id, number);
    const inc = new Incarnation(n.id, number);
    n.inc = inc;
    n.state = 'up';
    n.log = null;
    const timers = sched.timersFor(inc);
    const store = memoryLogStore(
      n.disk,
      timers,
      {
        latency: () =>
          stalledUntil(n.id) > sched.now
            ? stalledUntil(n.id) - sched.now + randomInt(random, weather.diskMs + 1)
            : n.slowDisk
              ? 10 * weather.diskMs + randomInt(random, 20 * weather.diskMs)
              : randomInt(random, weather.diskMs + 1),
        fails: () => n.failingDb && random() < 0.5,
        lies: options.unsafe?.lyingDisk === true,
        ...(options.trace ? { wrote: (what: string) => log(`node ${n.id} disk: ${what}`) } : {}),
      },
      (error) => {
        fatal ??= new DriverInvariantError(`node ${n.id} storage refused a write: ${error.message}`);
      },
    );
    const applier: Applier<Payload, Effect> = {
      prepare: (entries) => ({
        statements: [
          {
            commands: entries.map((e) => ({
              index: e.index,
              epoch: e.epoch,
              lamport: e.lamport,
              id: e.command.id,
            })),
          },
        ],
        applied: entries,
      }),
      // The state lives in the disk; nothing is cached beside it.
      reload: () => Promise.resolve(),
    };
    const rlog = new ReplicatedLog<Payload, Effect>(
      store,
      applier,
      new LamportClock(n.disk.lamport),
      n.disk.appliedIndex,
      {
        nodeId: n.id,
        peerIds: ids.filter((p) => p !== n.id),
        heartbeatMs: HEARTBEAT_MS,
        failureTimeoutMs: FAILURE_TIMEOUT_MS,
        logger: silent,
        send: (to, m) => send(n.id, to, m),
        onEvent: (e: ClusterEventRecord) => {
          if (sched.now >= (options.stall?.atMs ?? 0)) {
            if (e.type === 'election-started') electionsSinceStall++;
            if (e.type === 'became-master') mastersSinceStall.push(n.id);
          }
          log(`node ${n.id} ${e.type} ${JSON.stringify(e.detail)}`);
        },
        isPayload: (p): boolean => typeof (p as Payload | null)?.id === 'string',
        maxWaiters: 100,
        proposeTimeoutMs: 4 * FAILURE_TIMEOUT_MS,
        persistStallVouchMs: PERSIST_STALL_VOUCH_MS,
        snapshotEvery,
        sendSnapshot: (to, part, timeoutMs) =>
          request(n, to, part, Math.min(timeoutMs, 4 * FAILURE_TIMEOUT_MS)),
        onSnapshotInstall: (outcome) => {
          if (outcome === 'ok') installs++;
          log(`node ${n.id} snapshot install ${outcome}`);
        },
        timers,
        random: mulberry32(seed * 7919 + n.id * 104729 + number),
      },
    );
    rlog.load().then(
      () => {
        if (!inc.alive) return;
        n.log = rlog;
        for (const p of nodes) {
          if (p === n || p.state === 'crashed' || !p.log) continue;
          rlog.peerLink(p.id, true);
          const other = p.log;
          sched.at(sched.now, () => other.peerLink(n.id, true), p.inc);
        }
        rlog.start();
        log(`node ${n.id} started (incarnation ${number})`);
      },
      // A failing database at start: the process exits and is started again.
      () => {
        if (inc.alive) sched.at(sched.now + 50, () => boot(n));
      },
    );
  };

  const crash = (n: SimDriverNode) => {
    n.inc.alive = false;
    n.state = 'crashed';
    n.log = null;
    log(`crash ${n.id}`);
    for (const x of nodes) {
      // Usually the others see the socket close at once (a half-open connection hides it).
      if (x !== n && x.log && random() < 0.7) {
        const l = x.log;
        sched.at(sched.now, () => l.peerLink(n.id, false), x.inc);
      }
    }
  };

  const pause = (n: SimDriverNode) => {
    n.state = 'paused';
    n.inc.paused = true;
    log(`pause ${n.id}`);
  };
  const resume = (n: SimDriverNode) => {
    if (n.state !== 'paused') return;
    n.state = 'up';
    sched.resume(n.inc);
    log(`resume ${n.id}`);
  };

  const injectFault = () => {
    faults++;
    const n = nodes[randomInt(random, size)]!;
    const crashed = nodes.filter((x) => x.state === 'crashed').length;
    switch (randomInt(random, 10)) {
      case 0:
        if (n.state !== 'crashed' && crashed < size - 1) crash(n);
        break;
      case 1: {
        const down = nodes.filter((x) => x.state === 'crashed');
        const r = down[randomInt(random, Math.max(1, down.length))];
        if (r) {
          log(`restart ${r.id}`);
          boot(r);
        }
        break;
      }
      case 2:
        if (n.state === 'up') pause(n);
        else resume(n);
        break;
      case 3: {
        const shuffled = [...ids].sort(() => random() - 0.5);
        const cut = 1 + randomInt(random, size - 1);
        group.clear();
        for (const id of shuffled.slice(cut)) group.set(id, 1);
        log(`partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
        break;
      }
      case 4:
        group.clear();
        log('heal');
        break;
      case 5:
        n.slowDisk = !n.slowDisk;
        log(`node ${n.id} disk ${n.slowDisk ? 'slow' : 'fast'}`);
        break;
      case 6:
        n.failingDb = !n.failingDb;
        log(`node ${n.id} database ${n.failingDb ? 'failing' : 'back'}`);
        break;
      case 7: {
        const jump = randomInt(random, 2 * FAILURE_TIMEOUT_MS);
        n.inc.skew += jump;
        log(`node ${n.id} clock jumps ${jump} ms`);
        break;
      }
      case 8: {
        const other = ids[randomInt(random, size)]!;
        const l = n.log;
        if (other !== n.id && l && n.state === 'up') {
          l.peerLink(other, false);
          log(`node ${n.id} wrongly sees ${other} disconnect`);
          if (random() < 0.5) l.peerLink(other, true);
        }
        break;
      }
      default:
        for (const x of nodes) resume(x);
    }
  };

  const propose = (n: SimDriverNode, id: string) => {
    const l = n.log;
    if (n.state !== 'up' || !l?.serving) return false;
    const kind = random() < weather.heavy ? 'catalog.import' : undefined;
    try {
      const p = l.propose(kind ? { id, kind } : { id });
      p.done.then(
        () => acked.set(id, p.index),
        () => undefined,
      );
      return true;
    } catch {
      return false; // NO_MASTER: the client tries elsewhere
    }
  };

  const everyMs = (ms: () => number, fn: () => void, until: () => boolean) => {
    const fire = () => {
      if (until()) return;
      fn();
      sched.at(sched.now + ms(), fire);
    };
    sched.at(sched.now + ms(), fire);
  };

  const run = async (until: number) => {
    while (sched.runNext(until)) {
      await drain();
      if (fatal) throw fatal;
      checker.afterStep(nodes);
    }
    sched.now = Math.max(sched.now, until);
  };

  let convergedAfterMs: number | undefined;
  const result = (ok: boolean, error?: string): DriverSimResult => ({
    seed,
    ok,
    ...(error ? { error, at: sched.now } : {}),
    committed: checker.committed.length,
    acked: acked.size,
    snapshotInstalls: installs,
    faults,
    maxEpoch: Math.max(...nodes.map((n) => n.log?.core.promisedEpoch ?? 0)),
    electionsSinceStall,
    mastersSinceStall,
    ...(convergedAfterMs === undefined ? {} : { convergedAfterMs }),
    trace,
  });

  try {
    for (const n of nodes) boot(n);
    let faulty = options.faults !== false;
    everyMs(
      () => 1 + randomInt(random, 2 * weather.faultEveryMs),
      injectFault,
      () => !faulty,
    );
    everyMs(
      () => 1 + randomInt(random, weather.proposeEveryMs),
      () => {
        if (propose(nodes[randomInt(random, size)]!, `c${nextCommand}`)) nextCommand++;
      },
      () => !clients,
    );
    await run(faultMs);

    // Calm: faults stop and heal; clients go on for a while, then stop.
    faulty = false;
    group.clear();
    weather.drop = 0;
    weather.duplicate = 0;
    for (const n of nodes) {
      n.slowDisk = false;
      n.failingDb = false;
      if (n.state === 'crashed') boot(n);
      else resume(n);
    }
    for (const n of nodes) {
      for (const p of nodes) if (p !== n && n.log) n.log.peerLink(p.id, true);
    }
    log('calm');
    const calmAt = sched.now;
    await run(calmAt + CALM_CLIENT_MS);
    clients = false;
    const master = () => nodes.find((n) => n.log?.serving);
    let converged: SimDriverNode | undefined;
    while (sched.now < calmAt + CALM_CLIENT_MS + CONVERGE_MS) {
      await run(sched.now + HEARTBEAT_MS / 5);
      const m = master();
      if (!m || m.id !== size) continue;
      const target = m.log!.lastIndex;
      const settled = nodes.every((n) => {
        const c = n.log?.core;
        return (
          c !== undefined &&
          c.role === (n === m ? 'master' : 'slave') &&
          c.commitIndex === target &&
          c.appliedIndex === target &&
          c.lastIndex === target &&
          n.disk.appliedIndex === target
        );
      });
      if (settled) {
        converged = m;
        convergedAfterMs = sched.now - calmAt;
        break;
      }
    }
    if (!converged) {
      const state = nodes
        .map((n) => {
          const c = n.log?.core;
          return c
            ? `${n.id}:${c.role}@${c.epoch} c${c.commitIndex} a${c.appliedIndex} l${c.lastIndex} disk-a${n.disk.appliedIndex}${n.log?.applyError ? ` err ${n.log.applyError.message}` : ''}`
            : `${n.id}:loading`;
        })
        .join(' ');
      const m = nodes.find((n) => n.log?.core.role === 'master')?.log?.core;
      const peers = m
        ? ` The master's view: ${m
            .peers()
            .map(
              (p) =>
                `${p.id} match ${p.matchIndex}${p.snapshotting ? ' snapshotting' : ''}, heard ${p.lastHeardTicksAgo} ticks ago`,
            )
            .join('; ')} (its first index ${m.firstIndex}).`
        : '';
      throw new DriverInvariantError(
        `liveness: not converged ${CALM_CLIENT_MS + CONVERGE_MS} ms after the last fault: ${state}.${peers}`,
      );
    }
    // Storage holds exactly the retained log, once nothing is in flight: compaction reached the disk.
    for (const n of nodes) {
      const c = n.log!.core;
      const retained = n.disk.log.length;
      if (n.disk.baseIndex > c.snapshotIndex || retained > c.retainedEntries + snapshotEvery) {
        throw new DriverInvariantError(
          `node ${n.id} stores ${retained} entries after ${n.disk.baseIndex}, retains ${c.retainedEntries} after ${c.snapshotIndex}`,
        );
      }
    }
    // Every acknowledged command is applied, where it was acknowledged, on every node; none twice.
    const final = converged.disk.applied;
    const at = new Map(final.map((c) => [c.index, c.id]));
    for (const [id, index] of acked) {
      if (at.get(index) !== id) throw new DriverInvariantError(`acknowledged ${id} at ${index} is lost`);
    }
    if (new Set(final.map((c) => c.id)).size !== final.length)
      throw new DriverInvariantError('a command applied twice');
    for (const n of nodes) {
      const mine = n.disk.applied;
      if (
        mine.length !== final.length ||
        mine.some((c, k) => c.id !== final[k]!.id || c.index !== final[k]!.index)
      ) {
        throw new DriverInvariantError(
          `node ${n.id} applied ${mine.length} commands, the master ${final.length}, or others`,
        );
      }
    }
    // Liveness: the converged cluster takes writes through the production propose path.
    for (let k = 0; k < LIVENESS_WRITES; k++) {
      const id = `live${k}`;
      if (!propose(converged, id))
        throw new DriverInvariantError(`liveness: master ${converged.id} refused ${id}`);
      const by = sched.now + LIVENESS_MS;
      while (sched.now < by && !acked.has(id)) await run(sched.now + HEARTBEAT_MS / 5);
      if (!acked.has(id))
        throw new DriverInvariantError(`liveness: ${id} not committed within ${LIVENESS_MS} ms`);
    }
    return result(true);
  } catch (error) {
    if (error instanceof DriverInvariantError) return result(false, error.message);
    return result(false, `crashed: ${(error as Error).stack ?? error}`);
  } finally {
    for (const n of nodes) n.inc.alive = false;
  }
}
