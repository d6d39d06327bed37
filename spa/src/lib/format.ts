/** Formatting that the views share; pure, so the unit tests pin it down. */
import type { Show, Theater } from '@booking/node/protocol';

/** `m:ss` until a deadline, never negative; hours only when there are some. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatMoney(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/**
 * The calendar date of an ISO time *as written* (the theater's local date, from its offset), not
 * the viewer's: a 23:30 show in Lisbon is on the date printed on the ticket wherever you look.
 */
export function localDate(iso: string): string {
  return iso.slice(0, 10);
}

export function localTime(iso: string): string {
  return iso.slice(11, 16);
}

export function formatDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(Date.UTC(y!, m! - 1, d!));
  return day.toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

export function formatShowTime(iso: string): string {
  return `${formatDay(localDate(iso))}, ${localTime(iso)}`;
}

export interface ShowGroup {
  date: string;
  theaters: { theater: Theater | { id: string; name: string }; shows: Show[] }[];
}

/** Showtimes grouped by local date, then theater, each sorted by time. */
export function groupShows(shows: Show[], theaters: Theater[]): ShowGroup[] {
  const byId = new Map(theaters.map((t) => [t.id, t]));
  const dates = new Map<string, Map<string, Show[]>>();
  for (const show of [...shows].sort((a, b) => a.startsAt.localeCompare(b.startsAt))) {
    const date = localDate(show.startsAt);
    let perTheater = dates.get(date);
    if (!perTheater) {
      perTheater = new Map();
      dates.set(date, perTheater);
    }
    const list = perTheater.get(show.theaterId) ?? [];
    list.push(show);
    perTheater.set(show.theaterId, list);
  }
  return [...dates.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([date, perTheater]) => ({
      date,
      theaters: [...perTheater.entries()]
        .map(([id, list]) => ({ theater: byId.get(id) ?? { id, name: id }, shows: list }))
        .sort((a, b) => a.theater.name.localeCompare(b.theater.name)),
    }));
}

export type Availability = 'sold-out' | 'few' | 'available';

/** A show whose start time has passed can no longer be booked (the server says SHOW_STARTED). */
export function hasStarted(show: Pick<Show, 'startsAt'>, nowMs: number): boolean {
  return Date.parse(show.startsAt) <= nowMs;
}

/** What a showtime button offers: `started` and `sold-out` cannot be opened for booking. */
export type ShowState = 'started' | Availability;

export function showState(
  show: Pick<Show, 'startsAt' | 'seatsAvailable' | 'seatsTotal'>,
  nowMs: number,
): ShowState {
  return hasStarted(show, nowMs) ? 'started' : availability(show);
}

export function availability(show: Pick<Show, 'seatsAvailable' | 'seatsTotal'>): Availability {
  if (show.seatsAvailable <= 0) return 'sold-out';
  return show.seatsAvailable / Math.max(1, show.seatsTotal) < 0.2 ? 'few' : 'available';
}
