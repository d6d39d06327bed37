import type { Movie, MovieWithShows, Theater } from '@booking/node/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { describeError, getMovie, listMovies, listShows, listTheaters } from '../api/index.ts';

export function matchesMovie(movie: Movie, search: string, genre: string): boolean {
  const q = search.trim().toLowerCase();
  if (genre && !movie.genres.includes(genre)) return false;
  if (!q) return true;
  return movie.title.toLowerCase().includes(q) || movie.overview.toLowerCase().includes(q);
}

export const useCatalogStore = defineStore('catalog', () => {
  const movies = ref<Movie[]>([]);
  const theaters = ref<Theater[]>([]);
  const moviesById = ref<Record<string, MovieWithShows>>({});
  const search = ref('');
  const genre = ref('');
  const loading = ref(false);
  const error = ref<string | null>(null);

  const genres = computed(() => [...new Set(movies.value.flatMap((m) => m.genres))].sort());
  const visible = computed(() => movies.value.filter((m) => matchesMovie(m, search.value, genre.value)));

  async function loadMovies(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      movies.value = await listMovies();
    } catch (e) {
      error.value = describeError(e);
    } finally {
      loading.value = false;
    }
  }

  async function loadTheaters(): Promise<Theater[]> {
    if (theaters.value.length === 0) theaters.value = await listTheaters();
    return theaters.value;
  }

  /** The movie with its shows; fresh each time, since availability moves. */
  async function loadMovie(movieId: string): Promise<MovieWithShows> {
    const [movie] = await Promise.all([getMovie(movieId), loadTheaters()]);
    moviesById.value = { ...moviesById.value, [movieId]: movie };
    return movie;
  }

  function theaterOf(id: string): Theater | undefined {
    return theaters.value.find((t) => t.id === id);
  }

  function findShow(showId: string) {
    for (const movie of Object.values(moviesById.value)) {
      const show = movie.shows.find((s) => s.id === showId);
      if (show) return { movie, show };
    }
    return undefined;
  }

  /** Show, movie and theater of a booking's showId (a looked-up booking knows nothing else). */
  async function showDetails(showId: string) {
    let found = findShow(showId);
    if (!found) {
      const show = (await listShows()).find((s) => s.id === showId);
      if (!show) return undefined;
      await loadMovie(show.movieId);
      found = findShow(showId);
    }
    await loadTheaters();
    return found ? { ...found, theater: theaterOf(found.show.theaterId) } : undefined;
  }

  return {
    showDetails,
    movies,
    theaters,
    moviesById,
    search,
    genre,
    loading,
    error,
    genres,
    visible,
    loadMovies,
    loadTheaters,
    loadMovie,
    theaterOf,
    findShow,
  };
});
