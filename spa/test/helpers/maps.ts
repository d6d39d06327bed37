import type { SeatMap, SeatStatus } from '@booking/node/protocol';

/**
 * Builds a seat map from a picture, front row first, like the catalog's screen layouts:
 * `.` aisle, `S` standard, `P` premium, `W` wheelchair; lower case = taken (`s` booked, `h` held).
 */
export function mapOf(picture: string[], showId = 's1', commitIndex = 1): SeatMap {
  return {
    showId,
    commitIndex,
    rows: picture.map((line, r) => {
      const label = String.fromCharCode(65 + r);
      let n = 0;
      const seats = [...line].flatMap((ch, i) => {
        if (ch === '.') return [];
        n++;
        const up = ch.toUpperCase();
        const kind = up === 'P' ? 'premium' : up === 'W' ? 'wheelchair' : 'standard';
        const status: SeatStatus = ch === 'h' ? 'held' : ch === up ? 'available' : 'booked';
        return [{ id: `${label}${n}`, kind, status, col: i + 1 } as const];
      });
      return { label, seats };
    }),
  };
}
