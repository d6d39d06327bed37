/**
 * THE client method table. Server and clients (CLI, web app, tests) are typed from it:
 * `ClientMethods` plugs into json-rpc-2.0's TypedJSONRPCServer / TypedJSONRPCClient.
 */
import { z } from 'zod';
import * as m from './model.js';
import type { params } from './params.js';

export const results = {
  'catalog.movies': z.array(m.Movie),
  'catalog.movie': m.MovieWithShows,
  'catalog.theaters': z.array(m.Theater),
  'catalog.shows': z.array(m.Show),
  'seats.map': m.SeatMap,
  'seats.hold': m.Hold,
  'seats.release': z.object({ holdId: z.string(), released: z.literal(true) }),
  'seats.subscribe': z.object({ showId: z.string(), subscribed: z.literal(true) }),
  'seats.unsubscribe': z.object({ showId: z.string(), subscribed: z.literal(false) }),
  'bookings.confirm': m.Booking,
  'bookings.book': m.Booking,
  'bookings.get': m.Booking,
  'bookings.cancel': m.Booking,
  'tickets.verify': z.object({ valid: z.literal(true), booking: m.TicketCheck }),
  'cluster.status': m.ClusterStatus,
  'cluster.events': z.array(m.ClusterEvent),
  'rpc.discover': z.record(z.string(), z.unknown()),
  'auth.login': z.object({ admin: z.literal(true) }),
  'admin.importCatalog': m.ImportReport,
  'admin.stepDown': z.object({ nodeId: z.number().int(), steppedDown: z.boolean() }),
  'admin.bookings': m.BookingsPage,
} as const satisfies Record<keyof typeof params, z.ZodType>;

export type MethodName = keyof typeof params;
export type ParamsOf<M extends MethodName> = z.input<(typeof params)[M]>;
/** Params after validation and defaults: what a handler receives. */
export type ValidParamsOf<M extends MethodName> = z.output<(typeof params)[M]>;
export type ResultOf<M extends MethodName> = z.infer<(typeof results)[M]>;

export type ClientMethods = { [M in MethodName]: (params: ParamsOf<M>) => ResultOf<M> };

export const methodDocs: Record<MethodName, { summary: string; admin?: boolean; write?: boolean }> = {
  'catalog.movies': { summary: 'Movies now showing.' },
  'catalog.movie': { summary: 'One movie with its shows.' },
  'catalog.theaters': { summary: 'Theaters with their screens.' },
  'catalog.shows': { summary: 'Shows, filtered by movie, theater and local date.' },
  'seats.map': { summary: 'The seat map of a show with every seat status.' },
  'seats.hold': { summary: 'Hold 1..10 seats for BOOKING_HOLD_TTL_MS; extends a given holdId.', write: true },
  'seats.release': { summary: 'Release a hold.', write: true },
  'seats.subscribe': { summary: 'Receive seats.changed notifications for a show on this socket.' },
  'seats.unsubscribe': { summary: 'Stop seats.changed notifications for a show.' },
  'bookings.confirm': { summary: 'Turn a hold into a booking.', write: true },
  'bookings.book': { summary: 'Hold and confirm in one step.', write: true },
  'bookings.get': { summary: 'Look a booking up by its code.' },
  'bookings.cancel': { summary: 'Cancel a booking; its seats become available.', write: true },
  'tickets.verify': { summary: "Check a ticket token's signature and its booking's state." },
  'cluster.status': { summary: "This node's view of the cluster." },
  'cluster.events': { summary: "This node's cluster events (elections, role changes, commits)." },
  'rpc.discover': { summary: 'The OpenRPC document of this API.' },
  'auth.login': { summary: 'Present the admin token; admin methods then work on this socket.' },
  'admin.importCatalog': { summary: 'Import movies, theaters and shows (admin).', admin: true, write: true },
  'admin.stepDown': { summary: 'Ask the master to step down and trigger an election (admin).', admin: true },
  'admin.bookings': {
    summary:
      'Every booking this node stores, a page at a time by id, with its applied and commit index (admin).',
    admin: true,
  },
};

/** Server-to-client notifications. */
export const notifications = { 'seats.changed': m.SeatsChanged } as const;
export type NotificationName = keyof typeof notifications;
