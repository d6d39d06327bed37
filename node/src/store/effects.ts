/**
 * Writing a batch of applied entries: the net row changes the booking state machine computed
 * (booking/machine.ts), as a few multi-row statements for the caller's transaction. This file
 * knows tables and rows, not booking rules: what a row change means was decided before it got here.
 */
import type { CatalogSnapshot } from '../catalog/model.js';
import { localDateOf } from './local-date.js';
import { catalogStatements } from './queries.js';
import type { Statement } from './statements.js';

export interface SeatClaimWrite {
  showId: string;
  seatId: string;
  holdId: string | null;
  bookingId: string | null;
}

export interface HoldWrite {
  id: string;
  showId: string;
  seatIds: string[];
  expiresAtMs: number;
  state: 'active' | 'released' | 'expired' | 'confirmed';
  commitIndex: number;
}

export interface BookingWrite {
  id: string;
  code: string;
  showId: string;
  seatIds: string[];
  customer: { name: string; email: string };
  totalCents: number;
  currency: string;
  status: 'confirmed' | 'cancelled';
  createdAt: string;
  lamport: number;
  epoch: number;
  commitIndex: number;
  idempotencyKey: string | null;
  requestHash: string | null;
  holdId: string | null;
  /** '' since tickets are signed on answer (booking/tickets.ts `ticketFor`); older rows keep theirs. */
  token: string;
}

export interface RejectionWrite {
  index: number;
  kind: string;
  reason: string;
  detail: string;
}

/** Net changes of one batch: a seat freed and taken again in the batch appears once, as its last owner. */
export interface Effects {
  catalogs: CatalogSnapshot[];
  /** Rows to delete (the seat's owner before the batch). */
  claimsFreed: SeatClaimWrite[];
  /** Rows to insert: the owner after the batch. A plain INSERT, so the primary key stays a backstop. */
  claimsTaken: SeatClaimWrite[];
  holds: HoldWrite[];
  newBookings: BookingWrite[];
  cancelled: string[];
  rejections: RejectionWrite[];
}

/** Rows per statement: keeps every statement well under max_allowed_packet. */
const ROWS_PER_STATEMENT = 500;

function chunks<T>(list: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The statements that write a batch's effects, in order. */
export function effectStatements(e: Effects): Statement[] {
  const out: Statement[] = [];
  for (const snapshot of e.catalogs) out.push(...catalogStatements(snapshot, localDateOf));

  // One statement for the freed seats of every show: a batch of cancels spans many shows, and a
  // DELETE per show was most of a batch's statements. MariaDB ranges a row IN over the primary key.
  for (const part of chunks(e.claimsFreed)) {
    out.push({
      sql: `DELETE FROM seat_claims WHERE (show_id, seat_id) IN (${rowsOf(part.length, 2)})`,
      values: part.flatMap((c) => [c.showId, c.seatId]),
    });
  }
  for (const part of chunks(e.claimsTaken)) {
    out.push({
      sql: `INSERT INTO seat_claims (show_id, seat_id, hold_id, booking_id) VALUES ${rowsOf(part.length, 4)}`,
      values: part.flatMap((c) => [c.showId, c.seatId, c.holdId, c.bookingId]),
    });
  }
  for (const part of chunks(e.holds)) {
    out.push({
      sql: `INSERT INTO holds (id, show_id, seat_ids, expires_at_ms, state, commit_index) VALUES ${rowsOf(part.length, 6)}
       ON DUPLICATE KEY UPDATE seat_ids = VALUES(seat_ids), expires_at_ms = VALUES(expires_at_ms),
         state = VALUES(state), commit_index = VALUES(commit_index)`,
      values: part.flatMap((h) => [
        h.id,
        h.showId,
        JSON.stringify(h.seatIds),
        h.expiresAtMs,
        h.state,
        h.commitIndex,
      ]),
    });
  }
  for (const part of chunks(e.newBookings)) {
    out.push({
      sql: `INSERT INTO bookings (id, code, show_id, seat_ids, customer_name, customer_email, total_cents, currency,
         status, created_at, lamport, epoch, commit_index, idempotency_key, request_hash, hold_id, token)
       VALUES ${rowsOf(part.length, 17)}`,
      values: part.flatMap((b) => [
        b.id,
        b.code,
        b.showId,
        JSON.stringify(b.seatIds),
        b.customer.name,
        b.customer.email,
        b.totalCents,
        b.currency,
        b.status,
        b.createdAt,
        b.lamport,
        b.epoch,
        b.commitIndex,
        b.idempotencyKey,
        b.requestHash,
        b.holdId,
        b.token,
      ]),
    });
  }
  for (const part of chunks(e.cancelled)) {
    out.push({
      sql: `UPDATE bookings SET status = 'cancelled' WHERE id IN (${marks(part.length)})`,
      values: part,
    });
  }
  for (const part of chunks(e.rejections)) {
    out.push({
      sql: `INSERT IGNORE INTO rejected_entries (idx, kind, reason, detail) VALUES ${rowsOf(part.length, 4)}`,
      values: part.flatMap((r) => [r.index, r.kind, r.reason, r.detail]),
    });
  }
  return out;
}

function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

function rowsOf(rows: number, columns: number): string {
  const one = `(${marks(columns)})`;
  return Array.from({ length: rows }, () => one).join(', ');
}

export function isEmpty(e: Effects): boolean {
  return (
    e.catalogs.length === 0 &&
    e.claimsFreed.length === 0 &&
    e.claimsTaken.length === 0 &&
    e.holds.length === 0 &&
    e.newBookings.length === 0 &&
    e.cancelled.length === 0 &&
    e.rejections.length === 0
  );
}
