import test from 'ava';
import {
  applySeatChanges,
  bestSeats,
  layoutRows,
  moveFocus,
  priceOf,
  seatLabel,
  strandedSeats,
} from '../../src/lib/seats.ts';
import { mapOf } from '../helpers/maps.ts';

test('layout pads rows to one width and leaves aisles where cols are missing', (t) => {
  const grid = layoutRows(mapOf(['SS.SS', 'SSS.SSS']));
  t.is(grid.length, 2);
  t.is(grid[0]!.cells.length, 7, 'every row as wide as the widest');
  t.deepEqual(
    grid[0]!.cells.map((c) => c.seat?.id ?? '_'),
    ['A1', 'A2', '_', 'A3', 'A4', '_', '_'],
  );
  t.deepEqual(
    grid[1]!.cells.map((c) => c.seat?.id ?? '_'),
    ['B1', 'B2', 'B3', '_', 'B4', 'B5', 'B6'],
  );
});

test('accessible names are exactly "Seat <id>, <status>"', (t) => {
  t.is(seatLabel({ id: 'C7' }, 'available'), 'Seat C7, available');
  t.is(seatLabel({ id: 'AA12' }, 'held'), 'Seat AA12, held');
});

test('premium seats cost the premium price, falling back to standard', (t) => {
  t.is(priceOf('premium', { standard: 1000, premium: 1500 }), 1500);
  t.is(priceOf('premium', { standard: 1000 }), 1000);
  t.is(priceOf('wheelchair', { standard: 1000, premium: 1500 }), 1000);
});

test('single-seat rule: a choice that boxes in one empty seat is flagged', (t) => {
  // A1..A5, A1 booked. Picking A3 leaves A2 alone between a booked seat and ours.
  const map = mapOf(['sSSSS']);
  t.deepEqual(strandedSeats(map, new Set(['A3'])), ['A2']);
  t.deepEqual(strandedSeats(map, new Set(['A2'])), [], 'sitting next to the taken seat strands nobody');
  t.deepEqual(strandedSeats(map, new Set(['A3', 'A4'])), ['A2', 'A5'], 'the wall boxes in A5');
});

test('single-seat rule: aisles are walls, and lone seats that were already alone are not our fault', (t) => {
  const map = mapOf(['SS.SS']);
  t.deepEqual(strandedSeats(map, new Set(['A2'])), ['A1']);
  t.deepEqual(strandedSeats(map, new Set(['A3'])), ['A4'], 'A3 and A4 are beyond the aisle');
  const already = mapOf(['sSsSSS']);
  t.deepEqual(strandedSeats(already, new Set(['A6'])), [], 'A2 was alone before; A4 and A5 stay a pair');
  t.deepEqual(strandedSeats(already, new Set(['A5'])), ['A4', 'A6']);
  t.deepEqual(strandedSeats(mapOf(['SSSS']), new Set()), []);
});

test('best seats: centred, about two thirds back, together, not across an aisle', (t) => {
  const map = mapOf(['SSSSSSSS', 'SSSSSSSS', 'SSSSSSSS', 'SSSSSSSS']);
  t.deepEqual(bestSeats(map, 2), ['C4', 'C5']);
  t.deepEqual(bestSeats(map, 1)?.length, 1);
  const aisle = mapOf(['SSS.SSS']);
  const three = bestSeats(aisle, 4);
  t.is(three, null, 'no block of four without crossing the aisle');
});

test('best seats avoid taken seats, wheelchair spaces and stranding a single seat', (t) => {
  const map = mapOf(['SSSSSS', 'WWSSSs', 'ssSSss']);
  const pick = bestSeats(map, 2)!;
  t.truthy(pick);
  t.false(
    pick.some((id) => id.startsWith('B1') || id.startsWith('B2')),
    `not wheelchair spaces: ${pick}`,
  );
  t.deepEqual(strandedSeats(map, new Set(pick)), [], `no lone seat left: ${pick}`);
  t.is(bestSeats(mapOf(['ssss']), 1), null);
  t.is(bestSeats(map, 0), null);
});

test('arrow keys move along rows skipping aisles, and between rows to the nearest column', (t) => {
  const grid = layoutRows(mapOf(['SS.SS', 'SSSSSSS']));
  t.is(moveFocus(grid, 'A2', 'right'), 'A3', 'across the aisle');
  t.is(moveFocus(grid, 'A1', 'left'), null, 'the wall');
  t.is(moveFocus(grid, 'A4', 'down'), 'B5', 'same column below');
  t.is(moveFocus(grid, 'B7', 'up'), 'A4', 'nearest seat above when the row is shorter');
  t.is(moveFocus(grid, 'A1', 'up'), null);
  t.is(moveFocus(grid, 'B1', 'down'), null);
  t.is(moveFocus(grid, 'Z9', 'down'), null);
});

test('seat changes apply in commit order; a stale notification is ignored', (t) => {
  const map = mapOf(['SSS'], 's1', 10);
  const next = applySeatChanges(map, [{ id: 'A2', status: 'held' }], 11);
  t.is(next.rows[0]!.seats[1]!.status, 'held');
  t.is(next.commitIndex, 11);
  t.is(map.rows[0]!.seats[1]!.status, 'available', 'the old map is not mutated');
  const stale = applySeatChanges(next, [{ id: 'A2', status: 'available' }], 9);
  t.is(stale, next);
});
