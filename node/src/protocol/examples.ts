/**
 * Example calls for the OpenRPC document: one booking journey, from the movie list to the ticket.
 * Every example is checked against the method's param and result schemas by a test, so the
 * examples cannot drift from the wire contract.
 */
import type { MethodName, ParamsOf, ResultOf } from './methods.js';

export interface MethodExample<M extends MethodName> {
  name: string;
  params: ParamsOf<M>;
  result: ResultOf<M>;
}
export type MethodExamples = { [M in MethodName]?: MethodExample<M>[] };

const movie = {
  id: 'm550',
  title: 'Fight Club',
  overview: 'A ticking-time-bomb insomniac and a slippery soap salesman channel primal male aggression.',
  releaseDate: '1999-10-15',
  runtimeMinutes: 139,
  genres: ['Drama'],
  rating: 8.4,
  posterUrl: 'https://image.tmdb.org/t/p/w342/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg',
};
const show = {
  id: 's-odeon-1-20250614-2000',
  movieId: 'm550',
  theaterId: 'odeon',
  screenId: 'odeon-1',
  startsAt: '2025-06-14T20:00:00+02:00',
  prices: { standard: 1200, premium: 1600 },
  currency: 'EUR',
  seatsTotal: 96,
  seatsAvailable: 94,
};
const customer = { name: 'Ada Lovelace', email: 'ada@example.org' };
const booking = {
  id: 'b7f3k2',
  code: 'K7QF-M2XD-9TRA',
  showId: show.id,
  seatIds: ['G9', 'G10'],
  customer,
  totalCents: 2400,
  currency: 'EUR',
  status: 'confirmed' as const,
  createdAt: '2025-06-12T18:03:11.042Z',
  lamport: 418,
  epoch: 3,
  commitIndex: 1207,
  ticket: { token: 'eyJiIjoiYjdmM2syIn0.c2lnbmF0dXJl', qrSvg: '<svg xmlns="http://www.w3.org/2000/svg"/>' },
};

export const methodExamples: MethodExamples = {
  'catalog.movies': [{ name: 'movies now showing', params: {}, result: [movie] }],
  'catalog.shows': [
    {
      name: 'shows of a movie on a date',
      params: { movieId: 'm550', date: '2025-06-14' },
      result: [show],
    },
  ],
  'seats.hold': [
    {
      name: 'hold two seats',
      params: { showId: show.id, seatIds: ['G9', 'G10'] },
      result: {
        holdId: 'h9x2p4',
        showId: show.id,
        seatIds: ['G9', 'G10'],
        expiresAt: '2025-06-12T18:07:58.510Z',
        commitIndex: 1206,
      },
    },
  ],
  'bookings.confirm': [
    {
      name: 'confirm a hold',
      params: { holdId: 'h9x2p4', customer, idempotencyKey: '6c0e1d52-3b8e-4a57-9d2f-0f7e6b1c9a41' },
      result: booking,
    },
  ],
  'bookings.book': [
    {
      name: 'book two seats in one step',
      params: {
        showId: show.id,
        seatIds: ['G9', 'G10'],
        customer,
        idempotencyKey: '6c0e1d52-3b8e-4a57-9d2f-0f7e6b1c9a41',
      },
      result: booking,
    },
  ],
  'bookings.get': [
    {
      name: 'look a booking up, reading your own write',
      params: { code: booking.code, afterCommitIndex: 1207 },
      result: booking,
    },
  ],
  'cluster.status': [
    {
      name: 'a slave of a three-node cluster',
      params: {},
      result: {
        nodeId: 2,
        role: 'slave',
        masterId: 3,
        epoch: 3,
        lamport: 420,
        commitIndex: 1207,
        appliedIndex: 1207,
        peers: [
          { nodeId: 1, url: 'ws://127.0.0.1:7101', alive: true, role: 'slave', commitIndex: 1207 },
          { nodeId: 3, url: 'ws://127.0.0.1:7103', alive: true, role: 'master', commitIndex: 1207 },
        ],
      },
    },
  ],
};
