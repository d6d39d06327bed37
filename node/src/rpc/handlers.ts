/**
 * The client method table wired to the services. Handlers stay thin: params arrive validated,
 * writes go through the cluster role (which runs them on the master), reads run here.
 */

import type { CatalogReads } from '../booking/catalog-reads.js';
import type { Command } from '../booking/entries.js';
import type { BookingService } from '../booking/service.js';
import type { ClusterRole } from '../cluster-role.js';
import type { EventLog } from '../events.js';
import { MAX_READ_AHEAD, READ_WAIT_MS } from '../limits.js';
import type { WriteLog } from '../log/write-log.js';
import { AppError } from '../protocol/errors.js';
import type { ResultOf, ValidParamsOf } from '../protocol/methods.js';
import type { Booking, ImportReport } from '../protocol/model.js';
import { buildOpenRpcDocument } from '../protocol/openrpc.js';
import { allBookings } from '../store/queries.js';
import type { Dispatcher } from './dispatcher.js';
import type { HeldByConnection, HoldQuota } from './hold-quota.js';
import type { Subscriber, Subscriptions } from './subscriptions.js';

export interface ConnectionContext extends Subscriber {
  admin: boolean;
  shows: Set<string>;
  /** The client's address as this node sees it (behind Nginx: the address Nginx reports). */
  address?: string;
  /** Holds this connection took and that may still be live (for the hold quota). */
  held?: HeldByConnection;
  /** A write a slave forwarded to this node: it runs here or fails, it is never forwarded again. */
  forwarded?: boolean;
}

export interface HandlerDeps {
  service: BookingService;
  catalog: CatalogReads;
  cluster: ClusterRole;
  log: WriteLog<Command>;
  events: EventLog;
  subscriptions: Subscriptions;
  /** Null: no BOOKING_ADMIN_TOKEN was configured, and admin methods are off. */
  adminToken: string | null;
  version: string;
  importCatalog: (params: ValidParamsOf<'admin.importCatalog'>) => Promise<ImportReport>;
  /** Renders a ticket's QR code (the worker pool), on the node that answers the client. */
  qr: (token: string) => Promise<string>;
  /** Signs a booking's ticket (deterministic: the same token on every node), where the answer leaves. */
  signTicket: (booking: Booking) => string;
  /** Seats on hold per client; enforced where the client connects. */
  holdQuota: HoldQuota;
  maxSubscriptions: number;
  tokensEqual: (a: string, b: string) => boolean;
}

/** The methods that change state: they run on the master (slaves forward them there). */
export const WRITE_METHODS = [
  'seats.hold',
  'seats.release',
  'bookings.confirm',
  'bookings.book',
  'bookings.cancel',
  'admin.importCatalog',
] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];
export type LocalWrites = { [M in WriteMethod]: (params: ValidParamsOf<M>) => Promise<ResultOf<M>> };

/** What each write does on the master: one table for local calls and calls forwarded by slaves. */
export function localWrites(d: Pick<HandlerDeps, 'service' | 'importCatalog'>): LocalWrites {
  return {
    'seats.hold': (p) => d.service.hold(p),
    'seats.release': (p) => d.service.release(p),
    'bookings.confirm': (p) => d.service.confirm(p),
    'bookings.book': (p) => d.service.book(p),
    'bookings.cancel': (p) => d.service.cancel(p),
    'admin.importCatalog': (p) => d.importCatalog(p),
  };
}

export function registerHandlers(rpc: Dispatcher<ConnectionContext>, d: HandlerDeps): void {
  /** Read-your-writes on any node: wait until this node has applied what the client saw committed. */
  const caughtUp = async (afterCommitIndex: number | undefined) => {
    if (afterCommitIndex === undefined) return;
    // An index far beyond anything this node knows is not worth parking a reader for.
    const tooFar = afterCommitIndex > Math.max(d.log.commitIndex, d.log.lastIndex) + MAX_READ_AHEAD;
    if (tooFar || !(await d.log.waitApplied(afterCommitIndex, READ_WAIT_MS))) {
      throw new AppError(
        'NO_MASTER',
        `this node has not applied index ${afterCommitIndex} yet; retry shortly`,
        {
          appliedIndex: d.log.appliedIndex,
        },
      );
    }
  };
  const afterApplied = async <T>(index: number | undefined, read: () => Promise<T>): Promise<T> => {
    await caughtUp(index);
    return read();
  };
  const admin = (context: ConnectionContext) => {
    if (!context.admin)
      throw new AppError('UNAUTHORIZED', 'admin token required (Authorization: Bearer or auth.login)');
  };
  let openRpc: Record<string, unknown> | undefined;
  const w = localWrites(d);

  rpc.method('catalog.movies', (p) => afterApplied(p.afterCommitIndex, () => d.catalog.movies()));
  rpc.method('catalog.movie', (p) => afterApplied(p.afterCommitIndex, () => d.catalog.movie(p.movieId)));
  rpc.method('catalog.theaters', (p) => afterApplied(p.afterCommitIndex, () => d.catalog.theaters()));
  rpc.method('catalog.shows', async ({ afterCommitIndex, ...filter }) => {
    await caughtUp(afterCommitIndex);
    return d.catalog.shows(filter);
  });
  rpc.method('seats.map', (p) => afterApplied(p.afterCommitIndex, async () => d.service.seatMap(p.showId)));
  /**
   * The ticket is signed and its QR code drawn where the answer leaves for the client; a forwarded
   * answer goes back bare. Bookings made before tickets were signed on answer keep their stored token.
   */
  const ticketed = async (b: Booking, context: ConnectionContext): Promise<Booking> => {
    if (context.forwarded || b.ticket.qrSvg !== '') return b;
    const token = b.ticket.token || d.signTicket(b);
    return { ...b, ticket: { token, qrSvg: await d.qr(token) } };
  };
  const quotaOf = (context: ConnectionContext) => {
    context.held ??= new Map();
    return { address: context.address ?? 'local', held: context.held };
  };
  rpc.method('seats.hold', async (p, context) => {
    const q = quotaOf(context);
    if (!context.forwarded) d.holdQuota.check(q.address, q.held, p.seatIds.length, p.holdId);
    const hold = await d.cluster.write('seats.hold', p, () => w['seats.hold'](p), context);
    if (!context.forwarded) {
      d.holdQuota.taken(q.address, q.held, hold.holdId, hold.seatIds.length, Date.parse(hold.expiresAt));
    }
    return hold;
  });
  rpc.method('seats.release', async (p, context) => {
    const released = await d.cluster.write('seats.release', p, () => w['seats.release'](p), context);
    const q = quotaOf(context);
    d.holdQuota.ended(q.address, q.held, p.holdId);
    return released;
  });
  rpc.method('seats.subscribe', async (p, context) => {
    d.service.seatMap(p.showId); // SHOW_NOT_FOUND for unknown shows
    if (!context.shows.has(p.showId) && context.shows.size >= d.maxSubscriptions) {
      throw new AppError('RATE_LIMITED', `at most ${d.maxSubscriptions} subscriptions per connection`);
    }
    context.shows.add(p.showId);
    d.subscriptions.add(p.showId, context);
    return { showId: p.showId, subscribed: true as const };
  });
  rpc.method('seats.unsubscribe', (p, context) => {
    context.shows.delete(p.showId);
    d.subscriptions.remove(p.showId, context);
    return { showId: p.showId, subscribed: false as const };
  });
  rpc.method('bookings.confirm', async (p, context) => {
    const booking = await d.cluster.write('bookings.confirm', p, () => w['bookings.confirm'](p), context);
    const q = quotaOf(context);
    d.holdQuota.ended(q.address, q.held, p.holdId);
    return ticketed(booking, context);
  });
  rpc.method('bookings.book', async (p, context) =>
    ticketed(await d.cluster.write('bookings.book', p, () => w['bookings.book'](p), context), context),
  );
  rpc.method('bookings.get', async (p, context) =>
    ticketed(await afterApplied(p.afterCommitIndex, () => d.service.getBooking(p.code)), context),
  );
  rpc.method('bookings.cancel', async (p, context) =>
    ticketed(await d.cluster.write('bookings.cancel', p, () => w['bookings.cancel'](p), context), context),
  );
  rpc.method('tickets.verify', (p) => d.service.verifyTicket(p.token));
  rpc.method('cluster.status', () => ({
    ...d.cluster.status(),
    applyError: d.log.applyError?.message ?? null,
    rejectedEntries: d.service.machine.rejectedCount,
  }));
  rpc.method('cluster.events', (p) => d.events.since(p.sinceLamport ?? 0));
  rpc.method('rpc.discover', () => {
    openRpc ??= buildOpenRpcDocument(d.version);
    return openRpc;
  });
  rpc.method('auth.login', (p, context) => {
    if (d.adminToken === null) {
      throw new AppError('UNAUTHORIZED', 'admin methods are off on this node (no BOOKING_ADMIN_TOKEN)');
    }
    if (!d.tokensEqual(p.token, d.adminToken)) throw new AppError('UNAUTHORIZED', 'wrong admin token');
    context.admin = true;
    return { admin: true as const };
  });
  rpc.method('admin.importCatalog', (p, context) => {
    admin(context);
    return d.cluster.write('admin.importCatalog', p, () => w['admin.importCatalog'](p), context);
  });
  rpc.method('admin.bookings', async (p, context) => {
    admin(context);
    const status = d.cluster.status();
    const rows = await d.service.read((db) => allBookings(db, p.afterId, p.limit));
    return {
      nodeId: status.nodeId,
      appliedIndex: status.appliedIndex,
      commitIndex: status.commitIndex,
      rejectedEntries: d.service.machine.rejectedCount,
      bookings: rows.map((b) => ({
        id: b.id,
        code: b.code,
        showId: b.showId,
        seatIds: b.seatIds,
        customer: b.customer,
        status: b.status,
        lamport: b.lamport,
        createdAt: b.createdAt,
        idempotencyKey: b.idempotencyKey,
        holdId: b.holdId,
      })),
    };
  });
  rpc.method('admin.stepDown', async (_p, context) => {
    admin(context);
    return { nodeId: d.cluster.status().nodeId, steppedDown: await d.cluster.stepDown() };
  });
}
