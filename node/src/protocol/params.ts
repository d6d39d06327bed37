/**
 * Param schemas of every client method. The server validates each call against these before
 * doing any work, and the OpenRPC document is generated from them: one definition, no drift.
 * Objects are strict so that a misspelt field is an error naming it, not silently ignored.
 */
import { z } from 'zod';

const Id = z.string().min(1).max(64);
export const SeatId = z
  .string()
  .regex(/^[A-Z]{1,2}[1-9][0-9]{0,2}$/, 'a seat id is a row letter and a number, like C7');
/** Up to 100 ids pass the schema; the booking rule (max 10) answers TOO_MANY_SEATS beyond that. */
export const SeatIds = z
  .array(SeatId)
  .min(1)
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'seatIds must not repeat a seat');
export const CustomerInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  email: z.email().max(254),
});
export const IdempotencyKey = z.string().min(1).max(128);
/** Reads may wait until the node has applied this log index, so a client reads its own writes anywhere. */
const AfterCommitIndex = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional();
const DateOnly = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD');

export const params = {
  'catalog.movies': z.strictObject({ afterCommitIndex: AfterCommitIndex }),
  'catalog.movie': z.strictObject({ movieId: Id, afterCommitIndex: AfterCommitIndex }),
  'catalog.theaters': z.strictObject({ afterCommitIndex: AfterCommitIndex }),
  'catalog.shows': z.strictObject({
    movieId: Id.optional(),
    theaterId: Id.optional(),
    date: DateOnly.optional(),
    afterCommitIndex: AfterCommitIndex,
  }),
  'seats.map': z.strictObject({ showId: Id, afterCommitIndex: AfterCommitIndex }),
  'seats.hold': z.strictObject({ showId: Id, seatIds: SeatIds, holdId: Id.optional() }),
  'seats.release': z.strictObject({ holdId: Id }),
  'seats.subscribe': z.strictObject({ showId: Id }),
  'seats.unsubscribe': z.strictObject({ showId: Id }),
  'bookings.confirm': z.strictObject({
    holdId: Id,
    customer: CustomerInput,
    idempotencyKey: IdempotencyKey.optional(),
  }),
  'bookings.book': z.strictObject({
    showId: Id,
    seatIds: SeatIds,
    customer: CustomerInput,
    idempotencyKey: IdempotencyKey.optional(),
  }),
  'bookings.get': z.strictObject({
    code: z.string().min(1).max(40),
    afterCommitIndex: AfterCommitIndex,
  }),
  'bookings.cancel': z.strictObject({ code: z.string().min(1).max(40) }),
  'tickets.verify': z.strictObject({ token: z.string().min(1).max(4096) }),
  'cluster.status': z.strictObject({}),
  'cluster.events': z.strictObject({ sinceLamport: z.number().int().min(0).optional() }),
  'rpc.discover': z.strictObject({}),
  'auth.login': z.strictObject({ token: z.string().min(1).max(512) }),
  'admin.importCatalog': z.strictObject({
    source: z.enum(['bundled', 'tmdb']).default('bundled'),
    tmdbUrl: z.url().optional(),
    tmdbKey: z.string().max(256).optional(),
    showtimesUrl: z.url().optional(),
    days: z.number().int().min(1).max(14).optional(),
  }),
  'admin.stepDown': z.strictObject({}),
  'admin.bookings': z.strictObject({
    afterId: z.string().max(64).default(''),
    limit: z.number().int().min(1).max(1000).default(500),
  }),
} as const;
