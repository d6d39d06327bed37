/**
 * Seat layouts: one string per row (see catalog/model.ts). Pure, so the seat map, prices and
 * validation all read the same rules.
 */
import type { SeatKind } from '../protocol/model.js';

export interface LayoutSeat {
  id: string;
  kind: SeatKind;
  col: number;
}

export interface LayoutRow {
  label: string;
  seats: LayoutSeat[];
}

const KINDS: Record<string, SeatKind> = { S: 'standard', P: 'premium', W: 'wheelchair' };

export function rowLabel(index: number): string {
  // A..Z then AA..AZ, BA..: enough for any screen and matches the SeatId pattern.
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return index < 26 ? letters[index]! : letters[Math.floor(index / 26) - 1]! + letters[index % 26]!;
}

export function parseLayout(layout: string[]): LayoutRow[] {
  return layout.map((row, r) => {
    const label = rowLabel(r);
    const seats: LayoutSeat[] = [];
    let number = 0;
    for (let c = 0; c < row.length; c++) {
      const kind = KINDS[row[c]!];
      if (!kind) continue;
      number += 1;
      seats.push({ id: `${label}${number}`, kind, col: c + 1 });
    }
    return { label, seats };
  });
}

const seatIndexes = new WeakMap<string[], Map<string, LayoutSeat>>();

/** Seats by id. Memoised per layout array: the booking path asks for the same show's many times. */
export function seatIndex(layout: string[]): Map<string, LayoutSeat> {
  let index = seatIndexes.get(layout);
  if (!index) {
    index = new Map(parseLayout(layout).flatMap((row) => row.seats.map((s) => [s.id, s] as const)));
    seatIndexes.set(layout, index);
  }
  return index;
}

export function priceOf(kind: SeatKind, prices: { standard: number; premium?: number }): number {
  return kind === 'premium' ? (prices.premium ?? prices.standard) : prices.standard;
}
