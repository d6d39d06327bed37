/**
 * Pure pieces of the election and view change. The state machine that drives them is in core.ts.
 */

/** Majority of the configured cluster (not of the nodes currently alive). */
export function majority(clusterSize: number): number {
  return Math.floor(clusterSize / 2) + 1;
}

/** Where a log ends: what a promise reports and what the view change compares. */
export interface LogPosition {
  lastEpoch: number;
  lastIndex: number;
  commitIndex: number;
}

/**
 * The most up-to-date log: highest last-entry epoch, then longest (Raft's comparison). Any entry
 * committed so far sits on a majority, so it is in at least one promiser's log, and the log that wins
 * this comparison contains it (docs/cluster.md has the argument). Ties go to the candidate itself, so
 * it fetches nothing it already has.
 */
export function mostUpToDate(positions: ReadonlyMap<number, LogPosition>, self: number): number {
  let best = self;
  let bestPos = positions.get(self);
  for (const [id, pos] of positions) {
    if (!bestPos || pos.lastEpoch > bestPos.lastEpoch) {
      best = id;
      bestPos = pos;
    } else if (pos.lastEpoch === bestPos.lastEpoch && pos.lastIndex > bestPos.lastIndex) {
      best = id;
      bestPos = pos;
    }
  }
  return best;
}

/** Timer with jitter, so two candidates that collided do not collide again. */
export function deadline(now: number, ticks: number, random: () => number): number {
  return now + ticks + Math.floor(random() * Math.max(1, ticks));
}
