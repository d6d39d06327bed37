import type { ClusterEvent, ClusterStatus } from '@booking/node/protocol';
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { type BookingClient, nodeClient } from '../api/index.ts';
import { mergeEvents } from '../lib/events.ts';

export type Health = 'up' | 'down' | 'unknown';

export interface NodeView {
  id: number;
  status: ClusterStatus | null;
  health: Health;
  error: string | null;
  /** Lamport time of the newest event fetched from this node, for `sinceLamport`. */
  lastLamport: number;
}

/** How the dashboard reaches one node; the real one is a socket to `/nodes/<id>/rpc`. */
export interface NodeProbe {
  status(): Promise<ClusterStatus>;
  events(sinceLamport: number | undefined): Promise<ClusterEvent[]>;
  close(): void;
}

export function clientProbe(client: BookingClient): NodeProbe {
  // No retries: a node that does not answer within its timeout is shown down this round, at once,
  // rather than holding the whole dashboard back while the client keeps trying.
  const once = { retryForMs: 0 };
  return {
    status: () => client.call('cluster.status', {}, once),
    events: (sinceLamport) =>
      client.call('cluster.events', sinceLamport === undefined ? {} : { sinceLamport }, once),
    close: () => client.close(),
  };
}

/**
 * The cluster dashboard: each node's own view (role, epoch, clock, commit index) and one
 * timeline of every node's events in Lamport order. Nodes are found from `peers` of whichever
 * node answers first; a node that stops answering is shown down, not dropped, so a person
 * watches it die, the election run, and the node come back.
 */
export const useClusterStore = defineStore('cluster', () => {
  const nodes = ref<Record<number, NodeView>>({});
  const events = ref<ClusterEvent[]>([]);
  const polling = ref(false);
  let probeFactory: (id: number) => NodeProbe = (id) => clientProbe(nodeClient(id));
  const probes = new Map<number, NodeProbe>();

  const list = computed(() => Object.values(nodes.value).sort((a, b) => a.id - b.id));
  /** The master as the live majority sees it: the highest epoch's claim wins over stale ones. */
  const masterId = computed(() => {
    let best: ClusterStatus | null = null;
    for (const node of list.value) {
      const s = node.status;
      if (node.health !== 'up' || !s || s.masterId === null) continue;
      if (!best || s.epoch > best.epoch) best = s;
    }
    return best?.masterId ?? null;
  });

  function useProbes(factory: (id: number) => NodeProbe): void {
    probeFactory = factory;
  }

  function ensure(id: number): NodeView {
    let node = nodes.value[id];
    if (!node) {
      node = { id, status: null, health: 'unknown', error: null, lastLamport: 0 };
      nodes.value = { ...nodes.value, [id]: node };
    }
    return nodes.value[id]!;
  }

  function probe(id: number): NodeProbe {
    let p = probes.get(id);
    if (!p) {
      p = probeFactory(id);
      probes.set(id, p);
    }
    return p;
  }

  function discover(status: ClusterStatus): void {
    ensure(status.nodeId);
    for (const peer of status.peers) ensure(peer.nodeId);
  }

  async function pollNode(id: number): Promise<void> {
    const p = probe(id);
    try {
      const status = await p.status();
      const fresh = await p.events(nodes.value[id]?.lastLamport || undefined);
      const node = ensure(id);
      node.status = status;
      node.health = 'up';
      node.error = null;
      node.lastLamport = Math.max(node.lastLamport, ...fresh.map((e) => e.lamport));
      events.value = mergeEvents(events.value, fresh);
      discover(status);
    } catch (e) {
      const node = ensure(id);
      node.health = 'down';
      node.error = e instanceof Error ? e.message : String(e);
    }
  }

  /** One round over every known node; `seed` ids are where discovery starts. */
  async function pollOnce(seed: number[] = []): Promise<void> {
    for (const id of seed) ensure(id);
    await Promise.all(list.value.map((node) => pollNode(node.id)));
  }

  function stop(): void {
    polling.value = false;
    for (const p of probes.values()) p.close();
    probes.clear();
  }

  return { nodes, events, polling, list, masterId, useProbes, discover, pollNode, pollOnce, stop };
});
