import { onBeforeUnmount, onMounted } from 'vue';
import { onSeatsChanged, subscribeSeats, useClient } from '../api/index.ts';
import { useSeatsStore } from '../stores/seats.ts';

/**
 * Keeps the seat map of the open show live: subscribes on mount, applies `seats.changed`, and
 * after a reconnect re-reads the whole map (notifications sent while we were away are lost; the
 * client renews the subscription itself). Everything is undone on unmount.
 */
export function useLiveSeats(showId: () => string): void {
  const store = useSeatsStore();
  const undo: (() => void)[] = [];
  let alive = true;

  onMounted(async () => {
    const client = useClient();
    undo.push(onSeatsChanged((change) => store.applyChange(change)));
    undo.push(
      client.socket.onOpen(({ reconnect }) => {
        if (reconnect) void store.loadMap();
      }),
    );
    try {
      const unsubscribe = await subscribeSeats(showId());
      if (alive) undo.push(unsubscribe);
      else unsubscribe();
    } catch {
      // Reconnects renew the subscription; the map itself is loaded by the view.
    }
  });

  onBeforeUnmount(() => {
    alive = false;
    for (const fn of undo.splice(0)) fn();
  });
}
