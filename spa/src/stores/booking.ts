import type { Booking } from '@booking/node/protocol';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { cancelBooking, describeError, getBooking } from '../api/index.ts';

/** Looking a booking up by its code (ticket and lookup pages) and cancelling it. */
export const useBookingStore = defineStore('booking', () => {
  const booking = ref<Booking | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);

  function show(next: Booking): void {
    booking.value = next;
    error.value = null;
  }

  async function load(code: string): Promise<Booking | null> {
    const clean = normaliseCode(code);
    if (!clean) {
      error.value = 'Enter the booking code from your confirmation.';
      return null;
    }
    if (booking.value?.code === clean) return booking.value;
    loading.value = true;
    error.value = null;
    try {
      booking.value = await getBooking(clean);
      return booking.value;
    } catch (e) {
      booking.value = null;
      error.value = describeError(e);
      return null;
    } finally {
      loading.value = false;
    }
  }

  async function cancel(): Promise<boolean> {
    if (!booking.value) return false;
    loading.value = true;
    error.value = null;
    try {
      booking.value = await cancelBooking(booking.value.code);
      return true;
    } catch (e) {
      error.value = describeError(e);
      return false;
    } finally {
      loading.value = false;
    }
  }

  return { booking, error, loading, show, load, cancel };
});

/** Codes are copied from mail and paper: stray spaces around or inside them are not part of it. */
export function normaliseCode(code: string): string {
  return code.replace(/\s+/g, '');
}
