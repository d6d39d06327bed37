/** What `cluster.events` shows. The wiring adds `nodeId` and the wall-clock `at`. */
export type ClusterEventType =
  | 'election-started'
  | 'became-candidate'
  | 'became-master'
  | 'became-slave'
  | 'stepped-down'
  | 'view-change-done'
  | 'catch-up-started'
  | 'catch-up-finished'
  | 'snapshot-needed'
  | 'snapshot-installed';

export interface ClusterEventRecord {
  type: ClusterEventType;
  /** Lamport time of the event (the clock ticks for each one). */
  lamport: number;
  /** The node's epoch when the event happened. */
  epoch: number;
  /** The core's tick counter (volatile: restarts at 0 with the process). */
  tick: number;
  detail: Record<string, unknown>;
}
