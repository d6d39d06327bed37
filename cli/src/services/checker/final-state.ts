/**
 * What the chaos run reads from every live node once the faults stop and the nodes have
 * converged: the bookings each one holds and, for the shows the run used, its seat map.
 *
 * Two coverages, because the drivers can see different amounts:
 * - `all`: every booking row of the node's database (local driver: the CLI reaches each node's
 *   MySQL). A booking here that no operation explains is a phantom.
 * - `by-code`: only the bookings whose codes the history knows, looked up with `bookings.get` on
 *   that node (any driver). Phantoms then show up as booked seats that no known booking owns.
 */
import type { SeatStatus } from '@booking/node/protocol';

/** A booking as a node stores it. `idempotencyKey` and `holdId` are only known from a database read. */
export interface StoredBooking {
  id: string;
  code: string;
  showId: string;
  seatIds: string[];
  customer: { name: string; email: string };
  status: 'confirmed' | 'cancelled';
  lamport: number;
  createdAt?: string;
  idempotencyKey?: string | null;
  holdId?: string | null;
}

/** A booking (a wire Booking or a database row) cut down to what the checker compares. */
export function storedBooking(b: StoredBooking): StoredBooking {
  return {
    id: b.id,
    code: b.code,
    showId: b.showId,
    seatIds: b.seatIds,
    customer: b.customer,
    status: b.status,
    lamport: b.lamport,
    ...(b.createdAt !== undefined ? { createdAt: b.createdAt } : {}),
    ...(b.idempotencyKey !== undefined ? { idempotencyKey: b.idempotencyKey } : {}),
    ...(b.holdId !== undefined ? { holdId: b.holdId } : {}),
  };
}

export interface NodeFinalState {
  nodeId: number;
  coverage: 'all' | 'by-code';
  bookings: StoredBooking[];
  /** showId → seatId → status, for the shows the run used. Optional. */
  seats?: Record<string, Record<string, SeatStatus>>;
  /** The node's applied log index when it was read (reported, not checked). */
  appliedIndex?: number;
}

export interface FinalState {
  /** One entry per live node that answered. */
  nodes: NodeFinalState[];
  /** Live nodes that could not be read: a history that is otherwise valid is then `unknown`. */
  unreadable: { nodeId: number; error: string }[];
}
