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

export type LogEnd = Pick<LogPosition, 'lastEpoch' | 'lastIndex'>;

/** Raft's order on logs: a later last epoch wins, then a longer log. */
export function atLeastAsUpToDate(a: LogEnd, b: LogEnd): boolean {
  return a.lastEpoch > b.lastEpoch || (a.lastEpoch === b.lastEpoch && a.lastIndex >= b.lastIndex);
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
    if (!bestPos || !atLeastAsUpToDate(bestPos, pos)) {
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

/**
 * How many of the ticks a stalled node owes (a starved event loop, SIGSTOP) it runs at once when it
 * wakes: at most half a failure timeout. Timer drift under load is still made up, and every timeout
 * keeps at least half its length, so a woken node hears its peers again (a heartbeat comes every
 * few ticks) before it suspects them. Capping at a failure timeout minus one, as before, left every
 * timer one tick from expiring: a woken slave started an election against its live master and a
 * woken master stepped down for "lost majority", so every pause cost extra view changes.
 */
export function catchUpTicks(due: number, failureTimeoutTicks: number): number {
  return Math.max(0, Math.min(due, Math.floor(failureTimeoutTicks / 2)));
}
