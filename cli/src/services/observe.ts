/**
 * Looking at a running cluster from the outside: ask every running node for its `cluster.status`,
 * decide who the master is (pure functions, tested on their own), and wait for conditions such
 * as "a master all nodes agree on" or "a new master after the old one died".
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterEvent, ClusterStatus } from '@booking/node/protocol';
import type { ClusterDriver, ClusterState } from './drivers/driver.js';
import { callOnce } from './rpc-client.js';

export type ProcessView = 'running' | 'paused' | 'stopped';

export interface NodeObservation {
  id: number;
  rpcUrl: string;
  process: ProcessView;
  /** The node's own answer, or null when it did not answer in time. */
  status: ClusterStatus | null;
}

/** `cluster status --json`, exactly the design's shape. */
export interface StatusView {
  name: string;
  driver: string;
  url: string;
  masterId: number | null;
  epoch: number;
  nodes: {
    id: number;
    /** master | slave | candidate as the node says; `paused` or `down` when it cannot say. */
    role: string;
    alive: boolean;
    rpcUrl: string;
    commitIndex: number | null;
    /** What the node has applied of it; behind for long means apply is stuck (see applyError). */
    appliedIndex: number | null;
    /** Set while the node cannot write applied entries (its database). */
    applyError: string | null;
    lamport: number | null;
  }[];
}

export function majority(total: number): number {
  return Math.floor(total / 2) + 1;
}

export interface AgreedMaster {
  masterId: number;
  epoch: number;
  /** The master's own commit index as it reported it. */
  commitIndex: number;
  /** Nodes that answered and name this master (the master included). */
  supporters: number[];
}

/**
 * The master that `need` answering nodes agree on: it says it is master, and at least `need`
 * nodes (itself included) name it with the same epoch. With `need = majority(total)` that is a
 * working cluster; with `need = total` every node has joined.
 */
export function agreedMaster(observations: readonly NodeObservation[], need: number): AgreedMaster | null {
  const answered = observations.filter((o) => o.status !== null).map((o) => o.status!);
  const claims = answered
    .filter((s) => s.role === 'master' && s.masterId === s.nodeId)
    .sort((a, b) => b.epoch - a.epoch);
  for (const master of claims) {
    const supporters = answered
      .filter((s) => s.masterId === master.nodeId && s.epoch === master.epoch)
      .map((s) => s.nodeId)
      .sort((a, b) => a - b);
    if (supporters.length >= need) {
      return { masterId: master.nodeId, epoch: master.epoch, commitIndex: master.commitIndex, supporters };
    }
  }
  return null;
}

export interface Settled {
  master: AgreedMaster;
  /** When this agreement (same master, same epoch) was first observed (performance.now()). */
  since: number;
  observations: NodeObservation[];
}

/**
 * A check for pollUntil that waits for the cluster to settle, not just to agree once: right after
 * start or a failover a lower node can win an election and a higher one then take over (classic
 * bully). Settled means `need` nodes agree on a master and either it is the highest answering
 * node (bully's end state) or the same agreement has held for `holdMs`.
 */
export function settledMaster(
  need: number,
  opts: { holdMs: number; accept?: (m: AgreedMaster) => boolean; now?: () => number },
): (observations: NodeObservation[]) => Settled | null {
  const now = opts.now ?? (() => performance.now());
  let key = '';
  let since = 0;
  return (observations) => {
    const master = agreedMaster(observations, need);
    if (!master || (opts.accept && !opts.accept(master))) {
      key = '';
      return null;
    }
    const k = `${master.masterId}/${master.epoch}`;
    if (k !== key) {
      key = k;
      since = now();
    }
    const highest = Math.max(...observations.filter((o) => o.status !== null).map((o) => o.id));
    if (master.masterId === highest || now() - since >= opts.holdMs) return { master, since, observations };
    return null;
  };
}

export function toStatusView(state: ClusterState, observations: readonly NodeObservation[]): StatusView {
  const master = agreedMaster(observations, majority(state.nodes.length));
  const epochs = observations.map((o) => o.status?.epoch ?? 0);
  return {
    name: state.name,
    driver: state.driver,
    url: state.url,
    masterId: master?.masterId ?? null,
    epoch: master?.epoch ?? Math.max(0, ...epochs),
    nodes: observations.map((o) => ({
      id: o.id,
      role: o.status?.role ?? (o.process === 'paused' ? 'paused' : 'down'),
      alive: o.process === 'running' && o.status !== null,
      rpcUrl: o.rpcUrl,
      commitIndex: o.status?.commitIndex ?? null,
      appliedIndex: o.status?.appliedIndex ?? null,
      applyError: o.status?.applyError ?? null,
      lamport: o.status?.lamport ?? null,
    })),
  };
}

/** Asks every node whose process runs for its status (paused and stopped ones are not asked). */
export async function observeCluster(
  state: ClusterState,
  driver: ClusterDriver,
  timeoutMs = 1500,
): Promise<NodeObservation[]> {
  return Promise.all(
    state.nodes.map(async (node): Promise<NodeObservation> => {
      const process = await driver.nodeRunning(state, node.id);
      let status: ClusterStatus | null = null;
      if (process === 'running') {
        status = await callOnce(node.rpcUrl, 'cluster.status', {}, { timeoutMs }).catch(() => null);
      }
      return { id: node.id, rpcUrl: node.rpcUrl, process, status };
    }),
  );
}

/** Polls until `check` returns a value (not null), or the time runs out (then null). */
export async function pollUntil<T>(
  state: ClusterState,
  driver: ClusterDriver,
  check: (observations: NodeObservation[]) => T | null,
  opts: { timeoutMs: number; intervalMs?: number; onPoll?: (observations: NodeObservation[]) => void },
): Promise<T | null> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const observations = await observeCluster(state, driver, 1000);
    opts.onPoll?.(observations);
    const result = check(observations);
    if (result !== null) return result;
    if (Date.now() > deadline) return null;
    await sleep(opts.intervalMs ?? 50);
  }
}

/** Every node's events merged in (lamport, nodeId) order, each event once. */
export function mergeEvents(perNode: readonly (readonly ClusterEvent[])[]): ClusterEvent[] {
  const seen = new Set<string>();
  const merged: ClusterEvent[] = [];
  for (const events of perNode) {
    for (const event of events) {
      const key = `${event.nodeId}/${event.lamport}/${event.type}/${event.at}`;
      if (seen.has(key)) continue;
      seen.add(key);
      merged.push(event);
    }
  }
  return merged.sort((a, b) => a.lamport - b.lamport || a.nodeId - b.nodeId);
}
