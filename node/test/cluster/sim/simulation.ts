/**
 * One seeded simulation run: a cluster of real ClusterCores on the in-memory network, a client
 * proposing commands, and a random fault schedule (crash/restart, pause/resume, partitions,
 * lossy/duplicating/reordering links). Invariants are checked after every step; at the end the
 * faults stop and the cluster must converge with every acknowledged command in place.
 *
 * Everything is a pure function of the seed, so `runSeed(seed)` replays a failure exactly.
 */
import type { ClusterConfig } from '../../../src/cluster/core.js';
import { catchUpTicks } from '../../../src/cluster/election.js';
import type { Entry } from '../../../src/cluster/entry.js';
import { mulberry32, randomInt } from '../../../src/cluster/prng.js';
import { Checker, InvariantError } from './checker.js';
import { SimNetwork } from './network.js';
import { type Payload, SimNode } from './sim-node.js';
import {
  type CompactionPolicy,
  isSnapshotMessage,
  SnapshotDriver,
  type SnapshotMessage,
} from './snapshots.js';

export interface SimOptions {
  nodes?: number;
  steps?: number;
  /** Deliberately broken core variants, to prove the checker notices. */
  unsafe?: ClusterConfig['unsafe'];
  /** Record a human-readable trace of faults and roles (for replaying one seed). */
  trace?: boolean;
  /** Keep this node cut off after the faults stop: the liveness check must then fail. */
  neverHeal?: number;
  /** Log compaction: default random per seed (a quarter of the seeds never compact); null: never. */
  compaction?: CompactionPolicy | null;
  /** Every node applies behind its log (true), none does (false); default random per node. */
  lagApply?: boolean;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  error?: string;
  step?: number;
  committed: number;
  acked: number;
  masters: number;
  /** Snapshots installed on far-behind nodes. */
  snapshotInstalls: number;
  /** Highest epoch any node promised by the end (epoch inflation shows here). */
  maxEpoch: number;
  /** Ticks from the end of the faults until the cluster converged (undefined: it did not). */
  convergedAfter?: number;
  /** What the cluster had to catch up when the clients stopped: max log end - min commit index. */
  lag: number;
  /** The smallest `maxAppendEntries` of the run. */
  batch: number;
  /** `convergenceBound(lag, batch)`: convergedAfter must not exceed it. */
  bound: number;
  trace: string[];
}

const HEARTBEAT = 2;
const FAILURE_TIMEOUT = 10;
const ELECTION_TIMEOUT = 4;
/** After convergence, this many fresh commands must each commit on the master within LIVENESS_TICKS. */
const LIVENESS_WRITES = 3;
const LIVENESS_TICKS = 3 * HEARTBEAT + 4;
/** Clients keep writing this long after the faults stop, so the first elections run under load. */
const CALM_CLIENT_TICKS = 2 * FAILURE_TIMEOUT;

/**
 * Liveness as a property: the ticks within which, after the last fault healed, the cluster must
 * have converged: the highest id master and serving, every node a slave of it with the same log,
 * commit index and applied index. The election part: a restarted node waits a failure timeout
 * before it stands; a pre-vote can be refused while peers' leases run out (one more failure timeout
 * and a retry round of up to two); the view change and a later bully takeover by the highest id
 * each take a few round trips; collisions cost a jittered retry. Eight failure timeouts cover that
 * with room to spare (20,000 seeds needed at most four). The catch-up part: every lagging entry
 * travels at most twice (to the first master's slaves, then to the taker-over's) in batches of
 * the smallest `maxAppendEntries`, at least one batch per tick while the master pipelines.
 */
export function convergenceBound(lag: number, batch: number): number {
  return CALM_CLIENT_TICKS + 8 * FAILURE_TIMEOUT + 2 * Math.ceil(lag / batch);
}

export function runSeed(seed: number, options: SimOptions = {}): SimResult {
  const random = mulberry32(seed);
  const size = options.nodes ?? 3 + 2 * randomInt(random, 2); // 3 or 5 nodes
  const steps = options.steps ?? 400 + randomInt(random, 400);
  const ids = Array.from({ length: size }, (_, k) => k + 1);
  const trace: string[] = [];
  const log = (now: number, text: string) => {
    if (options.trace) trace.push(`t=${now} ${text}`);
  };
  const net = new SimNetwork(random, { drop: 0, duplicate: 0, maxDelay: 1 });
  const batches = ids.map(() => 1 + randomInt(random, 8));
  const nodes = ids.map(
    (id) =>
      new SimNode(
        id,
        {
          id,
          peerIds: ids.filter((p) => p !== id),
          heartbeatTicks: HEARTBEAT,
          failureTimeoutTicks: FAILURE_TIMEOUT,
          electionTimeoutTicks: ELECTION_TIMEOUT,
          maxAppendEntries: batches[id - 1]!,
          ...(options.unsafe ? { unsafe: options.unsafe } : {}),
        },
        seed,
      ),
  );
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Some nodes apply behind their log (the production applier behind a slow database): what the
  // core counts as applied, and so when a new master serves, must wait for the real apply.
  for (const n of nodes) n.lagApply = options.lagApply ?? random() < 0.4;
  // Compaction at random points: every few applied entries, keeping a random tail.
  const every = 2 + randomInt(random, 30);
  const policy =
    options.compaction !== undefined
      ? options.compaction
      : random() < 0.25
        ? null
        : { every, keep: randomInt(random, every), timeoutTicks: 3 * FAILURE_TIMEOUT };
  const snapshots = policy ? new SnapshotDriver(policy, random) : null;
  const checker = new Checker(size, snapshots ? (n) => snapshots.bound(n) : undefined);
  /** Client commands acknowledged to the "client": payload id → index. */
  const acked = new Map<string, number>();
  /** Proposed, not yet acknowledged: on which node, at which (index, epoch). */
  const waiting: { node: number; index: number; epoch: number; id: string }[] = [];
  let nextCommand = 1;
  let now = 0;
  const roles = new Map<number, string>();

  // This run's weather: how lossy the links are and how often faults strike.
  const weather = {
    drop: random() < 0.3 ? 0 : random() * 0.2,
    duplicate: random() * 0.1,
    maxDelay: 1 + randomInt(random, 4),
    fault: 0.01 + random() * 0.04,
    propose: 0.2 + random() * 0.6,
    /** Chance per step that a node's I/O finishes a Ready (slow disks leave work in flight). */
    io: 0.5 + random() * 0.5,
    /** Chance per step that a lagging node's applier makes progress. */
    apply: 0.2 + random() * 0.6,
  };
  net.faults = { drop: weather.drop, duplicate: weather.duplicate, maxDelay: weather.maxDelay };

  /**
   * A paused node's wall clock kept running: when it wakes, the I/O layer (ReplicatedLog) first reads
   * what waited in its socket buffer, then runs the ticks it owes, capped as there (catchUpTicks).
   */
  const pausedAt = new Map<number, number>();
  const owedTicks = new Map<number, number>();
  const resume = (n: SimNode) => {
    n.state = 'up';
    owedTicks.set(n.id, catchUpTicks(now - (pausedAt.get(n.id) ?? now), FAILURE_TIMEOUT));
  };

  const sendSnapshot = (m: SnapshotMessage) => net.send(now, m as never);
  const deliver = (messages: readonly { to: number }[]) => {
    for (const m of messages) net.send(now, m as never);
  };

  const runIo = (n: SimNode, force: boolean) => {
    if (n.state !== 'up') return;
    for (let round = 0; round < 3; round++) {
      if (!n.inflight && !n.takeReady()) return;
      if (!force && random() > weather.io) return;
      const seenEvents = n.events.length;
      const { messages, applied: committed, snapshotNeeded } = n.completeReady();
      if (options.trace) {
        for (const e of n.events.slice(seenEvents))
          log(now, `node ${n.id} ${e.type} ${JSON.stringify(e.detail)}`);
      }
      deliver(messages);
      onApplied(n, committed);
      snapshots?.afterReady(n, snapshotNeeded, now, sendSnapshot);
    }
  };

  /** Entries durably applied on `n`: they are committed; proposers waiting on them get answers. */
  const onApplied = (n: SimNode, applied: readonly Entry<Payload>[]) => {
    if (applied.length === 0) return;
    checker.sawCommitted(n.id, applied);
    for (let k = waiting.length - 1; k >= 0; k--) {
      const w = waiting[k]!;
      if (w.node !== n.id) continue;
      const hit = applied.find((e) => e.index === w.index);
      if (!hit) continue;
      waiting.splice(k, 1);
      // Acknowledged only if the entry that committed there is ours (same epoch and command).
      if (hit.epoch === w.epoch && hit.kind === 'command' && hit.payload.id === w.id)
        acked.set(w.id, w.index);
    }
  };

  /** A lagging node's applier: a few entries now and then; everything once the faults stop. */
  const runApplier = (n: SimNode, force: boolean) => {
    if (n.state !== 'up' || n.unapplied === 0) return;
    if (!force && random() > weather.apply) return;
    onApplied(n, n.applyPending(force ? Number.POSITIVE_INFINITY : 1 + randomInt(random, 8)));
    snapshots?.afterReady(n, [], now, sendSnapshot);
  };

  const injectFault = () => {
    const n = nodes[randomInt(random, nodes.length)]!;
    const crashed = nodes.filter((x) => x.state === 'crashed').length;
    switch (randomInt(random, 7)) {
      case 6: {
        // A wrong hint: a flaky link makes a node believe a live peer's socket closed.
        const other = ids[randomInt(random, size)]!;
        if (other !== n.id && n.state === 'up') {
          n.core.peerDown(other);
          log(now, `node ${n.id} wrongly sees ${other} disconnect`);
          if (random() < 0.5) n.core.peerUp(other);
        }
        break;
      }
      case 0:
        if (n.state === 'up' && crashed < size - 1) {
          n.crash();
          log(now, `crash ${n.id}`);
          // Usually the others see the socket close at once (a half-open connection hides it).
          for (const x of nodes) if (x !== n && x.state === 'up' && random() < 0.7) x.core.peerDown(n.id);
        }
        break;
      case 1: {
        const down = nodes.filter((x) => x.state === 'crashed');
        const r = down[randomInt(random, Math.max(1, down.length))];
        if (r) {
          r.restart();
          // The driver compacts at boot too: a compaction lost in the crash is redone at once.
          snapshots?.afterReady(r, [], now, sendSnapshot);
          log(now, `restart ${r.id}`);
          for (const x of nodes) if (x !== r) x.core.peerUp(r.id);
        }
        break;
      }
      case 2:
        if (n.state === 'up') {
          n.state = 'paused';
          pausedAt.set(n.id, now);
          log(now, `pause ${n.id}`);
        } else if (n.state === 'paused') {
          resume(n);
          log(now, `resume ${n.id}`);
        }
        break;
      case 3: {
        const shuffled = [...ids].sort(() => random() - 0.5);
        const cut = 1 + randomInt(random, size - 1);
        net.partition([shuffled.slice(0, cut), shuffled.slice(cut)]);
        log(now, `partition ${shuffled.slice(0, cut).join(',')} | ${shuffled.slice(cut).join(',')}`);
        break;
      }
      case 4:
        net.heal();
        log(now, 'heal');
        break;
      default:
        for (const x of nodes) if (x.state === 'paused') resume(x);
        log(now, 'resume all');
    }
  };

  const step = (faulty: boolean, clients = true) => {
    now++;
    if (faulty && random() < weather.fault) injectFault();
    for (const m of net.due(now, (to) => {
      const s = byId.get(to)!.state;
      return s === 'up' ? 'deliver' : s === 'paused' ? 'hold' : 'lose';
    })) {
      const target = byId.get(m.to)!;
      if (isSnapshotMessage(m)) snapshots?.deliver(target, m, checker);
      else target.core.step(m);
    }
    for (const n of nodes) {
      if (n.state !== 'up') continue;
      for (let k = owedTicks.get(n.id) ?? 0; k > 0; k--) n.core.tick();
      owedTicks.delete(n.id);
      n.core.tick();
    }
    if (clients && random() < weather.propose) {
      const n = nodes[randomInt(random, nodes.length)]!;
      // As the driver does: only a serving master takes writes (ReplicatedLog.propose).
      if (n.state === 'up' && n.core.serving) {
        const id = `c${nextCommand}`;
        const r = n.core.propose({ id });
        if ('index' in r) {
          nextCommand++;
          waiting.push({ node: n.id, index: r.index, epoch: r.epoch, id });
        }
      }
    }
    for (const n of nodes) {
      if (n.state !== 'up') continue;
      if (random() < 0.7) n.core.flush();
      runIo(n, !faulty);
      runApplier(n, !faulty);
    }
    // A crashed or restarted node forgets what it was waiting for: its client got an error.
    for (let k = waiting.length - 1; k >= 0; k--) {
      if (byId.get(waiting[k]!.node)!.state === 'crashed') waiting.splice(k, 1);
    }
    snapshots?.tick(byId, now);
    checker.afterStep(nodes);
    for (const n of nodes) {
      const r = n.state === 'crashed' ? 'down' : `${n.core.role}@${n.core.epoch}`;
      if (roles.get(n.id) !== r) {
        roles.set(n.id, r);
        log(now, `node ${n.id} ${r} commit=${n.core.commitIndex} last=${n.core.lastIndex}`);
      }
    }
  };

  let convergedAfter: number | undefined;
  let lag = 0;
  const batch = Math.min(...batches);
  let bound = 0;
  const result = (ok: boolean, error?: string): SimResult => ({
    seed,
    ok,
    ...(error ? { error, step: now } : {}),
    committed: checker.committed.length,
    acked: acked.size,
    masters: nodes.filter((n) => n.core.role === 'master' && n.state !== 'crashed').length,
    snapshotInstalls: snapshots?.installs ?? 0,
    maxEpoch: Math.max(...nodes.map((n) => n.core.promisedEpoch)),
    ...(convergedAfter === undefined ? {} : { convergedAfter }),
    lag,
    batch,
    bound,
    trace,
  });

  try {
    for (let s = 0; s < steps; s++) step(true);

    // Calm: heal, resume, restart, clean links. Live connected nodes must converge.
    net.heal();
    if (options.neverHeal !== undefined) {
      net.partition([[options.neverHeal], ids.filter((id) => id !== options.neverHeal)]);
    }
    net.faults = { drop: 0, duplicate: 0, maxDelay: 1, reorder: false };
    for (const n of nodes) {
      if (n.state === 'crashed') {
        n.restart();
        snapshots?.afterReady(n, [], now, sendSnapshot);
      } else if (n.state === 'paused') resume(n);
    }
    for (const n of nodes) for (const id of ids) if (id !== n.id) n.core.peerUp(id);
    log(now, 'calm');
    const calmAt = now;
    while (now < calmAt + CALM_CLIENT_TICKS) step(false);
    lag = Math.max(...nodes.map((n) => n.core.lastIndex)) - Math.min(...nodes.map((n) => n.core.commitIndex));
    bound = convergenceBound(lag, batch);
    let converged = false;
    while (now < calmAt + bound) {
      step(false, false);
      const master = nodes.find((n) => n.core.serving);
      // Classic bully: once everyone is back, the highest id is master (a takeover may still run).
      if (!master || master.id !== size) continue;
      const target = master.core.lastIndex;
      if (
        nodes.every(
          (n) =>
            n.core.role === (n === master ? 'master' : 'slave') &&
            n.core.commitIndex === target &&
            n.core.appliedIndex === target &&
            n.core.lastIndex === target,
        )
      ) {
        converged = true;
        convergedAfter = now - calmAt;
        break;
      }
    }
    if (!converged) {
      const state = nodes
        .map((n) => `${n.id}:${n.core.role}@${n.core.epoch} c${n.core.commitIndex} l${n.core.lastIndex}`)
        .join(' ');
      throw new InvariantError(
        `liveness: not converged ${bound} ticks after the last fault healed (lag ${lag}, batch ${batch}): ${state}`,
      );
    }
    const master = nodes.find((n) => n.core.role === 'master')!;
    // Every acknowledged command is in the final log, exactly where it was acknowledged.
    // The master's state machine: its log may be compacted.
    const finalLog = master.disk.applied;
    for (const [id, index] of acked) {
      const e = finalLog[index - 1];
      if (e?.kind !== 'command' || e.payload.id !== id) {
        throw new InvariantError(`acknowledged ${id} at ${index} is lost`);
      }
    }
    const seen = new Set<string>();
    for (const e of finalLog) {
      if (e.kind !== 'command') continue;
      if (seen.has(e.payload.id)) throw new InvariantError(`${e.payload.id} committed twice`);
      seen.add(e.payload.id);
    }
    // Every node applied exactly the committed log.
    for (const n of nodes) {
      if (n.disk.applied.length !== finalLog.length) {
        throw new InvariantError(`node ${n.id} applied ${n.disk.applied.length} of ${finalLog.length}`);
      }
    }
    // Liveness: the converged cluster takes writes. A master that reports itself master but never
    // commits a fresh command (the stall a chaos run once showed) fails here, not only in a soak.
    for (let k = 0; k < LIVENESS_WRITES; k++) {
      const id = `live${k}`;
      const r = master.core.propose({ id });
      if (!('index' in r)) throw new InvariantError(`liveness: master ${master.id} refused ${id}`);
      waiting.push({ node: master.id, index: r.index, epoch: r.epoch, id });
      const by = now + LIVENESS_TICKS;
      while (now < by && !acked.has(id)) step(false, false);
      if (!acked.has(id)) {
        throw new InvariantError(
          `liveness: ${id} proposed on master ${master.id} was not committed within ${LIVENESS_TICKS} ticks`,
        );
      }
    }
    return result(true);
  } catch (error) {
    if (error instanceof InvariantError) return result(false, error.message);
    return result(false, `crashed: ${(error as Error).stack ?? error}`);
  }
}

export type { Payload };
