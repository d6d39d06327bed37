/** Catalog reads from this node's applied state. */
import type { Pool } from 'mysql2/promise';
import { AppError } from '../protocol/errors.js';
import type { MovieWithShows, Show } from '../protocol/model.js';
import * as q from '../store/queries.js';

export class CatalogReads {
  constructor(private readonly read: <T>(work: (db: Pool) => Promise<T>) => Promise<T>) {}

  movies() {
    return this.read((db) => q.listMovies(db));
  }

  async movie(movieId: string): Promise<MovieWithShows> {
    const [movie, shows] = await this.read((db) =>
      Promise.all([q.getMovie(db, movieId), q.listShows(db, { movieId })]),
    );
    if (!movie) throw new AppError('MOVIE_NOT_FOUND', `no movie ${movieId}`);
    return { ...movie, shows };
  }

  theaters() {
    return this.read((db) => q.listTheaters(db));
  }

  shows(filter: { movieId?: string; theaterId?: string; date?: string }): Promise<Show[]> {
    return this.read((db) => q.listShows(db, filter));
  }

  counts() {
    return this.read((db) => q.countCatalog(db));
  }
}
