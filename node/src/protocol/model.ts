/**
 * Result shapes of the client protocol, as zod schemas so that one definition gives the TS
 * types, the OpenRPC document and (in tests) runtime checks of what a node answers.
 */
import { z } from 'zod';

export const Iso = z.string().describe('ISO-8601 date-time with offset');
export const Cents = z.number().int().describe('money in integer cents');

export const Movie = z.object({
  id: z.string(),
  title: z.string(),
  overview: z.string(),
  releaseDate: z.string().describe('YYYY-MM-DD'),
  runtimeMinutes: z.number().int().nullable(),
  genres: z.array(z.string()),
  rating: z.number().nullable(),
  posterUrl: z.string().nullable(),
});
export type Movie = z.infer<typeof Movie>;

export const Screen = z.object({ id: z.string(), name: z.string(), seatCount: z.number().int() });
export type Screen = z.infer<typeof Screen>;

export const Theater = z.object({
  id: z.string(),
  name: z.string(),
  city: z.string(),
  address: z.string(),
  screens: z.array(Screen),
});
export type Theater = z.infer<typeof Theater>;

export const Show = z.object({
  id: z.string(),
  movieId: z.string(),
  theaterId: z.string(),
  screenId: z.string(),
  startsAt: Iso,
  prices: z.object({ standard: Cents, premium: Cents.optional() }),
  currency: z.string(),
  seatsTotal: z.number().int(),
  seatsAvailable: z.number().int(),
});
export type Show = z.infer<typeof Show>;

export const MovieWithShows = Movie.extend({ shows: z.array(Show) });
export type MovieWithShows = z.infer<typeof MovieWithShows>;

export const SeatKind = z.enum(['standard', 'premium', 'wheelchair']);
export type SeatKind = z.infer<typeof SeatKind>;
export const SeatStatus = z.enum(['available', 'held', 'booked']);
export type SeatStatus = z.infer<typeof SeatStatus>;

/** A seat on the map. `col` is its 1-based position in the row counting aisles, so gaps are the missing cols. */
export const Seat = z.object({ id: z.string(), kind: SeatKind, status: SeatStatus, col: z.number().int() });
export type Seat = z.infer<typeof Seat>;

export const SeatMap = z.object({
  showId: z.string(),
  rows: z.array(z.object({ label: z.string(), seats: z.array(Seat) })),
  commitIndex: z.number().int(),
});
export type SeatMap = z.infer<typeof SeatMap>;

export const Hold = z.object({
  holdId: z.string(),
  showId: z.string(),
  seatIds: z.array(z.string()),
  expiresAt: Iso,
  commitIndex: z.number().int(),
});
export type Hold = z.infer<typeof Hold>;

export const Customer = z.object({ name: z.string(), email: z.string() });
export type Customer = z.infer<typeof Customer>;

export const Ticket = z.object({ token: z.string(), qrSvg: z.string() });
export type Ticket = z.infer<typeof Ticket>;

export const BookingStatus = z.enum(['confirmed', 'cancelled']);
export const Booking = z.object({
  id: z.string(),
  code: z.string(),
  showId: z.string(),
  seatIds: z.array(z.string()),
  customer: Customer,
  totalCents: Cents,
  currency: z.string(),
  status: BookingStatus,
  createdAt: Iso,
  lamport: z.number().int(),
  epoch: z.number().int(),
  commitIndex: z.number().int(),
  ticket: Ticket,
});
export type Booking = z.infer<typeof Booking>;

/**
 * What `tickets.verify` tells a door scanner. Never the booking's code (it is enough to cancel the
 * booking) nor the customer's e-mail: whoever photographs a QR code learns only this.
 */
export const TicketCheck = z.object({
  id: z.string(),
  showId: z.string(),
  seatIds: z.array(z.string()),
  status: BookingStatus,
  holder: z.string().describe("the customer's name, as printed on the ticket"),
  createdAt: Iso,
});
export type TicketCheck = z.infer<typeof TicketCheck>;

export const Role = z.enum(['master', 'slave', 'candidate']);
export type Role = z.infer<typeof Role>;

export const ClusterStatus = z.object({
  nodeId: z.number().int(),
  role: Role,
  masterId: z.number().int().nullable(),
  epoch: z.number().int(),
  lamport: z.number().int(),
  commitIndex: z.number().int(),
  appliedIndex: z.number().int(),
  /** While writing applied entries keeps failing (the database is down): the last error. */
  applyError: z.string().nullable().optional(),
  /** Committed entries this node's state machine rejected since it started (never expected). */
  rejectedEntries: z.number().int().optional(),
  peers: z.array(
    z.object({
      nodeId: z.number().int(),
      url: z.string(),
      alive: z.boolean(),
      role: Role.nullable(),
      commitIndex: z.number().int().nullable(),
    }),
  ),
});
export type ClusterStatus = z.infer<typeof ClusterStatus>;

export const ClusterEvent = z.object({
  nodeId: z.number().int(),
  lamport: z.number().int(),
  type: z.string(),
  at: Iso,
  detail: z.record(z.string(), z.unknown()),
});
export type ClusterEvent = z.infer<typeof ClusterEvent>;

export const SeatsChanged = z.object({
  showId: z.string(),
  seats: z.array(z.object({ id: z.string(), status: SeatStatus })),
  commitIndex: z.number().int(),
});
export type SeatsChanged = z.infer<typeof SeatsChanged>;

/** A page of every booking a node stores, for operators and the chaos checker (admin). */
export const BookingsPage = z.object({
  nodeId: z.number().int(),
  appliedIndex: z.number().int(),
  commitIndex: z.number().int(),
  rejectedEntries: z.number().int(),
  bookings: z.array(
    z.object({
      id: z.string(),
      code: z.string(),
      showId: z.string(),
      seatIds: z.array(z.string()),
      customer: Customer,
      status: BookingStatus,
      lamport: z.number().int(),
      createdAt: Iso,
      idempotencyKey: z.string().nullable(),
      holdId: z.string().nullable(),
    }),
  ),
});
export type BookingsPage = z.infer<typeof BookingsPage>;

export const ImportReport = z.object({
  movies: z.number().int(),
  theaters: z.number().int(),
  shows: z.number().int(),
  skipped: z.array(z.object({ source: z.string(), id: z.string().nullable(), error: z.string() })),
});
export type ImportReport = z.infer<typeof ImportReport>;
