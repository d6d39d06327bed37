import { majority } from './election.js';

/** The master's view of one slave. */
export interface PeerProgress {
  /** Highest index known to be durably on the slave and equal to ours. */
  match: number;
  /** Next index to send. */
  next: number;
  /**
   * Probing: we do not know where the slave's log agrees with ours, so send one append per heartbeat
   * or answer and wait. Otherwise we pipeline: `next` moves on as soon as entries are sent.
   */
  probing: boolean;
  /** Tick of the last answer in this epoch (liveness and the majority lease). */
  lastAckAt: number;
  /** Commit index last told to the slave, to push commits without waiting for a heartbeat. */
  sentCommit: number;
  /** It needs entries the log compacted away: waiting for it to install a snapshot. */
  snapshotting: boolean;
}

export function freshProgress(next: number, now: number): PeerProgress {
  return { match: 0, next, probing: true, lastAckAt: now, sentCommit: 0, snapshotting: false };
}

/** The highest index a majority (self included, with its durable index) has. */
export function quorumMatch(selfStable: number, peers: Iterable<PeerProgress>): number {
  const matches = [selfStable];
  for (const p of peers) matches.push(p.match);
  matches.sort((a, b) => b - a);
  return matches[majority(matches.length) - 1] ?? 0;
}

/** Whether a majority answered within the failure timeout: a master keeps its role only then. */
export function hasActiveQuorum(peers: Iterable<PeerProgress>, now: number, timeout: number): boolean {
  let alive = 1;
  let size = 1;
  for (const p of peers) {
    size++;
    if (now - p.lastAckAt < timeout) alive++;
  }
  return alive >= majority(size);
}
