/** A small catalog whose shows are relative to "now", so booking rules can be tested at will. */
import type { CatalogSnapshot } from '../../src/catalog/model.js';

const HOUR = 3600_000;

function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString().replace('Z', '+00:00');
}

export function fixtureCatalog(): CatalogSnapshot {
  return {
    movies: [
      {
        id: '101',
        title: 'The Quiet Harbour',
        overview: 'A lighthouse keeper finds a message.',
        releaseDate: '2026-10-01',
        runtimeMinutes: 112,
        genres: ['Drama'],
        rating: 7.4,
        posterUrl: null,
      },
      {
        id: '102',
        title: 'Orbit of Ash',
        overview: 'Miners on a dying moon.',
        releaseDate: '2026-09-12',
        runtimeMinutes: 128,
        genres: ['Science Fiction', 'Thriller'],
        rating: 6.9,
        posterUrl: null,
      },
    ],
    theaters: [
      {
        id: 't-1',
        name: 'Test Cinema',
        city: 'Berlin',
        address: 'Teststr. 1',
        screens: [
          // 5 rows: 2 aisles, a premium row and wheelchair places. 36 seats.
          {
            id: 't-1-s1',
            name: 'Screen 1',
            layout: ['SSS.SSS', 'SSS.SSS', 'SSS.SSS', 'PPP.PPP', 'WW.....SSSSSS'],
          },
          {
            id: 't-1-s2',
            name: 'Screen 2',
            layout: ['SSSSSSSSSS', 'SSSSSSSSSS', 'SSSSSSSSSS', 'SSSSSSSSSS'],
          },
        ],
      },
    ],
    shows: [
      {
        id: 'show-soon',
        movieId: '101',
        theaterId: 't-1',
        screenId: 't-1-s1',
        startsAt: isoIn(24 * HOUR),
        prices: { standard: 1200, premium: 1800 },
        currency: 'EUR',
      },
      {
        id: 'show-big',
        movieId: '102',
        theaterId: 't-1',
        screenId: 't-1-s2',
        startsAt: isoIn(48 * HOUR),
        prices: { standard: 1000 },
        currency: 'EUR',
      },
      {
        id: 'show-started',
        movieId: '102',
        theaterId: 't-1',
        screenId: 't-1-s2',
        startsAt: isoIn(-HOUR),
        prices: { standard: 900 },
        currency: 'EUR',
      },
    ],
  };
}
