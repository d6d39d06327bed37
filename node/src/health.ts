/**
 * Liveness and readiness. `/livez` answers while the process runs; `/readyz` answers 200 only when
 * this node can serve a client correctly right now: it knows a master that reaches a majority, it
 * has applied (nearly) everything committed, and the catalog a client would browse is there. The
 * decision is a pure function of a status snapshot so each state is testable without a cluster.
 */
import { Router } from 'express';
import type { ClusterStatus } from './protocol/model.js';

/**
 * How far (in log entries) the applied index may trail the commit index and still count as caught
 * up. Under load a healthy slave trails by a batch or two; a node catching up after downtime trails
 * by thousands and moves in chunks, so a small bound tells the two apart without flapping.
 */
export const READY_MAX_LAG = 64;

export type NotReadyReason =
  | 'shutting-down'
  | 'no-quorum'
  | 'no-master'
  | 'catching-up'
  | 'catalog-loading'
  | 'database-unavailable';

export interface ReadinessSnapshot {
  status: ClusterStatus;
  /** A master whose view change is done (it decides writes). */
  serving: boolean;
  /** `not-expected`: BOOKING_CATALOG=none, an empty catalog is what the operator asked for. */
  catalog: 'loaded' | 'loading' | 'not-expected' | 'unreadable';
  stopping: boolean;
  /** Receiving or installing a snapshot from the master (it was too far behind for the log). */
  installingSnapshot?: boolean;
}

export type Readiness = { ready: true } | { ready: false; reason: NotReadyReason; detail: string };

export function majorityOf(size: number): number {
  return Math.floor(size / 2) + 1;
}

export function readiness(s: ReadinessSnapshot): Readiness {
  const no = (reason: NotReadyReason, detail: string): Readiness => ({ ready: false, reason, detail });
  const { status } = s;
  if (s.stopping) return no('shutting-down', 'the node is stopping; use another node');
  // Committed entries that cannot be written: the node falls behind and must not take reads.
  if (status.applyError) return no('database-unavailable', `applying entries fails: ${status.applyError}`);
  const size = status.peers.length + 1;
  const reached = 1 + status.peers.filter((p) => p.alive).length;
  if (reached < majorityOf(size)) {
    return no('no-quorum', `reaches ${reached} of ${size} nodes; a majority is ${majorityOf(size)}`);
  }
  if (status.role === 'candidate' || status.masterId === null)
    return no('no-master', 'an election is running');
  let masterCommit = status.commitIndex;
  if (status.role === 'master') {
    if (!s.serving) return no('no-master', 'the new master is still taking over (view change)');
  } else {
    const master = status.peers.find((p) => p.nodeId === status.masterId);
    if (!master?.alive) return no('no-master', `master ${status.masterId} is not answering`);
    masterCommit = Math.max(masterCommit, master.commitIndex ?? 0);
  }
  if (s.installingSnapshot && status.role !== 'master') {
    return no('catching-up', `installing a snapshot from master ${status.masterId}`);
  }
  const behind = masterCommit - status.appliedIndex;
  if (behind > READY_MAX_LAG) {
    return no('catching-up', `applied ${status.appliedIndex} of ${masterCommit} committed entries`);
  }
  if (s.catalog === 'unreadable') return no('database-unavailable', 'the catalog cannot be read');
  if (s.catalog === 'loading') return no('catalog-loading', 'the catalog is not loaded yet');
  return { ready: true };
}

export interface HealthDeps {
  status(): ClusterStatus;
  serving(): boolean;
  /** Whether this node is expected to have a catalog (BOOKING_CATALOG=bundled). */
  catalogExpected: boolean;
  /** True once the catalog has movies; may throw when the database cannot be read. */
  catalogLoaded(): Promise<boolean>;
  stopping(): boolean;
  /** Whether a snapshot from the master is being received or installed here. */
  installingSnapshot?(): boolean;
}

/** Takes the snapshot; the catalog, once seen loaded, stays loaded (imports never empty it). */
export function snapshotter(d: HealthDeps): () => Promise<ReadinessSnapshot> {
  let seenLoaded = false;
  const catalog = async (): Promise<ReadinessSnapshot['catalog']> => {
    if (!d.catalogExpected) return 'not-expected';
    if (seenLoaded) return 'loaded';
    try {
      seenLoaded = await d.catalogLoaded();
    } catch {
      return 'unreadable';
    }
    return seenLoaded ? 'loaded' : 'loading';
  };
  return async () => ({
    catalog: await catalog(),
    status: d.status(),
    serving: d.serving(),
    stopping: d.stopping(),
    installingSnapshot: d.installingSnapshot?.() ?? false,
  });
}

/** `GET /livez` and `GET /readyz`. */
export function healthRoutes(d: HealthDeps): Router {
  const snapshot = snapshotter(d);
  const router = Router();
  router.get('/livez', (_req, res) => {
    res.json({ live: true, nodeId: d.status().nodeId });
  });
  router.get('/readyz', async (_req, res) => {
    const s = await snapshot();
    const verdict = readiness(s);
    const { nodeId, role, masterId, epoch, commitIndex, appliedIndex } = s.status;
    res
      .status(verdict.ready ? 200 : 503)
      .set('cache-control', 'no-store')
      .json({ ...verdict, nodeId, role, masterId, epoch, commitIndex, appliedIndex });
  });
  return router;
}
