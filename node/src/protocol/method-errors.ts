/**
 * Which application errors each client method can answer, so a client knows what to handle and
 * the OpenRPC document can list them (read off the booking rules in booking/service.ts and the
 * cluster role; keep it in step with them).
 */
import type { ErrorReason } from './errors.js';
import type { MethodName } from './methods.js';

/** A read with `afterCommitIndex` answers NO_MASTER when this node has not applied it in time. */
const READ = ['NO_MASTER'] as const satisfies readonly ErrorReason[];
/** Writes run on the master: during an election or without quorum they answer NO_MASTER. */
const WRITE = ['NO_MASTER'] as const satisfies readonly ErrorReason[];
const SEAT_RULES = [
  'SHOW_NOT_FOUND',
  'SHOW_STARTED',
  'SEAT_NOT_FOUND',
  'SEATS_UNAVAILABLE',
  'TOO_MANY_SEATS',
] as const satisfies readonly ErrorReason[];

/**
 * RATE_LIMITED can answer any call on a connection that floods; it is listed once for all methods
 * rather than repeated here.
 */
export const methodErrors: Record<MethodName, readonly ErrorReason[]> = {
  'catalog.movies': [...READ],
  'catalog.movie': ['MOVIE_NOT_FOUND', ...READ],
  'catalog.theaters': [...READ],
  'catalog.shows': [...READ],
  'seats.map': ['SHOW_NOT_FOUND', ...READ],
  'seats.hold': [...SEAT_RULES, 'HOLD_NOT_FOUND', 'HOLD_EXPIRED', ...WRITE],
  'seats.release': ['HOLD_NOT_FOUND', ...WRITE],
  'seats.subscribe': ['SHOW_NOT_FOUND'],
  'seats.unsubscribe': [],
  'bookings.confirm': ['HOLD_NOT_FOUND', 'HOLD_EXPIRED', 'SHOW_STARTED', 'IDEMPOTENCY_KEY_REUSED', ...WRITE],
  'bookings.book': [...SEAT_RULES, 'IDEMPOTENCY_KEY_REUSED', ...WRITE],
  'bookings.get': ['BOOKING_NOT_FOUND', ...READ],
  'bookings.cancel': ['BOOKING_NOT_FOUND', 'ALREADY_CANCELLED', 'SHOW_STARTED', ...WRITE],
  'tickets.verify': ['INVALID_TICKET'],
  'cluster.status': [],
  'cluster.events': [],
  'rpc.discover': [],
  'auth.login': ['UNAUTHORIZED'],
  'admin.importCatalog': ['UNAUTHORIZED', ...WRITE],
  'admin.stepDown': ['UNAUTHORIZED'],
  'admin.bookings': ['UNAUTHORIZED'],
};
