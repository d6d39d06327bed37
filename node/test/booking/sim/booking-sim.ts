/**
 * The booking layer under the deterministic simulation: real ClusterCores on the in-memory network,
 * each node with the production BookingMachine (applied state) and, while it serves, the master's
 * tail; clients that book with idempotency keys and retry when an answer does not come (a crashed,
 * paused or cut-off master, a lost reply). The race that wedged real clusters (issue 9) is this:
 * a first attempt commits unanswered, a failover, the retry reaches the new master.
 *
 * Checked after every step: apply never rejects an entry (decisions saw the whole log), no two
 * committed bookings share an idempotency key, no seat is owned twice (an independent replay of the
 * committed log), and every node that applied an index agrees on the state there. At the end the
 * faults heal, the cluster converges, and every acknowledged booking is in place, one per key.
 *
 * A pure function of the seed: `runBookingSeed(seed)` replays a failure exactly.
 */

import type { Command } from '../../../src/booking/entries.js';
import { BookingMachine } from '../../../src/booking/machine.js';
import { ClusterCore, type Ready } from '../../../src/cluster/core.js';
import type { Entry } from '../../../src/cluster/entry.js';
import { mulberry32, randomInt } from '../../../src/cluster/prng.js';
import { AppError } from '../../../src/protocol/errors.js';
import { SimNetwork } from '../../cluster/sim/network.js';

const HEARTBEAT = 2;
const FAILURE_TIMEOUT = 10;
const ELECTION_TIMEOUT = 4;
/** A client gives up waiting for an answer after this many ticks and retries, with the same key. */
const CLIENT_PATIENCE = 8;
const SHOW = 'show-1';
const LAYOUT = ['SSSSSSSS', 'SSSSSSSS', 'SSSSSSSS', 'SSSSSSSS', 'SSSSSSSS'];
const CLIENTS = 5;
const BOOKINGS_PER_CLIENT = 4;
const SEATS = LAYOUT.flatMap((row, r) => [...row].map((_, c) => `${String.fromCharCode(65 + r)}${c + 1}`));
const FAR_FUTURE = Date.parse('2100-01-01T00:00:00Z');

export interface BookingSimOptions {
  nodes?: number;
  steps?: number;
  /** The bug this simulation exists for: decide against the applied state, not the whole log. */
  decideAgainstAppliedOnly?: boolean;
  trace?: boolean;
}

export interface BookingSimResult {
  seed: number;
  ok: boolean;
  error?: string;
  step?: number;
  acked: number;
  retries: number;
  committedBookings: number;
  trace: string[];
}

export class BookingInvariantError extends Error {}

interface Request {
  client: number;
  key: string;
  seatIds: string[];
  requestHash: string;
  /** Booking id answered to the client, once it was. */
  answered: string | null;
  attempts: number;
}

interface Waiting {
  request: Request;
  node: number;
  index: number;
  epoch: number;
  bookingId: string;
  /** Ticks left until the client stops waiting (answer lost, node gone). */
  patience: number;
}

class Node {
  core!: ClusterCore<Command>;
  disk = {
    log: [] as Entry<Command>[],
    hard: null as Ready<Command>['persist']['hardState'] | null,
    applied: 0,
  };
  /** The applied booking state: what the node's database holds (rebuilt from the disk on restart). */
  machine = seededMachine();
  tail: BookingMachine | null = null;
  state: 'up' | 'paused' | 'crashed' = 'up';
  incarnation = 0;

  constructor(
    readonly id: number,
    readonly ids: number[],
    readonly seed: number,
  ) {
    this.boot();
  }

  boot(): void {
    const hard = this.disk.hard;
    this.core = new ClusterCore<Command>(
      {
        id: this.id,
        peerIds: this.ids.filter((p) => p !== this.id),
        heartbeatTicks: HEARTBEAT,
        failureTimeoutTicks: FAILURE_TIMEOUT,
        electionTimeoutTicks: ELECTION_TIMEOUT,
        maxAppendEntries: 4,
        random: mulberry32(this.seed * 7919 + this.id * 104729 + this.incarnation),
      },
      {
        epoch: hard?.epoch ?? 0,
        promisedEpoch: hard?.promisedEpoch ?? 0,
        promisedTo: hard?.promisedTo ?? null,
        commitIndex: hard?.commitIndex ?? 0,
        appliedIndex: this.disk.applied,
        lamport: hard?.lamport ?? 0,
        log: this.disk.log,
      },
    );
    // The database survives; memory does not: the machine is what the applied entries made it.
    this.machine = seededMachine();
    const applied = this.disk.log.slice(0, this.disk.applied);
    this.machine.applyBatch(toEntries(applied), this.disk.applied);
    this.tail = null;
  }

  /** The core's rule, as in production: master, view change committed and applied here. */
  get serving(): boolean {
    return this.core.serving;
  }
}

function seededMachine(): BookingMachine {
  const m = BookingMachine.load({
    appliedIndex: 0,
    shows: [
      {
        id: SHOW,
        screenId: 'screen-1',
        startsAtMs: FAR_FUTURE,
        layout: LAYOUT,
        prices: { standard: 1000 },
        currency: 'EUR',
      },
    ],
    claims: [],
    holds: [],
    bookings: [],
  });
  return m;
}

function toEntries(entries: readonly Entry<Command>[]) {
  return entries.flatMap((e) =>
    e.kind === 'command' ? [{ index: e.index, epoch: e.epoch, lamport: e.lamport, command: e.payload }] : [],
  );
}

/** Replays the committed log with the simplest possible rules, independent of BookingMachine. */
function checkCommittedLog(log: readonly Entry<Command>[]): number {
  const owner = new Map<string, string>();
  const keys = new Map<string, string>();
  const seatsOf = new Map<string, string[]>();
  let bookings = 0;
  for (const e of log) {
    if (e.kind !== 'command') continue;
    const c = e.payload;
    if (c.kind === 'booking.create') {
      const b = c.booking;
      if (b.idempotencyKey !== null) {
        const first = keys.get(b.idempotencyKey);
        if (first) {
          throw new BookingInvariantError(
            `key ${b.idempotencyKey} booked twice: ${first} and ${b.id} (entry ${e.index})`,
          );
        }
        keys.set(b.idempotencyKey, b.id);
      }
      for (const s of b.seatIds) {
        const taken = owner.get(s);
        if (taken)
          throw new BookingInvariantError(`seat ${s} sold twice: ${taken} and ${b.id} (entry ${e.index})`);
        owner.set(s, b.id);
      }
      seatsOf.set(b.id, b.seatIds);
      bookings++;
    } else if (c.kind === 'booking.cancel') {
      for (const s of seatsOf.get(c.bookingId) ?? []) if (owner.get(s) === c.bookingId) owner.delete(s);
    }
  }
  return bookings;
}

export function runBookingSeed(seed: number, options: BookingSimOptions = {}): BookingSimResult {
  const random = mulberry32(seed);
  const size = options.nodes ?? 3;
  const steps = options.steps ?? 300 + randomInt(random, 300);
  const ids = Array.from({ length: size }, (_, k) => k + 1);
  const nodes = ids.map((id) => new Node(id, ids, seed));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const net = new SimNetwork(random, { drop: random() * 0.1, duplicate: random() * 0.05, maxDelay: 3 });
  const trace: string[] = [];
  const say = (text: string) => {
    if (options.trace) trace.push(`t=${now} ${text}`);
  };
  let now = 0;
  let nextId = 1;
  let retries = 0;
  const faultRate = 0.02 + random() * 0.04;
  /** Committed entries as first seen anywhere (the core's checker guards their agreement). */
  const committed: Entry<Command>[] = [];
  /** index → digest of the applied state there, from the first node that applied it. */
  const digests = new Map<number, string>();

  // Every client books pairs of seats of its own, one after the other, each under its own key: a
  // second booking of a key is a double sale that only the key can prevent.
  const queues: Request[][] = Array.from({ length: CLIENTS }, (_, client) =>
    Array.from({ length: BOOKINGS_PER_CLIENT }, (_, k) => {
      const pair = client * BOOKINGS_PER_CLIENT + k;
      return {
        client,
        key: `key-${client}-${k}`,
        seatIds: [SEATS[2 * pair]!, SEATS[2 * pair + 1]!],
        requestHash: `hash-${client}-${k}`,
        answered: null,
        attempts: 0,
      };
    }),
  );
  const requests = queues.flat();
  const current = (client: number) => queues[client]!.find((r) => r.answered === null);
  const waiting: Waiting[] = [];
  /** Clients whose attempt is not running: when they next try. */
  const idle = new Map<number, number>(queues.map((_, client) => [client, randomInt(random, 40)]));

  const digest = (m: BookingMachine) => {
    const owners = [...m.owners(SHOW)].map(([s, o]) => `${s}:${'booking' in o ? o.booking : o.hold}`);
    return `${owners.sort().join(',')}|${JSON.stringify(m.size())}`;
  };

  const applyCommitted = (n: Node, entries: readonly Entry<Command>[]) => {
    if (entries.length === 0) return;
    for (const e of entries) {
      const known = committed[e.index - 1];
      if (!known) committed[e.index - 1] = e;
    }
    const through = entries.at(-1)!.index;
    const { outcomes } = n.machine.applyBatch(toEntries(entries), through);
    const rejected = outcomes.find((o) => !o.ok);
    if (rejected && !rejected.ok) {
      throw new BookingInvariantError(
        `node ${n.id} rejected a committed entry: ${rejected.reason} ${rejected.detail}`,
      );
    }
    n.disk.applied = through;
    n.core.appliedTo(through);
    const d = digest(n.machine);
    const first = digests.get(through);
    if (first === undefined) digests.set(through, d);
    else if (first !== d)
      throw new BookingInvariantError(`node ${n.id} disagrees on the state at ${through}`);
    // Answers for what this node proposed and has now applied.
    for (let k = waiting.length - 1; k >= 0; k--) {
      const w = waiting[k]!;
      if (w.node !== n.id || w.index > through) continue;
      waiting.splice(k, 1);
      const there = committed[w.index - 1];
      const ours =
        there?.kind === 'command' &&
        there.payload.kind === 'booking.create' &&
        there.payload.booking.id === w.bookingId &&
        there.epoch === w.epoch;
      if (ours) answer(w.request, w.bookingId);
      else if (w.request.answered === null) idle.set(w.request.client, now + 1); // lost: it retries
    }
    const serving = n.serving;
    if (serving && n.tail === null) {
      n.tail = options.decideAgainstAppliedOnly ? null : n.machine.clone();
      say(`node ${n.id} serves at ${n.disk.applied}`);
    }
  };

  const answer = (request: Request, bookingId: string) => {
    if (request.answered !== null && request.answered !== bookingId) {
      throw new BookingInvariantError(
        `client ${request.client} got two bookings for one key: ${request.answered} and ${bookingId}`,
      );
    }
    if (request.answered === null) idle.set(request.client, now + 1 + randomInt(random, 10));
    request.answered = bookingId;
    say(`client ${request.client} answered ${bookingId}`);
  };

  const runIo = (n: Node) => {
    for (let round = 0; round < 3 && n.state === 'up'; round++) {
      n.core.flush();
      if (!n.core.hasReady()) return;
      const rd = n.core.ready();
      const { truncateFrom, append, hardState } = rd.persist;
      if (truncateFrom !== undefined) n.disk.log.length = Math.min(n.disk.log.length, truncateFrom - 1);
      n.disk.log.push(...append);
      if (hardState) n.disk.hard = { ...hardState };
      for (const m of rd.messages) net.send(now, m as never);
      for (const e of rd.events) {
        if (e.type === 'stepped-down' || e.type === 'became-slave' || e.type === 'election-started') {
          n.tail = null;
        }
      }
      n.core.advance(rd);
      applyCommitted(n, rd.committed);
      if (!n.core.serving) n.tail = null;
    }
  };

  /** A client's attempt arrives at node n: the production decision functions, on the tail. */
  const attempt = (request: Request, n: Node) => {
    request.attempts++;
    if (request.attempts > 1) retries++;
    if (!n.serving) {
      idle.set(request.client, now + 2 + randomInt(random, 4));
      return;
    }
    const state = options.decideAgainstAppliedOnly ? n.machine : n.tail;
    if (!state) {
      idle.set(request.client, now + 2);
      return;
    }
    try {
      const prior = state.priorUse(request.key, request.requestHash);
      if (prior) {
        // The first attempt's entry: answer once it is applied here (or retry if it was lost).
        if (prior.index <= n.disk.applied) {
          answer(request, prior.bookingId);
          return;
        }
        waiting.push({
          request,
          node: n.id,
          index: prior.index,
          epoch: committed[prior.index - 1]?.epoch ?? n.core.entry(prior.index)?.epoch ?? -1,
          bookingId: prior.bookingId,
          patience: CLIENT_PATIENCE,
        });
        return;
      }
      const plan = state.planBooking({ showId: SHOW, seatIds: request.seatIds }, now);
      const bookingId = `b-${nextId++}`;
      const command: Command = {
        kind: 'booking.create',
        holdId: null,
        booking: {
          id: bookingId,
          code: bookingId,
          showId: SHOW,
          seatIds: plan.seatIds,
          customer: { name: `c${request.client}`, email: 'c@example.org' },
          totalCents: plan.totalCents,
          currency: 'EUR',
          createdAt: new Date(0).toISOString(),
          idempotencyKey: request.key,
          requestHash: request.requestHash,
          token: 't',
        },
      };
      const r = n.core.propose(command);
      if ('notMaster' in r) {
        idle.set(request.client, now + 2);
        return;
      }
      n.tail?.apply({ index: r.index, epoch: r.epoch, lamport: r.lamport, command });
      say(`node ${n.id} proposes ${bookingId} for client ${request.client} at ${r.index}@${r.epoch}`);
      waiting.push({
        request,
        node: n.id,
        index: r.index,
        epoch: r.epoch,
        bookingId,
        patience: CLIENT_PATIENCE,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // SEATS_UNAVAILABLE for its own seats is the old bug's symptom; with the tail it cannot happen.
      throw new BookingInvariantError(`client ${request.client} refused: ${error.reason} ${error.message}`);
    }
  };

  const fault = () => {
    const n = nodes[randomInt(random, nodes.length)]!;
    const kind = randomInt(random, 5);
    if (kind === 0 && n.state === 'up') {
      n.state = 'crashed';
      say(`crash ${n.id}`);
    } else if (kind === 1 && n.state === 'crashed') {
      n.incarnation++;
      n.boot();
      n.state = 'up';
      say(`restart ${n.id}`);
    } else if (kind === 2 && n.state === 'up') {
      n.state = 'paused';
      say(`pause ${n.id}`);
    } else if (kind === 3 && n.state === 'paused') {
      n.state = 'up';
      say(`resume ${n.id}`);
    } else if (kind === 4) {
      if (random() < 0.5) {
        const cut = ids.filter(() => random() < 0.5);
        net.partition([cut, ids.filter((id) => !cut.includes(id))]);
        say(`partition ${cut.join(',')}`);
      } else {
        net.heal();
        say('heal');
      }
    }
  };

  const step = (faults: boolean) => {
    now++;
    if (faults && random() < faultRate) fault();
    for (const m of net.due(now, (to) => {
      const s = byId.get(to)?.state;
      return s === 'up' ? 'deliver' : s === 'paused' ? 'hold' : 'lose';
    })) {
      byId.get(m.to)?.core.step(m);
    }
    for (const n of nodes) if (n.state === 'up') n.core.tick();
    for (const n of nodes) runIo(n);
    // Clients: answers that do not come are given up on, then retried with the same key.
    for (let k = waiting.length - 1; k >= 0; k--) {
      const w = waiting[k]!;
      const n = byId.get(w.node)!;
      if (n.state !== 'up' || random() < 0.02) w.patience -= 5; // a dead node or a lost reply
      if (--w.patience > 0) continue;
      waiting.splice(k, 1);
      if (w.request.answered === null) idle.set(w.request.client, now + 1);
      say(`client ${w.request.client} gives up on ${w.bookingId}`);
    }
    for (const [client, at] of [...idle]) {
      const request = current(client);
      if (at > now || !request) continue;
      idle.delete(client);
      const target = nodes.filter((n) => n.state === 'up');
      if (target.length === 0) {
        idle.set(request.client, now + 3);
        continue;
      }
      // Half of the attempts go to whoever serves (a slave forwards there), half anywhere.
      const serving = target.filter((n) => n.serving);
      const pool = serving.length > 0 && random() < 0.5 ? serving : target;
      attempt(request, pool[randomInt(random, pool.length)]!);
    }
    checkCommittedLog(committed.filter(Boolean));
  };

  let at = 0;
  try {
    for (; at < steps; at++) step(true);
    // Heal: everything up, one network; then every client must get its one booking.
    net.heal();
    for (const n of nodes) {
      if (n.state === 'crashed') {
        n.incarnation++;
        n.boot();
      }
      n.state = 'up';
    }
    for (let k = 0; k < 2000 && requests.some((r) => r.answered === null); k++, at++) step(false);
    const converged = () => {
      const commit = Math.max(...nodes.map((n) => n.core.commitIndex));
      return nodes.filter((n) => n.serving).length === 1 && nodes.every((n) => n.disk.applied === commit);
    };
    for (let k = 0; k < 500 && !converged(); k++, at++) step(false);
    const pending = requests.filter((r) => r.answered === null);
    if (pending.length > 0) {
      throw new BookingInvariantError(
        `clients ${pending.map((r) => r.client).join(',')} never got an answer`,
      );
    }
    const commit = Math.max(...nodes.map((n) => n.core.commitIndex));
    for (const n of nodes) {
      if (n.disk.applied !== commit) {
        throw new BookingInvariantError(`node ${n.id} applied ${n.disk.applied} of ${commit}: not converged`);
      }
    }
    const bookings = checkCommittedLog(committed.filter(Boolean));
    for (const r of requests) {
      const b = nodes[0]!.machine.booking(r.answered!);
      if (b?.status !== 'confirmed' || b.key !== r.key) {
        throw new BookingInvariantError(
          `acknowledged booking ${r.answered} of client ${r.client} is missing`,
        );
      }
    }
    return { seed, ok: true, acked: requests.length, retries, committedBookings: bookings, trace };
  } catch (error) {
    if (!(error instanceof BookingInvariantError)) throw error;
    return {
      seed,
      ok: false,
      error: error.message,
      step: at,
      acked: requests.filter((r) => r.answered !== null).length,
      retries,
      committedBookings: 0,
      trace,
    };
  }
}
