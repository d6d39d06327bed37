/**
 * The history checker: given what clients were told (the history) and what every live node holds
 * at the end (the final state), decide whether the cluster kept its promises.
 *
 * Pure: no I/O, no clock. Every anomaly carries the minimal evidence that proves it: the invoke
 * and completion records of the operations involved and the final-state facts (which node holds,
 * or lacks, which booking), nothing else, so a failing run reads as a short story.
 *
 * Verdict: `invalid` as soon as one anomaly is proven; otherwise `unknown` when the checker could
 * not see enough (a live node could not be read, no node was read, the history is malformed);
 * otherwise `valid`. An operation whose outcome is unknown (`info`, or an invoke without a
 * completion) may or may not have happened; the checker accepts either, never guesses.
 */
import type { Booking } from '@booking/node/protocol';
import type { FinalState, NodeFinalState, StoredBooking } from './final-state.js';
import type {
  CompletionRecord,
  FaultRecord,
  History,
  InvokeRecord,
  OkRecord,
  OpId,
  OpMethod,
  OpRecord,
} from './history.js';

export type AnomalyKind =
  /** One seat of a show owned by two live bookings (on one node, or by two acknowledged bookings). */
  | 'double-sale'
  /** An acknowledged booking is missing from a live node. */
  | 'lost-booking'
  /** An acknowledged booking is on a node with other seats, show, code or customer. */
  | 'changed-booking'
  /** An acknowledged cancellation is not on a live node: the booking is still confirmed there. */
  | 'lost-cancel'
  /** A booking is cancelled although nobody asked to cancel it. */
  | 'phantom-cancel'
  /** A booking (or a booked seat) that no operation can explain. */
  | 'phantom-booking'
  /** A booking exists that only an operation the service definitely refused could have made. */
  | 'failed-write-applied'
  /** One operation, or one idempotency key, produced two bookings. */
  | 'duplicate-booking'
  /** Retries with one idempotency key were acknowledged with different bookings. */
  | 'idempotency-mismatch'
  /** A cancelled booking's seat is still booked and no live booking owns it. */
  | 'cancelled-seat-not-free'
  /** A node's seat map disagrees with its own bookings. */
  | 'seat-map-mismatch'
  /** A hold was confirmed after it had expired. */
  | 'expired-hold-confirmed'
  /** Live nodes disagree about a booking nobody was told about. */
  | 'replicas-diverge';

export interface NodeFact {
  nodeId: number;
  /** The node's copy of the booking, or null when the node does not have it. */
  booking?: StoredBooking | null;
  /** A seat status as the node's seat map shows it. */
  seatStatus?: string;
}

export interface Anomaly {
  kind: AnomalyKind;
  message: string;
  /** History records (invoke and completion of each op involved), in history order. */
  ops: OpRecord[];
  /** Final-state facts. */
  nodes: NodeFact[];
  bookingIds: string[];
  seat?: { showId: string; seatId: string };
}

export interface CheckOptions {
  /**
   * How far the client's and the master's clocks may disagree, in ms. An expired-hold
   * confirmation is reported only when the confirm was sent more than this after `expiresAt`.
   */
  clockToleranceMs?: number;
}

export interface CheckStats {
  ops: number;
  byMethod: Partial<Record<OpMethod, { ok: number; fail: number; info: number }>>;
  faults: number;
  acknowledgedBookings: number;
  acknowledgedCancels: number;
  nodesRead: number[];
}

export type VerdictKind = 'valid' | 'invalid' | 'unknown';

export interface Verdict {
  verdict: VerdictKind;
  anomalies: Anomaly[];
  /** Why the checker could not decide (only when verdict is unknown, or alongside invalid). */
  unknown: string[];
  stats: CheckStats;
}

// ---------------------------------------------------------------------------------------------

interface Op {
  opId: OpId;
  method: OpMethod;
  invoke: InvokeRecord;
  done: CompletionRecord | null;
  /** pending (no completion) counts as info. */
  outcome: 'ok' | 'fail' | 'info';
  /** History position of the invoke, to print evidence in order. */
  at: number;
}

const writeMethods = new Set<OpMethod>(['bookings.book', 'bookings.confirm']);

function records(...ops: Op[]): OpRecord[] {
  const list = ops.flatMap((op) => (op.done ? [op.invoke, op.done] : [op.invoke]));
  const unique = [...new Set(list)];
  return unique.sort((a, b) => a.time - b.time || a.opId - b.opId || (a.type === 'invoke' ? -1 : 1));
}

function pair(history: History): { ops: Op[]; faults: FaultRecord[]; problems: string[] } {
  const byId = new Map<OpId, Op>();
  const faults: FaultRecord[] = [];
  const problems: string[] = [];
  history.forEach((r, at) => {
    if (r.type === 'fault') {
      faults.push(r);
      return;
    }
    if (r.type === 'invoke') {
      if (byId.has(r.opId)) problems.push(`op ${r.opId} is invoked twice`);
      else byId.set(r.opId, { opId: r.opId, method: r.method, invoke: r, done: null, outcome: 'info', at });
      return;
    }
    const op = byId.get(r.opId);
    if (!op) problems.push(`op ${r.opId} completes (${r.type}) without an invoke`);
    else if (op.done) problems.push(`op ${r.opId} completes twice`);
    else if (op.method !== r.method)
      problems.push(`op ${r.opId} completes as ${r.method}, invoked as ${op.method}`);
    else {
      op.done = r;
      op.outcome = r.type;
    }
  });
  return { ops: [...byId.values()].sort((a, b) => a.at - b.at), faults, problems };
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');

const okBooking = (op: Op): Booking | null =>
  op.done?.type === 'ok' && writeMethods.has(op.method) ? (op.done.result as Booking) : null;

const doneTime = (op: Op): number => op.done?.time ?? Number.POSITIVE_INFINITY;

interface Acked {
  booking: Booking;
  /** Every op that was acknowledged with this booking (retries with one key share it). */
  ops: Op[];
  /** Earliest acknowledgement: the booking existed by then. */
  ackTime: number;
}

/** Decides validity of a history against the final state of the live nodes. */
export function checkHistory(history: History, final: FinalState, options: CheckOptions = {}): Verdict {
  const tolerance = options.clockToleranceMs ?? 0;
  const { ops, faults, problems } = pair(history);
  const anomalies: Anomaly[] = [];
  const unknown = [...problems];
  const add = (a: Anomaly) => anomalies.push(a);

  // ---- what was acknowledged ----
  const acked = new Map<string, Acked>();
  for (const op of ops) {
    const b = okBooking(op);
    if (!b) continue;
    const known = acked.get(b.id);
    if (known) {
      known.ops.push(op);
      known.ackTime = Math.min(known.ackTime, doneTime(op));
    } else acked.set(b.id, { booking: b, ops: [op], ackTime: doneTime(op) });
  }
  const cancelsByCode = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.invoke.method !== 'bookings.cancel') continue;
    const code = op.invoke.params.code;
    cancelsByCode.set(code, [...(cancelsByCode.get(code) ?? []), op]);
  }
  // A booking some answer showed as cancelled (an idempotent retry answered after a cancel) was
  // cancelled at some unknown earlier time: it may have freed its seats at any point.
  const shownCancelled = new Map<string, Op[]>();
  for (const op of ops) {
    const b =
      okBooking(op) ??
      (op.method === 'bookings.get' && op.done?.type === 'ok' ? (op.done.result as Booking) : null);
    if (b?.status === 'cancelled') shownCancelled.set(b.code, [...(shownCancelled.get(b.code) ?? []), op]);
  }
  /** Cancels that may have taken effect (ok, unknown, or "already cancelled", which proves one did). */
  const mayCancel = (code: string): Op[] =>
    (cancelsByCode.get(code) ?? []).filter(
      (op) =>
        op.outcome !== 'fail' || (op.done?.type === 'fail' && op.done.error.reason === 'ALREADY_CANCELLED'),
    );
  /** Cancels that prove the booking is cancelled. */
  const mustCancel = (code: string): Op[] =>
    (cancelsByCode.get(code) ?? []).filter(
      (op) =>
        op.outcome === 'ok' || (op.done?.type === 'fail' && op.done.error.reason === 'ALREADY_CANCELLED'),
    );

  // ---- idempotency: retries with one key must be told about one booking ----
  const groups = groupWrites(ops);
  for (const g of groups) {
    if (g.key === null) continue;
    const ids = [...new Set(g.ops.flatMap((op) => okBooking(op)?.id ?? []))];
    if (ids.length > 1) {
      add({
        kind: 'idempotency-mismatch',
        message: `idempotency key ${g.key} was acknowledged with ${ids.length} different bookings (${ids.join(', ')})`,
        ops: records(...g.ops.filter((op) => op.outcome === 'ok')),
        nodes: [],
        bookingIds: ids,
      });
    }
  }

  // ---- acknowledged bookings that overlap in time on a seat ----
  const bySeat = new Map<string, Acked[]>();
  for (const a of acked.values())
    for (const s of a.booking.seatIds) {
      const k = `${a.booking.showId}\u0000${s}`;
      bySeat.set(k, [...(bySeat.get(k) ?? []), a]);
    }
  const reportedPairs = new Set<string>();
  for (const [k, list] of bySeat) {
    const [showId, seatId] = k.split('\u0000') as [string, string];
    for (let i = 0; i < list.length; i++)
      for (let j = i + 1; j < list.length; j++) {
        const x = list[i]!;
        const y = list[j]!;
        const pairKey = [x.booking.id, y.booking.id].sort().join(' ');
        if (reportedPairs.has(pairKey)) continue;
        const freedBefore = (a: Acked, t: number) =>
          shownCancelled.has(a.booking.code) || mayCancel(a.booking.code).some((c) => c.invoke.time < t);
        if (freedBefore(x, y.ackTime) || freedBefore(y, x.ackTime)) continue;
        reportedPairs.add(pairKey);
        add({
          kind: 'double-sale',
          message: `seat ${seatId} of show ${showId} was sold twice: bookings ${x.booking.id} and ${y.booking.id} were both acknowledged and neither was cancelled before the other was made`,
          ops: records(...x.ops, ...y.ops),
          nodes: [],
          bookingIds: [x.booking.id, y.booking.id],
          seat: { showId, seatId },
        });
      }
  }

  // ---- per node: acknowledged writes present and unchanged, no double ownership, seat maps ----
  if (final.nodes.length === 0) unknown.push('no live node could be read for the final state');
  for (const u of final.unreadable)
    unknown.push(`node ${u.nodeId} is live but could not be read: ${u.error}`);

  const perBooking = new Map<string, Anomaly>();
  /** One anomaly per (kind, booking) collecting the nodes where it shows. */
  const perNode = (
    kind: AnomalyKind,
    bookingId: string,
    make: () => Omit<Anomaly, 'nodes'>,
    fact: NodeFact,
  ) => {
    const key = `${kind} ${bookingId}`;
    let a = perBooking.get(key);
    if (!a) {
      a = { ...make(), nodes: [] };
      perBooking.set(key, a);
      add(a);
    }
    a.nodes.push(fact);
  };

  for (const node of final.nodes) {
    const byId = new Map(node.bookings.map((b) => [b.id, b]));
    const byCode = new Map(node.bookings.map((b) => [b.code, b]));
    for (const a of acked.values()) {
      const ack = a.booking;
      const stored = byId.get(ack.id) ?? byCode.get(ack.code) ?? null;
      if (!stored) {
        perNode(
          'lost-booking',
          ack.id,
          () => ({
            kind: 'lost-booking',
            message: `acknowledged booking ${ack.id} (show ${ack.showId}, seats ${ack.seatIds.join(' ')}) is missing`,
            ops: records(...a.ops),
            bookingIds: [ack.id],
          }),
          { nodeId: node.nodeId, booking: null },
        );
        continue;
      }
      const changed: string[] = [];
      if (stored.id !== ack.id) changed.push('id');
      if (stored.code !== ack.code) changed.push('code');
      if (stored.showId !== ack.showId) changed.push('showId');
      if (!sameSet(stored.seatIds, ack.seatIds)) changed.push('seatIds');
      if (stored.customer.name !== ack.customer.name || stored.customer.email !== ack.customer.email)
        changed.push('customer');
      if (changed.length > 0) {
        perNode(
          'changed-booking',
          ack.id,
          () => ({
            kind: 'changed-booking',
            message: `acknowledged booking ${ack.id} differs in ${changed.join(', ')}`,
            ops: records(...a.ops),
            bookingIds: [ack.id],
          }),
          { nodeId: node.nodeId, booking: stored },
        );
      }
      const must = [...mustCancel(ack.code), ...(shownCancelled.get(ack.code) ?? [])];
      if (stored.status === 'confirmed' && must.length > 0) {
        perNode(
          'lost-cancel',
          ack.id,
          () => ({
            kind: 'lost-cancel',
            message: `booking ${ack.id} was cancelled (acknowledged) but is confirmed`,
            ops: records(...a.ops, ...must),
            bookingIds: [ack.id],
          }),
          { nodeId: node.nodeId, booking: stored },
        );
      }
      if (
        stored.status === 'cancelled' &&
        mayCancel(ack.code).length === 0 &&
        !shownCancelled.has(ack.code)
      ) {
        perNode(
          'phantom-cancel',
          ack.id,
          () => ({
            kind: 'phantom-cancel',
            message: `booking ${ack.id} is cancelled although no client asked to cancel it`,
            ops: records(...a.ops),
            bookingIds: [ack.id],
          }),
          { nodeId: node.nodeId, booking: stored },
        );
      }
    }
    checkNodeSeats(node, ops, acked, add);
  }

  // ---- every stored booking explained by exactly one write (or key) that may have happened ----
  checkExplained(final.nodes, groups, holdSeats(ops), add);

  // ---- live nodes agree on the bookings nobody was told about ----
  checkConvergence(final.nodes, acked, add);

  // ---- an expired hold cannot be confirmed ----
  checkHoldExpiry(ops, tolerance, add);

  const verdict: VerdictKind = anomalies.length > 0 ? 'invalid' : unknown.length > 0 ? 'unknown' : 'valid';
  return { verdict, anomalies, unknown, stats: stats(ops, faults, acked, final) };
}

// ---------------------------------------------------------------------------------------------

interface WriteGroup {
  /** The idempotency key shared by the group, or null for a single op without one. */
  key: string | null;
  ops: Op[];
  okIds: Set<string>;
  /** Every op of the group was definitely refused: it cannot have written. */
  refused: boolean;
}

function groupWrites(ops: Op[]): WriteGroup[] {
  const byKey = new Map<string, WriteGroup>();
  const groups: WriteGroup[] = [];
  for (const op of ops) {
    if (op.invoke.method !== 'bookings.book' && op.invoke.method !== 'bookings.confirm') continue;
    const key = op.invoke.params.idempotencyKey ?? null;
    let g = key === null ? undefined : byKey.get(key);
    if (!g) {
      g = { key, ops: [], okIds: new Set(), refused: true };
      groups.push(g);
      if (key !== null) byKey.set(key, g);
    }
    g.ops.push(op);
    const b = okBooking(op);
    if (b) g.okIds.add(b.id);
    if (op.outcome !== 'fail') g.refused = false;
  }
  return groups;
}

/** Seat sets a hold had at some point, from acknowledged holds and from extensions that may have happened. */
function holdSeats(ops: Op[]): Map<string, { seatIds: string[]; showId: string }[]> {
  const out = new Map<string, { seatIds: string[]; showId: string }[]>();
  const put = (holdId: string, showId: string, seatIds: string[]) =>
    out.set(holdId, [...(out.get(holdId) ?? []), { showId, seatIds }]);
  for (const op of ops) {
    if (op.invoke.method !== 'seats.hold') continue;
    const p = op.invoke.params;
    if (op.done?.type === 'ok') {
      const r = op.done.result as { holdId: string; showId: string; seatIds: string[] };
      put(r.holdId, r.showId, r.seatIds);
    } else if (op.outcome === 'info' && p.holdId !== undefined) put(p.holdId, p.showId, p.seatIds);
  }
  return out;
}

/** Could this op have created this booking, judging by what it asked for? */
function couldCreate(op: Op, b: StoredBooking, holds: Map<string, { seatIds: string[]; showId: string }[]>) {
  const inv = op.invoke;
  if (inv.method !== 'bookings.book' && inv.method !== 'bookings.confirm') return false;
  const p = inv.params;
  if (p.customer.name !== b.customer.name || p.customer.email !== b.customer.email) return false;
  if (b.idempotencyKey !== undefined && (p.idempotencyKey ?? null) !== b.idempotencyKey) return false;
  if (inv.method === 'bookings.book')
    return inv.params.showId === b.showId && sameSet(inv.params.seatIds, b.seatIds);
  const holdId = inv.params.holdId;
  if (b.holdId !== undefined && b.holdId !== holdId) return false;
  return (holds.get(holdId) ?? []).some((h) => h.showId === b.showId && sameSet(h.seatIds, b.seatIds));
}

function checkExplained(
  nodes: NodeFinalState[],
  groups: WriteGroup[],
  holds: Map<string, { seatIds: string[]; showId: string }[]>,
  add: (a: Anomaly) => void,
): void {
  const all = new Map<string, { booking: StoredBooking; nodeIds: number[] }>();
  for (const node of nodes) {
    if (node.coverage !== 'all') continue;
    for (const b of node.bookings) {
      const seen = all.get(b.id);
      if (seen) seen.nodeIds.push(node.nodeId);
      else all.set(b.id, { booking: b, nodeIds: [node.nodeId] });
    }
  }
  if (all.size === 0) return;
  const list = [...all.values()];
  // Index the groups by customer and by acknowledged booking id: a booking can only come from a
  // request with its customer, or be the one a request was told about.
  const byCustomer = new Map<string, number[]>();
  const byOkId = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, gi: number) => {
    const list = m.get(k);
    if (!list) m.set(k, [gi]);
    else if (list.at(-1) !== gi) list.push(gi);
  };
  groups.forEach((g, gi) => {
    for (const op of g.ops) {
      const inv = op.invoke;
      if (inv.method === 'bookings.book' || inv.method === 'bookings.confirm')
        push(byCustomer, `${inv.params.customer.email}\u0000${inv.params.customer.name}`, gi);
    }
    for (const id of g.okIds) push(byOkId, id, gi);
  });
  const compatible = list.map(({ booking }) => {
    const candidates = new Set([
      ...(byCustomer.get(`${booking.customer.email}\u0000${booking.customer.name}`) ?? []),
      ...(byOkId.get(booking.id) ?? []),
    ]);
    return [...candidates]
      .sort((a, b) => a - b)
      .filter((gi) => {
        const g = groups[gi]!;
        return g.okIds.has(booking.id) || g.ops.some((op) => couldCreate(op, booking, holds));
      });
  });
  const allowed = list.map(({ booking }, bi) =>
    compatible[bi]!.filter((gi) => {
      const g = groups[gi]!;
      if (g.refused) return false;
      return g.okIds.size === 0 || g.okIds.has(booking.id);
    }),
  );
  // Maximum bipartite matching (Kuhn): bookings to the write groups that may have made them.
  const owner = new Map<number, number>(); // group → booking
  const tryAssign = (bi: number, seen: Set<number>): boolean => {
    for (const gi of allowed[bi]!) {
      if (seen.has(gi)) continue;
      seen.add(gi);
      const other = owner.get(gi);
      if (other === undefined || tryAssign(other, seen)) {
        owner.set(gi, bi);
        return true;
      }
    }
    return false;
  };
  const matched = new Set<number>();
  list.forEach((_, bi) => {
    if (tryAssign(bi, new Set())) matched.add(bi);
  });
  // Kuhn may move a booking to another group later: read the final assignment.
  matched.clear();
  for (const bi of owner.values()) matched.add(bi);

  list.forEach(({ booking, nodeIds }, bi) => {
    if (matched.has(bi)) return;
    const facts = nodeIds.map((nodeId) => ({ nodeId, booking }));
    const live = compatible[bi]!.map((gi) => groups[gi]!).filter((g) => !g.refused);
    if (live.length > 0) {
      const g = live[0]!;
      const gi = groups.indexOf(g);
      const otherIdx = owner.get(gi);
      const other = otherIdx === undefined ? undefined : list[otherIdx]!.booking;
      const okOther = [...g.okIds].find((id) => id !== booking.id);
      const twin = other?.id ?? okOther;
      add({
        kind: 'duplicate-booking',
        message:
          g.key === null
            ? `one bookings request made two bookings: ${booking.id} and ${twin ?? '?'}`
            : `idempotency key ${g.key} made two bookings: ${booking.id} and ${twin ?? '?'}`,
        ops: records(...g.ops),
        nodes: facts,
        bookingIds: twin === undefined ? [booking.id] : [booking.id, twin],
      });
      return;
    }
    const refused = compatible[bi]!.map((gi) => groups[gi]!).filter((g) => g.refused);
    if (refused.length > 0) {
      add({
        kind: 'failed-write-applied',
        message: `booking ${booking.id} exists although the only request that could have made it was refused`,
        ops: records(...refused.flatMap((g) => g.ops)),
        nodes: facts,
        bookingIds: [booking.id],
      });
      return;
    }
    add({
      kind: 'phantom-booking',
      message: `booking ${booking.id} (show ${booking.showId}, seats ${booking.seatIds.join(' ')}, customer ${booking.customer.email}) was never asked for`,
      ops: [],
      nodes: facts,
      bookingIds: [booking.id],
    });
  });
}

function checkNodeSeats(
  node: NodeFinalState,
  ops: Op[],
  acked: Map<string, Acked>,
  add: (a: Anomaly) => void,
): void {
  const live = new Map<string, StoredBooking[]>();
  const cancelledOwner = new Map<string, StoredBooking>();
  for (const b of node.bookings)
    for (const s of b.seatIds) {
      const k = `${b.showId}\u0000${s}`;
      if (b.status === 'confirmed') live.set(k, [...(live.get(k) ?? []), b]);
      else cancelledOwner.set(k, b);
    }
  const ackOps = (ids: string[]) => ids.flatMap((id) => acked.get(id)?.ops ?? []);
  for (const [k, owners] of live) {
    if (owners.length < 2) continue;
    const [showId, seatId] = k.split('\u0000') as [string, string];
    add({
      kind: 'double-sale',
      message: `node ${node.nodeId}: seat ${seatId} of show ${showId} is owned by ${owners.length} live bookings`,
      ops: records(...ackOps(owners.map((b) => b.id))),
      nodes: owners.map((booking) => ({ nodeId: node.nodeId, booking })),
      bookingIds: owners.map((b) => b.id),
      seat: { showId, seatId },
    });
  }
  if (!node.seats) return;
  // Writes with an unknown outcome may have booked a seat whose code nobody learned.
  const holds = holdSeats(ops);
  const unresolved = new Set<string>();
  for (const op of ops) {
    if (op.outcome !== 'info') continue;
    const inv = op.invoke;
    if (inv.method === 'bookings.book')
      for (const s of inv.params.seatIds) unresolved.add(`${inv.params.showId}\u0000${s}`);
    if (inv.method === 'bookings.confirm')
      for (const h of holds.get(inv.params.holdId) ?? [])
        for (const s of h.seatIds) unresolved.add(`${h.showId}\u0000${s}`);
  }
  for (const [showId, seats] of Object.entries(node.seats)) {
    for (const [seatId, status] of Object.entries(seats)) {
      const k = `${showId}\u0000${seatId}`;
      const owners = live.get(k) ?? [];
      if (owners.length > 0 && status !== 'booked') {
        add({
          kind: 'seat-map-mismatch',
          message: `node ${node.nodeId}: seat ${seatId} of show ${showId} is ${status} but booking ${owners[0]!.id} owns it`,
          ops: records(...ackOps([owners[0]!.id])),
          nodes: [{ nodeId: node.nodeId, booking: owners[0]!, seatStatus: status }],
          bookingIds: [owners[0]!.id],
          seat: { showId, seatId },
        });
        continue;
      }
      if (owners.length > 0 || status !== 'booked') continue;
      // Booked, and no live booking this node showed us owns it.
      if (node.coverage === 'by-code' && unresolved.has(k)) continue;
      const cancelled = cancelledOwner.get(k);
      if (cancelled) {
        add({
          kind: 'cancelled-seat-not-free',
          message: `node ${node.nodeId}: seat ${seatId} of show ${showId} is still booked after booking ${cancelled.id} was cancelled, and no live booking owns it`,
          ops: records(...ackOps([cancelled.id])),
          nodes: [{ nodeId: node.nodeId, booking: cancelled, seatStatus: status }],
          bookingIds: [cancelled.id],
          seat: { showId, seatId },
        });
      } else {
        add({
          kind: node.coverage === 'all' ? 'seat-map-mismatch' : 'phantom-booking',
          message:
            node.coverage === 'all'
              ? `node ${node.nodeId}: seat ${seatId} of show ${showId} is booked but no booking owns it`
              : `node ${node.nodeId}: seat ${seatId} of show ${showId} is booked, and no acknowledged booking or request with an unknown outcome explains it`,
          ops: [],
          nodes: [{ nodeId: node.nodeId, seatStatus: status }],
          bookingIds: [],
          seat: { showId, seatId },
        });
      }
    }
  }
}

function checkConvergence(
  nodes: NodeFinalState[],
  acked: Map<string, Acked>,
  add: (a: Anomaly) => void,
): void {
  const full = nodes.filter((n) => n.coverage === 'all');
  if (full.length < 2) return;
  const ids = new Set(full.flatMap((n) => n.bookings.map((b) => b.id)));
  for (const id of ids) {
    if (acked.has(id)) continue; // lost / changed / cancel anomalies already cover acknowledged ones
    const copies = full.map((n) => ({
      nodeId: n.nodeId,
      booking: n.bookings.find((b) => b.id === id) ?? null,
    }));
    const shapes = new Set(
      copies.map((c) =>
        c.booking ? `${c.booking.status} ${[...c.booking.seatIds].sort().join(',')}` : 'missing',
      ),
    );
    if (shapes.size === 1) continue;
    add({
      kind: 'replicas-diverge',
      message: `live nodes disagree about booking ${id}: ${copies.map((c) => `n${c.nodeId}=${c.booking?.status ?? 'missing'}`).join(', ')}`,
      ops: [],
      nodes: copies,
      bookingIds: [id],
    });
  }
}

function checkHoldExpiry(ops: Op[], tolerance: number, add: (a: Anomaly) => void): void {
  const holdOps = new Map<string, Op[]>();
  for (const op of ops) {
    if (op.invoke.method !== 'seats.hold') continue;
    const ids = new Set<string>();
    if (op.invoke.params.holdId !== undefined) ids.add(op.invoke.params.holdId);
    if (op.done?.type === 'ok') ids.add((op.done.result as { holdId: string }).holdId);
    for (const id of ids) holdOps.set(id, [...(holdOps.get(id) ?? []), op]);
  }
  for (const op of ops) {
    if (op.invoke.method !== 'bookings.confirm' || op.outcome !== 'ok') continue;
    const sent = op.invoke.time;
    const related = (holdOps.get(op.invoke.params.holdId) ?? []).filter((h) => h.invoke.time < doneTime(op));
    // An extension that may have landed while the confirm ran, or whose outcome is unknown: undecidable.
    if (related.some((h) => h.outcome === 'info' || (h.outcome === 'ok' && doneTime(h) > sent))) continue;
    const before = related.filter((h): h is Op & { done: OkRecord } => h.outcome === 'ok');
    if (before.length === 0) continue;
    const last = before.reduce((a, b) =>
      Date.parse((a.done.result as { expiresAt: string }).expiresAt) >=
      Date.parse((b.done.result as { expiresAt: string }).expiresAt)
        ? a
        : b,
    );
    const expiresAt = Date.parse((last.done.result as { expiresAt: string }).expiresAt);
    const sentWall = Date.parse(op.invoke.wallTime);
    if (sentWall > expiresAt + tolerance) {
      add({
        kind: 'expired-hold-confirmed',
        message: `hold ${op.invoke.params.holdId} expired at ${new Date(expiresAt).toISOString()} but a confirm sent at ${op.invoke.wallTime} was acknowledged`,
        ops: records(last, op),
        nodes: [],
        bookingIds: [(op.done as OkRecord & { result: Booking }).result.id],
      });
    }
  }
}

function stats(ops: Op[], faults: FaultRecord[], acked: Map<string, Acked>, final: FinalState): CheckStats {
  const byMethod: CheckStats['byMethod'] = {};
  for (const op of ops) {
    const m = byMethod[op.method] ?? { ok: 0, fail: 0, info: 0 };
    m[op.outcome] += 1;
    byMethod[op.method] = m;
  }
  return {
    ops: ops.length,
    byMethod,
    faults: faults.length,
    acknowledgedBookings: acked.size,
    acknowledgedCancels: ops.filter((op) => op.method === 'bookings.cancel' && op.outcome === 'ok').length,
    nodesRead: final.nodes.map((n) => n.nodeId),
  };
}
