/**
 * Our own catalog model: what the adapters (TMDB, MovieGlu-shaped showtimes, the bundled
 * recording) produce and what a `catalog.import` log entry carries to every node.
 */
import type { Movie } from '../protocol/model.js';

/**
 * A screen's layout, one string per row, front (screen side) first. One char per position:
 * `S` standard, `P` premium, `W` wheelchair, `.` aisle or gap. Rows are labelled A, B, C...
 * and seats numbered 1.. from the left, counting seats only (gaps keep their column).
 */
export interface CatalogScreen {
  id: string;
  name: string;
  layout: string[];
}

export interface CatalogTheater {
  id: string;
  name: string;
  city: string;
  address: string;
  screens: CatalogScreen[];
}

export interface CatalogShow {
  id: string;
  movieId: string;
  theaterId: string;
  screenId: string;
  /** ISO-8601 with offset. */
  startsAt: string;
  prices: { standard: number; premium?: number };
  currency: string;
}

export type CatalogMovie = Movie;

export interface CatalogSnapshot {
  movies: CatalogMovie[];
  theaters: CatalogTheater[];
  shows: CatalogShow[];
}

export interface SkippedRecord {
  source: string;
  id: string | null;
  error: string;
}
