import { onBeforeUnmount, onMounted, type Ref, ref } from 'vue';

/** A ticking clock for countdowns; the timer lives exactly as long as the component. */
export function useNow(intervalMs = 250): Ref<number> {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => {
      now.value = Date.now();
    }, intervalMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
