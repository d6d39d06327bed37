import type { Hold, Movie, SeatMap, SeatStatus, SeatsChanged, Show } from '@booking/node/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { describeError, getSeatMap, hasReason, holdSeats, releaseHold } from '../api/index.ts';
import { applySeatChanges, bestSeats, findSeat, layoutRows, priceOf, strandedSeats } from '../lib/seats.ts';

export const MAX_SEATS = 10;

/** What a seat looks like to this customer: their own picks and holds are "selected". */
export type SeatView = SeatStatus | 'selected';

/**
 * The seat picker: the live map of one show, the customer's selection and their hold. Seats of
 * our own hold come back as `held` from the server; we keep showing them as selected.
 */
export const useSeatsStore = defineStore('seats', () => {
  const show = ref<Show | null>(null);
  const movie = ref<Movie | null>(null);
  const map = ref<SeatMap | null>(null);
  const selected = ref<string[]>([]);
  const hold = ref<Hold | null>(null);
  const expired = ref(false);
  const error = ref<string | null>(null);
  const notice = ref<string | null>(null);
  const busy = ref(false);

  const grid = computed(() => (map.value ? layoutRows(map.value) : []));
  const selectedSet = computed(() => new Set(selected.value));
  const stranded = computed(() =>
    map.value && !hold.value ? strandedSeats(map.value, selectedSet.value) : [],
  );
  const lines = computed(() => {
    if (!map.value || !show.value) return [];
    const prices = show.value.prices;
    return selected.value.flatMap((id) => {
      const seat = findSeat(map.value!, id);
      return seat ? [{ id, kind: seat.kind, cents: priceOf(seat.kind, prices) }] : [];
    });
  });
  const totalCents = computed(() => lines.value.reduce((sum, line) => sum + line.cents, 0));

  function statusOf(id: string): SeatView {
    if (selectedSet.value.has(id)) return 'selected';
    const seat = map.value ? findSeat(map.value, id) : undefined;
    return seat?.status ?? 'booked';
  }

  function open(nextShow: Show, nextMovie: Movie): void {
    if (show.value?.id !== nextShow.id) reset();
    show.value = nextShow;
    movie.value = nextMovie;
  }

  function reset(): void {
    map.value = null;
    selected.value = [];
    hold.value = null;
    expired.value = false;
    error.value = null;
    notice.value = null;
  }

  async function loadMap(): Promise<void> {
    if (!show.value) return;
    try {
      const fresh = await getSeatMap(show.value.id);
      // A notification may have raced ahead of this read; keep whichever is newer.
      if (!map.value || fresh.commitIndex >= map.value.commitIndex) map.value = fresh;
      dropTaken();
    } catch (e) {
      error.value = describeError(e);
    }
  }

  /** Selected seats that someone else just took leave the selection, with a word why. */
  function dropTaken(): void {
    // While our own hold is in flight, its seats.changed may arrive before its answer: those seats
    // are ours, not "taken". holdSelected sorts the selection out once the answer is in.
    if (!map.value || hold.value || busy.value) return;
    const taken = selected.value.filter((id) => findSeat(map.value!, id)?.status !== 'available');
    if (taken.length === 0) return;
    selected.value = selected.value.filter((id) => !taken.includes(id));
    notice.value = `${taken.join(', ')} ${taken.length === 1 ? 'was' : 'were'} just taken by someone else.`;
  }

  function applyChange(change: SeatsChanged): void {
    if (!map.value || change.showId !== map.value.showId) return;
    map.value = applySeatChanges(map.value, change.seats, change.commitIndex);
    dropTaken();
  }

  function toggle(id: string): void {
    if (hold.value || !map.value) return;
    error.value = null;
    if (selectedSet.value.has(id)) {
      selected.value = selected.value.filter((s) => s !== id);
      return;
    }
    if (findSeat(map.value, id)?.status !== 'available') return;
    if (selected.value.length >= MAX_SEATS) {
      error.value = `You can pick at most ${MAX_SEATS} seats.`;
      return;
    }
    selected.value = [...selected.value, id];
  }

  /** Replaces the selection with the best block of `n` seats; false when there is none. */
  function suggest(n: number): boolean {
    if (!map.value || hold.value) return false;
    const ids = bestSeats(map.value, Math.min(n, MAX_SEATS));
    if (!ids) {
      error.value = `No ${n} seats together are left; pick them one by one.`;
      return false;
    }
    error.value = null;
    selected.value = ids;
    return true;
  }

  async function holdSelected(): Promise<boolean> {
    if (!show.value || selected.value.length === 0 || busy.value) return false;
    busy.value = true;
    error.value = null;
    expired.value = false;
    try {
      hold.value = await holdSeats({ showId: show.value.id, seatIds: selected.value });
      return true;
    } catch (e) {
      if (hasReason(e, 'SEATS_UNAVAILABLE')) {
        selected.value = selected.value.filter((id) => !e.seatIds.includes(id));
        void loadMap();
      }
      error.value = describeError(e);
      return false;
    } finally {
      busy.value = false;
      if (!hold.value) dropTaken();
    }
  }

  async function release(): Promise<void> {
    const current = hold.value;
    hold.value = null;
    if (!current) return;
    try {
      await releaseHold(current.holdId);
    } catch {
      // The hold expires by itself on the server; nothing for the customer to do.
    }
  }

  /** Called by the countdown when the hold's expiresAt passes. */
  function expire(): void {
    if (!hold.value) return;
    hold.value = null;
    expired.value = true;
    selected.value = [];
    void loadMap();
  }

  function remainingMs(now: number): number {
    return hold.value ? Date.parse(hold.value.expiresAt) - now : 0;
  }

  return {
    show,
    movie,
    map,
    selected,
    hold,
    expired,
    error,
    notice,
    busy,
    grid,
    stranded,
    lines,
    totalCents,
    statusOf,
    open,
    reset,
    loadMap,
    applyChange,
    toggle,
    suggest,
    holdSelected,
    release,
    expire,
    remainingMs,
  };
});
