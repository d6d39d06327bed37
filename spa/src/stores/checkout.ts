import type { Booking, Hold, Show } from '@booking/node/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { confirmBooking, describeError, newIdempotencyKey } from '../api/index.ts';

export interface CheckoutDraft {
  hold: Hold;
  show: Show;
  movieTitle: string;
  lines: { id: string; kind: string; cents: number }[];
  totalCents: number;
  /** Made once when the checkout starts; every retry of the confirm carries the same one. */
  idempotencyKey: string;
}

/** Where a draft survives a page reload, so a reload mid-checkout reuses the same key. */
export interface DraftStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const STORAGE_KEY = 'booking.checkout';

function defaultStorage(): DraftStorage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null;
  }
}

export function isEmail(text: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text.trim());
}

export const useCheckoutStore = defineStore('checkout', () => {
  let storage: DraftStorage | null = defaultStorage();
  const draft = ref<CheckoutDraft | null>(null);
  const name = ref('');
  const email = ref('');
  const booking = ref<Booking | null>(null);
  const error = ref<string | null>(null);
  const busy = ref(false);

  const valid = computed(() => name.value.trim().length > 0 && isEmail(email.value));

  function useStorage(next: DraftStorage | null): void {
    storage = next;
  }

  function persist(): void {
    if (!storage) return;
    if (draft.value) storage.setItem(STORAGE_KEY, JSON.stringify(draft.value));
    else storage.removeItem(STORAGE_KEY);
  }

  /** Starts (or resumes, for the same hold) a checkout. A new hold means a new key. */
  function begin(next: Omit<CheckoutDraft, 'idempotencyKey'>): CheckoutDraft {
    if (draft.value?.hold.holdId !== next.hold.holdId) {
      draft.value = { ...next, idempotencyKey: newIdempotencyKey() };
      booking.value = null;
      error.value = null;
    } else {
      draft.value = { ...next, idempotencyKey: draft.value.idempotencyKey };
    }
    persist();
    return draft.value;
  }

  function restore(): CheckoutDraft | null {
    if (draft.value || !storage) return draft.value;
    const raw = storage.getItem(STORAGE_KEY);
    if (!raw) return null;
    try {
      draft.value = JSON.parse(raw) as CheckoutDraft;
    } catch {
      storage.removeItem(STORAGE_KEY);
    }
    return draft.value;
  }

  async function confirm(): Promise<Booking | null> {
    const current = draft.value;
    if (!current || !valid.value || busy.value) return null;
    busy.value = true;
    error.value = null;
    try {
      booking.value = await confirmBooking({
        holdId: current.hold.holdId,
        customer: { name: name.value.trim(), email: email.value.trim() },
        idempotencyKey: current.idempotencyKey,
      });
      draft.value = null;
      persist();
      return booking.value;
    } catch (e) {
      error.value = describeError(e);
      return null;
    } finally {
      busy.value = false;
    }
  }

  function clear(): void {
    draft.value = null;
    booking.value = null;
    error.value = null;
    persist();
  }

  return { draft, name, email, booking, error, busy, valid, useStorage, begin, restore, confirm, clear };
});
