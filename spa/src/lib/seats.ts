/**
 * Seat-map logic with no Vue and no browser in it: layout with aisles, prices, the single-seat
 * rule, best-seat suggestions and keyboard movement. The seat picker store and view are thin
 * wrappers around these functions, and the unit tests exercise them directly.
 */
import type { Seat, SeatKind, SeatMap, SeatStatus, Show } from '@booking/node/protocol';

export interface Cell {
  /** 1-based column counting aisles. */
  col: number;
  seat: Seat | null;
}

export interface GridRow {
  label: string;
  cells: Cell[];
}

/** Rows padded to one width: a missing `col` is an aisle, so every row lines up under the screen. */
export function layoutRows(map: SeatMap): GridRow[] {
  const width = Math.max(0, ...map.rows.flatMap((row) => row.seats.map((seat) => seat.col)));
  return map.rows.map((row) => {
    const byCol = new Map(row.seats.map((seat) => [seat.col, seat]));
    const cells: Cell[] = [];
    for (let col = 1; col <= width; col++) cells.push({ col, seat: byCol.get(col) ?? null });
    return { label: row.label, cells };
  });
}

export function priceOf(kind: SeatKind, prices: Show['prices']): number {
  return kind === 'premium' ? (prices.premium ?? prices.standard) : prices.standard;
}

export function seatLabel(seat: Pick<Seat, 'id'>, status: SeatStatus | 'selected'): string {
  return `Seat ${seat.id}, ${status}`;
}

/** Runs of seats with no aisle between them: a person can only be stranded inside one. */
export function segments(seats: Seat[]): Seat[][] {
  const sorted = [...seats].sort((a, b) => a.col - b.col);
  const out: Seat[][] = [];
  let current: Seat[] = [];
  for (const seat of sorted) {
    const last = current[current.length - 1];
    if (last && seat.col !== last.col + 1) {
      out.push(current);
      current = [];
    }
    current.push(seat);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Seats that this selection would leave as a lone empty seat: available, not chosen, boxed in on
 * both sides (by a taken or chosen seat, an aisle or the wall) with a chosen seat on at least one
 * side. Lone seats that were already lone before are not the customer's doing and are not reported.
 */
export function strandedSeats(map: SeatMap, selected: ReadonlySet<string>): string[] {
  const stranded: string[] = [];
  for (const row of map.rows) {
    for (const seg of segments(row.seats)) {
      const free = seg.map((seat) => seat.status === 'available' && !selected.has(seat.id));
      seg.forEach((seat, i) => {
        if (!free[i]) return;
        const leftFree = i > 0 && free[i - 1];
        const rightFree = i < seg.length - 1 && free[i + 1];
        if (leftFree || rightFree) return;
        const left = seg[i - 1];
        const right = seg[i + 1];
        if ((left && selected.has(left.id)) || (right && selected.has(right.id))) stranded.push(seat.id);
      });
    }
  }
  return stranded;
}

/**
 * The best block of `n` adjacent available seats: same row, no aisle inside, no wheelchair spaces
 * (those are kept for whoever needs them). Scored by distance from the sweet spot, two thirds of
 * the way back and centred, with a penalty for blocks that strand a single seat.
 */
export function bestSeats(map: SeatMap, n: number): string[] | null {
  if (n < 1) return null;
  const width = Math.max(1, ...map.rows.flatMap((row) => row.seats.map((seat) => seat.col)));
  const centre = (width + 1) / 2;
  const idealRow = (map.rows.length - 1) * 0.65;
  let best: { ids: string[]; score: number } | null = null;
  map.rows.forEach((row, r) => {
    for (const seg of segments(row.seats)) {
      for (let start = 0; start + n <= seg.length; start++) {
        const block = seg.slice(start, start + n);
        if (!block.every((seat) => seat.status === 'available' && seat.kind !== 'wheelchair')) continue;
        const ids = block.map((seat) => seat.id);
        const mid = (block[0]!.col + block[block.length - 1]!.col) / 2;
        const strands = strandedSeats(map, new Set(ids)).length;
        const score = Math.abs(r - idealRow) * 1.5 + Math.abs(mid - centre) + strands * 4;
        if (!best || score < best.score) best = { ids, score };
      }
    }
  });
  return best ? (best as { ids: string[] }).ids : null;
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * Where arrow-key focus goes from seat `fromId`: along the row skipping aisles, or to the seat in
 * the next row nearest in column (rows differ in shape). Null at an edge, so focus stays put.
 */
export function moveFocus(grid: GridRow[], fromId: string, direction: Direction): string | null {
  const r = grid.findIndex((row) => row.cells.some((cell) => cell.seat?.id === fromId));
  if (r < 0) return null;
  const row = grid[r]!;
  const col = row.cells.find((cell) => cell.seat?.id === fromId)!.col;
  const seatsOf = (g: GridRow) => g.cells.filter((cell) => cell.seat !== null);
  if (direction === 'left' || direction === 'right') {
    const seats = seatsOf(row);
    const i = seats.findIndex((cell) => cell.col === col);
    const next = seats[direction === 'left' ? i - 1 : i + 1];
    return next?.seat?.id ?? null;
  }
  const target = grid[direction === 'up' ? r - 1 : r + 1];
  if (!target) return null;
  let nearest: Cell | null = null;
  for (const cell of seatsOf(target)) {
    if (!nearest || Math.abs(cell.col - col) < Math.abs(nearest.col - col)) nearest = cell;
  }
  return nearest?.seat?.id ?? null;
}

/** Applies a seats.changed notification; ignores one older than what the map already shows. */
export function applySeatChanges(
  map: SeatMap,
  changes: { id: string; status: SeatStatus }[],
  commitIndex: number,
): SeatMap {
  if (commitIndex < map.commitIndex) return map;
  const byId = new Map(changes.map((change) => [change.id, change.status]));
  return {
    ...map,
    commitIndex,
    rows: map.rows.map((row) => ({
      ...row,
      seats: row.seats.map((seat) => {
        const status = byId.get(seat.id);
        return status && status !== seat.status ? { ...seat, status } : seat;
      }),
    })),
  };
}

export function findSeat(map: SeatMap, id: string): Seat | undefined {
  for (const row of map.rows) {
    const seat = row.seats.find((s) => s.id === id);
    if (seat) return seat;
  }
  return undefined;
}
