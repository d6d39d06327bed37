/**
 * Builders for handcrafted histories: a recorder on a fake clock (1 ms per record, wall clock
 * from a fixed epoch), bookings with readable ids, and final states copied to several nodes.
 */
import type { Booking, SeatStatus } from '@booking/node/protocol';
import {
  type FinalState,
  type NodeFinalState,
  type StoredBooking,
  storedBooking,
} from '../../src/services/checker/final-state.js';
import {
  type HistoryRecord,
  HistoryRecorder,
  type OpError,
  type OpId,
  type OpMethod,
  type OpParams,
  type OpResult,
} from '../../src/services/checker/history.js';

export const T0 = Date.parse('2030-01-01T12:00:00.000Z');

export class Script {
  readonly records: HistoryRecord[] = [];
  now = 0;
  readonly recorder = new HistoryRecorder(
    { now: () => this.now, wallNow: () => new Date(T0 + this.now).toISOString() },
    (r) => this.records.push(r),
  );

  /** Moves the clock; every record also advances it by 1 ms. */
  at(ms: number): this {
    this.now = ms;
    return this;
  }

  invoke<M extends OpMethod>(process: number, method: M, params: OpParams<M>, endpoint = 'nginx'): OpId {
    this.now += 1;
    return this.recorder.invoke(process, endpoint, method, params);
  }

  ok<M extends OpMethod>(opId: OpId, result: OpResult<M>): void {
    this.now += 1;
    this.recorder.ok(opId, result);
  }

  fail(opId: OpId, reason: string, extra: Partial<OpError> = {}): void {
    this.now += 1;
    this.recorder.fail(opId, { code: 1000, reason, message: reason, ...extra });
  }

  info(opId: OpId, message = 'socket closed'): void {
    this.now += 1;
    this.recorder.info(opId, { message });
  }

  fault(kind: 'kill' | 'pause' | 'resume' | 'revive', node: number): void {
    this.now += 1;
    this.recorder.fault(kind, node);
  }

  /** book → ok in one go; returns the booking. */
  book(process: number, b: Booking, idempotencyKey?: string): Booking {
    const op = this.invoke(process, 'bookings.book', {
      showId: b.showId,
      seatIds: b.seatIds,
      customer: b.customer,
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    this.ok<'bookings.book'>(op, b);
    return b;
  }

  cancel(process: number, b: Booking): Booking {
    const op = this.invoke(process, 'bookings.cancel', { code: b.code });
    const cancelled = { ...b, status: 'cancelled' as const };
    this.ok<'bookings.cancel'>(op, cancelled);
    return cancelled;
  }
}

let serial = 0;
/** A Booking with readable, unique id and code (codes are 16 chars of Crockford base32). */
export function booking(seatIds: string[], over: Partial<Booking> & { customerName?: string } = {}): Booking {
  serial += 1;
  const n = String(serial).padStart(4, '0');
  const name = over.customerName ?? `Customer ${n}`;
  return {
    id: `b_${n}`,
    code: `CODE${n}AAAAAAAA`.slice(0, 16),
    showId: 'show-1',
    seatIds,
    customer: { name, email: `c${n}@example.test` },
    totalCents: 1200 * seatIds.length,
    currency: 'EUR',
    status: 'confirmed',
    createdAt: new Date(T0).toISOString(),
    lamport: serial,
    epoch: 1,
    commitIndex: serial,
    ticket: { token: `t${n}`, qrSvg: '<svg/>' },
    ...over,
  };
}

export function stored(b: Booking, extra: Partial<StoredBooking> = {}): StoredBooking {
  return { ...storedBooking(b), ...extra };
}

/** Seat map of the given seats, booked where a confirmed booking owns them. */
export function seatMap(
  seats: string[],
  bookings: (Booking | StoredBooking)[],
  showId = 'show-1',
): Record<string, Record<string, SeatStatus>> {
  const taken = new Set(
    bookings.filter((b) => b.status === 'confirmed' && b.showId === showId).flatMap((b) => b.seatIds),
  );
  return { [showId]: Object.fromEntries(seats.map((s) => [s, taken.has(s) ? 'booked' : 'available'])) };
}

/** The same bookings on every node (each copied, so a test can change one node). */
export function replicated(
  nodeIds: number[],
  bookings: (Booking | StoredBooking)[],
  opts: { coverage?: 'all' | 'by-code'; seats?: string[] } = {},
): FinalState {
  const nodes: NodeFinalState[] = nodeIds.map((nodeId) => ({
    nodeId,
    coverage: opts.coverage ?? 'all',
    bookings: bookings.map((b) => ('ticket' in b ? stored(b) : { ...b })),
    ...(opts.seats ? { seats: seatMap(opts.seats, bookings) } : {}),
  }));
  return { nodes, unreadable: [] };
}

export const SEATS = ['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3', 'B4'];
