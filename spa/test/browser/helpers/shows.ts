import type { Show } from '@booking/node/protocol';
import type { Page } from 'playwright-core';
import { rpc } from './browser.ts';

/**
 * Shows no other test touches: each test takes its own, untouched and at least an hour away (so
 * SHOW_STARTED cannot strike mid-test). Tests in one file may then run side by side.
 */
export class ShowPool {
  private shows: Show[] | null = null;
  private taken = new Set<string>();

  async take(page: Page, minSeats = 16): Promise<Show> {
    this.shows ??= (await rpc(page, 'catalog.shows', {})).sort((a, b) =>
      a.startsAt.localeCompare(b.startsAt),
    );
    const soon = Date.now() + 60 * 60_000;
    const show = this.shows.find(
      (s) =>
        !this.taken.has(s.id) &&
        Date.parse(s.startsAt) > soon &&
        s.seatsAvailable === s.seatsTotal &&
        s.seatsTotal >= minSeats,
    );
    if (!show) throw new Error('no untouched show left in the catalog');
    this.taken.add(show.id);
    return show;
  }
}

export const showPath = (show: Show) => `/movies/${show.movieId}/shows/${show.id}`;
