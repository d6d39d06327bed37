import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { clusterStatus, type SocketState, useClient } from '../api/index.ts';

/**
 * What the header shows: is the socket up, and which node answers us. The node id is asked again
 * after every (re)connect, since Nginx may have sent the new socket to another node.
 */
export const useConnectionStore = defineStore('connection', () => {
  const state = ref<SocketState>('connecting');
  const nodeId = ref<number | null>(null);
  const role = ref<string | null>(null);
  const reconnects = ref(0);
  let started = false;

  async function identify(): Promise<void> {
    try {
      const status = await clusterStatus();
      nodeId.value = status.nodeId;
      role.value = status.role;
    } catch {
      // A socket that dropped again will trigger another identify on its next open.
    }
  }

  function start(): void {
    if (started) return;
    started = true;
    const client = useClient();
    client.socket.onState((next) => {
      if (next !== 'open') nodeId.value = null;
      state.value = next;
    });
    client.socket.onOpen(({ reconnect }) => {
      if (reconnect) reconnects.value++;
      void identify();
    });
    if (client.state === 'open') void identify();
  }

  const label = computed(() => {
    switch (state.value) {
      case 'open':
        return nodeId.value === null ? 'Connected' : `Connected to node ${nodeId.value}`;
      case 'connecting':
        return 'Connecting…';
      case 'reconnecting':
        return 'Reconnecting…';
      default:
        return 'Offline';
    }
  });

  return { state, nodeId, role, reconnects, label, start, identify };
});
