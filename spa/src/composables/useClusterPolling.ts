import { onBeforeUnmount, onMounted } from 'vue';
import { clusterStatus } from '../api/index.ts';
import { useClusterStore } from '../stores/cluster.ts';

/**
 * Polls every node of the cluster while the dashboard is open. Discovery starts from the node the
 * app's own socket reaches; each round then asks every node directly through /nodes/<id>/rpc.
 */
export function useClusterPolling(intervalMs = 1000): void {
  const store = useClusterStore();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  async function round(): Promise<void> {
    if (stopped) return;
    if (store.list.length === 0) {
      try {
        store.discover(await clusterStatus());
      } catch {
        // Nothing known yet; try again next round.
      }
    }
    await store.pollOnce();
    if (!stopped) timer = setTimeout(round, intervalMs);
  }

  onMounted(() => {
    store.polling = true;
    void round();
  });
  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
    store.stop();
  });
}
