/**
 * What the log carries. Every write is decided once, on the master, and recorded with all its
 * outcomes (ids, codes, prices, expiry) so that applying it is deterministic: every node that
 * applies the same entries ends in the same state, without asking anyone. The ticket's signature
 * is not among them: Ed25519 is deterministic, so the node that answers signs the booking's fields
 * (rpc/handlers.ts `ticketed`) and gets the same token every time, on every node.
 */
import type { CatalogSnapshot } from '../catalog/model.js';
import type { LogEntry } from '../log/write-log.js';

export interface NewBooking {
  id: string;
  code: string;
  showId: string;
  seatIds: string[];
  customer: { name: string; email: string };
  totalCents: number;
  currency: string;
  createdAt: string;
  idempotencyKey: string | null;
  /** Digest of the request, so a key reused with other params is told apart (absent in old entries). */
  requestHash?: string | null;
  /** The signed ticket, in entries written before tickets were signed on answer (absent since). */
  token?: string;
}

export type Command =
  | { kind: 'catalog.import'; snapshot: CatalogSnapshot }
  /** Creates a hold, or replaces the seats of an existing one and renews its expiry. */
  | {
      kind: 'hold.set';
      holdId: string;
      showId: string;
      seatIds: string[];
      /** Seats the hold had before and gives up: they become available. */
      freedSeatIds: string[];
      expiresAtMs: number;
    }
  | { kind: 'hold.release'; holdId: string; showId: string; seatIds: string[] }
  | { kind: 'hold.expire'; holds: { holdId: string; showId: string; seatIds: string[] }[] }
  /** A booking from a hold (holdId set) or straight from free seats (holdId null). */
  | { kind: 'booking.create'; holdId: string | null; booking: NewBooking }
  | { kind: 'booking.cancel'; bookingId: string; showId: string; seatIds: string[] };

export type CommandKind = Command['kind'];

export type BookingEntry = LogEntry<Command>;

/** What peers may send as a command: anything else in an append is refused before it is stored. */
export function isCommand(payload: unknown): payload is Command {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    typeof (payload as { kind?: unknown }).kind === 'string'
  );
}

export interface SeatChange {
  showId: string;
  seats: { id: string; status: 'available' | 'held' | 'booked' }[];
}

/** What an entry does to seat statuses: the `seats.changed` notifications it causes. */
export function seatChanges(command: Command): SeatChange[] {
  const as = (ids: string[], status: 'available' | 'held' | 'booked') => ids.map((id) => ({ id, status }));
  switch (command.kind) {
    case 'hold.set':
      return [
        {
          showId: command.showId,
          seats: [...as(command.freedSeatIds, 'available'), ...as(command.seatIds, 'held')],
        },
      ];
    case 'hold.release':
      return [{ showId: command.showId, seats: as(command.seatIds, 'available') }];
    case 'hold.expire':
      return command.holds.map((h) => ({ showId: h.showId, seats: as(h.seatIds, 'available') }));
    case 'booking.create':
      return [{ showId: command.booking.showId, seats: as(command.booking.seatIds, 'booked') }];
    case 'booking.cancel':
      return [{ showId: command.showId, seats: as(command.seatIds, 'available') }];
    case 'catalog.import':
      return [];
  }
}
