/**
 * What the RPC layer needs to know about the cluster: who is master, the status to report, and
 * where a write must run. A lone node is always its own master; the replicated cluster
 * implements the same interface and forwards writes from slaves to the master.
 */
import type { MethodName } from './protocol/methods.js';
import type { ClusterStatus } from './protocol/model.js';

export interface ClusterRole {
  status(): ClusterStatus;
  isMaster(): boolean;
  /**
   * Runs a write on the master: `local()` here if this node is master, else the same call is
   * forwarded to the master and its result returned. Throws NO_MASTER when there is none in time.
   */
  write<T>(method: MethodName, params: unknown, local: () => Promise<T>): Promise<T>;
  /** Admin: step down and let another node win an election. */
  stepDown(): Promise<boolean>;
  close(): Promise<void>;
}

export class SoloRole implements ClusterRole {
  constructor(
    private readonly info: () => {
      nodeId: number;
      epoch: number;
      lamport: number;
      commitIndex: number;
      appliedIndex: number;
    },
  ) {}
  status(): ClusterStatus {
    const i = this.info();
    return { ...i, role: 'master', masterId: i.nodeId, peers: [] };
  }
  isMaster(): boolean {
    return true;
  }
  write<T>(_method: MethodName, _params: unknown, local: () => Promise<T>): Promise<T> {
    return local();
  }
  async stepDown(): Promise<boolean> {
    return false;
  }
  async close(): Promise<void> {}
}
